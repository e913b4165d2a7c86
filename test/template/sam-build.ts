/**
 * `sam build` for the template tier, and importing what it built.
 *
 * SAM's esbuild builder copies each function's CodeUri (here the project root) to a scratch
 * folder, leaving out only `.aws-sam`, `.git` and `node_modules`: in a working copy that would be
 * `dist/`, bench results and whatever else is lying around, five times over (the test venvs live
 * under node_modules for this reason). So the build runs on a staged copy of the files git would commit (tracked plus
 * untracked-but-not-ignored), which is also what a fresh clone or CI deploys. Everything lives in
 * `.aws-sam/template-tier/` (git-ignored) and is kept between runs, so `--cached` can reuse the
 * production dependencies SAM installed the first time (`project/.aws-sam/deps`).
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { LOCAL_ACCOUNT_ID } from '../../local/core/aws.ts';
import { localAlbIdentity, localParameters } from '../../local/local-parameters.ts';
import { loadTemplate as loadLocalModel } from '../../local/template/index.ts';
import { root } from '../../scripts/esbuild-options.ts';
import { loadTemplate, resourcesOf, type Template } from './template-file.ts';
import { run, tail, tool, toolEnv } from './tools.ts';

export const workDir = join(root, '.aws-sam', 'template-tier');
/** The staged project `sam build` runs in (its cwd, so SAM's `.aws-sam/deps` lands inside it). */
export const stagedProject = join(workDir, 'project');
/** Build output; SAM writes its build.toml next to it, in workDir. */
export const buildDir = join(workDir, 'build');
const cacheDir = join(workDir, 'cache');
const lockDir = join(workDir, 'lock');

const FUNCTION_TYPE = 'AWS::Serverless::Function';
const REGION = 'us-east-1';
const STACK_NAME = 'mwaa-ops';

/** Files git would commit, project-relative: tracked (and still present) plus untracked, not ignored. */
export function committableFiles(): string[] {
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (listed.error || listed.status !== 0) {
    throw new Error(
      `sam build stages the files git lists, but \`git ls-files\` failed in ${root}: ${listed.error?.message ?? listed.stderr}`,
    );
  }
  return [...new Set(listed.stdout.split('\0'))].filter(
    (file) => file !== '' && existsSync(join(root, file)),
  );
}

/** Replace the staged copy with the current files, keeping SAM's dependency cache (`.aws-sam`). */
export function stageProject(): number {
  mkdirSync(stagedProject, { recursive: true });
  for (const entry of readdirSync(stagedProject)) {
    if (entry !== '.aws-sam') rmSync(join(stagedProject, entry), { recursive: true, force: true });
  }
  const files = committableFiles();
  for (const file of files) {
    const target = join(stagedProject, file);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(join(root, file), target);
  }
  return files.length;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Take `.aws-sam/template-tier/lock` (a directory, created atomically) so two test runs in the
 * same checkout do not build into the same folders at once; a lock whose process is gone is
 * taken over. Returns the release function.
 */
export async function acquireBuildLock(timeoutMs = 15 * 60_000): Promise<() => void> {
  mkdirSync(workDir, { recursive: true });
  const owner = join(lockDir, 'pid');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(owner, String(process.pid));
      return () => rmSync(lockDir, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const pid = Number(existsSync(owner) ? readFileSync(owner, 'utf8') : Number.NaN);
    if (Number.isInteger(pid) && !alive(pid)) {
      rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`${lockDir} is held by process ${pid}; is another template test running?`);
    }
    await sleep(1000);
  }
}

export interface SamBuild {
  /** The built template (`<buildDir>/template.yaml`). */
  template: Template;
  output: string;
  seconds: number;
}

/** Stage the project and `sam build` it with the incremental dependency cache. Throws on failure. */
export async function samBuild(): Promise<SamBuild> {
  const started = Date.now();
  stageProject();
  const args = [
    'build',
    '--template-file',
    'template.yaml',
    '--build-dir',
    buildDir,
    '--cache-dir',
    cacheDir,
    '--cached',
    '--parallel',
  ];
  const result = await run(tool('sam'), args, { cwd: stagedProject, env: toolEnv(), timeoutMs: 15 * 60_000 });
  const output = `${result.stdout}${result.stderr}`;
  if (result.status !== 0) {
    throw new Error(`sam ${args.join(' ')} failed (exit ${result.status}):\n${tail(output, 40)}`);
  }
  return {
    template: loadTemplate(join(buildDir, 'template.yaml')),
    output,
    seconds: Math.round((Date.now() - started) / 1000),
  };
}

/** Logical ids of the AWS::Serverless::Function resources of a template, in file order. */
export function functionIds(template: Template): string[] {
  return resourcesOf(template)
    .filter(([, resource]) => resource.Type === FUNCTION_TYPE)
    .map(([logicalId]) => logicalId);
}

/** Extensions Lambda's Node.js runtime tries for the handler's module. */
const MODULE_EXTENSIONS = ['.js', '.mjs', '.cjs'];

export interface BuiltArtefact {
  /** The module file the handler lives in. */
  file: string;
  exportName: string;
}

/** Where a function of the built template has its handler: `<CodeUri>/<module>.{js,mjs,cjs}`. */
export function builtArtefact(template: Template, logicalId: string): BuiltArtefact {
  const resource = template.Resources?.[logicalId];
  const properties = resource?.Properties ?? {};
  const codeUri = properties.CodeUri;
  const handler = properties.Handler;
  if (typeof codeUri !== 'string' || typeof handler !== 'string' || !handler.includes('.')) {
    throw new Error(
      `${logicalId}: the built template has no local CodeUri and module.export Handler (CodeUri ${JSON.stringify(codeUri)}, Handler ${JSON.stringify(handler)})`,
    );
  }
  const dot = handler.lastIndexOf('.');
  const base = join(buildDir, codeUri, handler.slice(0, dot));
  const files = MODULE_EXTENSIONS.map((extension) => `${base}${extension}`).filter((file) =>
    existsSync(file),
  );
  if (files.length !== 1) {
    throw new Error(
      `${logicalId}: expected exactly one of ${MODULE_EXTENSIONS.map((e) => `${handler.slice(0, dot)}${e}`).join(', ')} in ${join(buildDir, codeUri)}, found ${files.length}`,
    );
  }
  return { file: files[0]!, exportName: handler.slice(dot + 1) };
}

/**
 * The environment Lambda would give each function: what the template sets (Globals merged,
 * intrinsics resolved by the local cloud's template loader with its stand-in parameter values,
 * so conditional functions such as the SSO authenticator are present) plus the variables the
 * Lambda runtime itself sets. No credentials, no shared config files, no instance metadata, and
 * every endpoint pointed at a closed local port: importing builds SDK clients but must not call
 * anything, and if it tried, it could not reach AWS.
 */
export function functionEnvironments(
  templatePath = join(root, 'template.yaml'),
): Map<string, NodeJS.ProcessEnv> {
  const declared = Object.keys((loadTemplate(templatePath).Parameters as object | undefined) ?? {});
  const model = loadLocalModel(templatePath, {
    root: dirname(templatePath),
    region: REGION,
    accountId: LOCAL_ACCOUNT_ID,
    stackName: STACK_NAME,
    parameters: localParameters(declared, {}, localAlbIdentity(REGION, LOCAL_ACCOUNT_ID, STACK_NAME)),
  });
  const environments = new Map<string, NodeJS.ProcessEnv>();
  for (const fn of model.functions) {
    environments.set(fn.logicalId, {
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      AWS_LAMBDA_FUNCTION_NAME: fn.name,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      ...fn.environment,
    });
  }
  return environments;
}

export interface ImportResult {
  /** Exit status of the importing process (0: the module loaded). */
  status: number | null;
  /** `typeof` the requested export, when the module loaded. */
  exportType?: string;
  /** Every export name, when the module loaded. */
  exports?: string[];
  /** What the process printed on stderr (the error, when the import failed). */
  stderr: string;
}

const MARKER = '__mwaa_ops_template_tier_exports__ ';

// Runs in the child: import the module (running its module scope), then report its exports.
const IMPORT_SCRIPT = `
const [url, name] = process.argv.slice(1);
const module = await import(url);
process.stdout.write('\\n${MARKER}' + JSON.stringify({ type: typeof module[name], exports: Object.keys(module).sort() }) + '\\n');
process.exit(0);
`;

/**
 * Import a built module in a fresh `node_modules/.bin/node` (Node 24, as the nodejs24.x runtime)
 * with exactly the given environment and the module's folder as working directory, as Lambda
 * would at a cold start.
 */
export async function importModule(
  file: string,
  exportName: string,
  env: NodeJS.ProcessEnv,
): Promise<ImportResult> {
  const node = join(root, 'node_modules', '.bin', 'node');
  const result = await run(
    node,
    ['--input-type=module', '--eval', IMPORT_SCRIPT, pathToFileURL(file).href, exportName],
    { cwd: dirname(file), env, timeoutMs: 30_000 },
  );
  const line = result.stdout.split('\n').find((text) => text.startsWith(MARKER));
  if (result.status !== 0 || line === undefined) return { status: result.status, stderr: result.stderr };
  const report = JSON.parse(line.slice(MARKER.length)) as { type: string; exports: string[] };
  return { status: result.status, exportType: report.type, exports: report.exports, stderr: result.stderr };
}
