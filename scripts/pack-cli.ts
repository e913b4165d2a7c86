/**
 * `npm run pack:cli`: the `mwaa-ops` CLI as an installable npm package, `dist/mwaa-ops-<version>.tgz`.
 *
 * The repository's own package.json describes the whole kit (the Lambda functions' runtime
 * dependencies, Node 24 as a dev dependency, ...) and is private. The CLI package is built
 * beside it, in dist/cli-package/, from three things:
 * - bin/mwaa-ops.mjs: cli/main.ts and everything it imports (commander, the AWS SDK clients,
 *   functions/shared) bundled by esbuild into one JavaScript file, so the package has no
 *   runtime dependencies: `npm install -g mwaa-ops-<version>.tgz --offline` works on a machine
 *   whose npm cache is empty, and no TypeScript runs from node_modules;
 * - a package.json with `bin`, a `files` allow-list and no dependencies;
 * - README.md, docs/cli.md.
 *
 * Options: `--out <dir>` writes the package folder and the tarball there instead of dist/ (tests
 * use a temp dir).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { requireShim, root } from './esbuild-options.ts';

/** The oldest Node the bundle is compiled for and the package declares (`engines`). */
export const CLI_NODE_TARGET = 'node20';
export const CLI_NODE_ENGINES = '>=20.12';

interface RootPackage {
  name: string;
  version: string;
  description: string;
  license: string;
}

/** The package.json of the CLI package: the CLI's bin and nothing it must install. */
export function cliPackageJson(rootPackage: RootPackage): Record<string, unknown> {
  return {
    name: rootPackage.name,
    version: rootPackage.version,
    description:
      'mwaa-ops operator CLI for Amazon MWAA: flows, access, pause/resume, upgrades, backups, savings.',
    license: rootPackage.license,
    type: 'module',
    engines: { node: CLI_NODE_ENGINES },
    bin: { 'mwaa-ops': 'bin/mwaa-ops.mjs' },
    files: ['bin/', 'docs/', 'README.md'],
  };
}

/** Bundle the CLI and write the package folder; returns its path. */
export async function buildCliPackage(dir = join(root, 'dist', 'cli-package')): Promise<string> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'docs'), { recursive: true });
  const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as RootPackage;
  await build({
    stdin: {
      contents: "import { main } from './main.ts';\nawait main();\n",
      resolveDir: join(root, 'cli'),
      sourcefile: 'mwaa-ops-entry.ts',
      loader: 'ts',
    },
    outfile: join(dir, 'bin', 'mwaa-ops.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: CLI_NODE_TARGET,
    minify: true,
    legalComments: 'linked',
    mainFields: ['module', 'main'],
    banner: { js: `#!/usr/bin/env node\n${requireShim}` },
    logLevel: 'warning',
  });
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(cliPackageJson(rootPackage), null, 2)}\n`);
  copyFileSync(join(root, 'docs', 'cli.md'), join(dir, 'docs', 'cli.md'));
  writeFileSync(
    join(dir, 'README.md'),
    [
      '# mwaa-ops CLI',
      '',
      `The operator CLI of the mwaa-ops kit, version ${rootPackage.version}: one bundled JavaScript file, no runtime dependencies.`,
      '',
      '```sh',
      'npm install -g ./mwaa-ops-<version>.tgz   # or: npx --package ./mwaa-ops-<version>.tgz mwaa-ops --help',
      'mwaa-ops --help',
      'mwaa-ops --local /path/to/local-cloud.json env status data-dev',
      '```',
      '',
      'See docs/cli.md for every command.',
      '',
    ].join('\n'),
  );
  return dir;
}

/**
 * Build the package folder (`<outDir>/cli-package`) and `npm pack` it into `outDir`; returns
 * the tarball's path.
 */
export async function packCli(outDir = join(root, 'dist')): Promise<string> {
  const dir = await buildCliPackage(join(outDir, 'cli-package'));
  mkdirSync(outDir, { recursive: true });
  const out = execFileSync('npm', ['pack', dir, '--pack-destination', outDir, '--json', '--silent'], {
    encoding: 'utf8',
  });
  const [packed] = JSON.parse(out) as Array<{ filename: string }>;
  if (!packed) throw new Error(`npm pack wrote no tarball: ${out}`);
  return resolve(outDir, packed.filename);
}

if (import.meta.main) {
  const at = process.argv.indexOf('--out');
  const tarball = await packCli(at > 0 ? resolve(process.argv[at + 1] ?? 'dist') : undefined);
  console.log(tarball);
}
