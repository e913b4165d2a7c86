/**
 * `npm run build`: bundle every function the way `sam build` does (esbuild, ESM, node24,
 * minified, with source maps and code splitting) to dist/functions/<name>/index.mjs plus the
 * chunks it loads lazily, and the local cloud to dist/local/index.mjs. The esbuild settings mirror each function's `Metadata.BuildProperties`
 * in template.yaml; the template tests check the two agree. It first composes the workflow
 * definitions statemachines/<name>.asl.json from statemachines/src (scripts/compose-statemachines.ts).
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { writeStatemachines } from './compose-statemachines.ts';
import { functionBundleOptions, functionNames, root } from './esbuild-options.ts';

const composed = writeStatemachines();
if (composed.length) console.log(`composed ${composed.join(', ')}`);

rmSync(join(root, 'dist'), { recursive: true, force: true });

const names = functionNames();
await Promise.all(
  names.map((name) =>
    build({
      ...functionBundleOptions,
      // An outdir, not an outfile, as sam build does: code splitting writes the lazily loaded
      // chunks beside index.mjs.
      entryPoints: [join(root, 'functions', name, 'index.ts')],
      outdir: join(root, 'dist', 'functions', name),
      outExtension: { '.js': '.mjs' },
      metafile: false,
      logLevel: 'warning',
    }),
  ),
);

// The local cloud runs on the developer's machine with its node_modules: bundle only our code.
const localEntry = join(root, 'local', 'index.ts');
if (existsSync(localEntry)) {
  await build({
    // The Lambda runtime starts each function in a worker thread running lambda-worker.mjs,
    // which it finds beside the bundle.
    entryPoints: { index: localEntry, 'lambda-worker': join(root, 'local', 'lambda', 'worker.ts') },
    outdir: join(root, 'dist', 'local'),
    outExtension: { '.js': '.mjs' },
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node24',
    sourcemap: true,
    logLevel: 'warning',
  });
}

const built = existsSync(join(root, 'dist', 'functions')) ? readdirSync(join(root, 'dist', 'functions')) : [];
console.log(
  `built ${built.length} function bundle(s)${built.length ? `: ${built.join(', ')}` : ''}` +
    (existsSync(localEntry) ? ' and the local cloud' : ''),
);
