/**
 * Python virtualenvs the test tiers need, created on demand under
 * `node_modules/.cache/mwaa-ops/venvs/<name>` (or MWAA_OPS_VENV_DIR). Inside node_modules on
 * purpose: git ignores it, and `sam build`, which copies the whole project root (CodeUri `.`) once
 * per function, skips node_modules — a venv anywhere else in the tree (gigabytes of Airflow)
 * would be copied five times. `npm ci` empties node_modules, so a fresh install re-creates them
 * (about a minute, from pip's cache).
 *
 * Each environment is two files in scripts/python/: `<name>.in` (what we ask for) and `<name>.txt`
 * (every package pinned, produced by `--update` with `pip freeze`). Installs use
 * `pip install -r <name>.in -c <name>.txt`, so a fresh machine gets exactly the versions the suite
 * was last run with (the Airflow project's own constraint files live on GitHub, which these
 * machines cannot reach). A venv is reused while a stamp of both files and the interpreter matches;
 * pip's own download cache (~/.cache/pip, or PIP_CACHE_DIR) makes a re-create cheap.
 *
 *   node scripts/python-env.ts tools airflow-2.10.3     # make sure these exist
 *   node scripts/python-env.ts --update airflow-2.11.0  # re-resolve and rewrite the pins
 *
 * Failures print one line naming what is missing (and where pip's log is), never a stack trace.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './esbuild-options.ts';

export const requirementsDir = join(root, 'scripts', 'python');
export const venvRoot =
  process.env.MWAA_OPS_VENV_DIR ?? join(root, 'node_modules', '.cache', 'mwaa-ops', 'venvs');

/** How messages name a venv: relative to the project when it lives inside it. */
export function venvLabel(name: string): string {
  const path = venvPath(name);
  return path.startsWith(`${root}/`) ? path.slice(root.length + 1) : path;
}

/** Python minor versions the pins were made for: MWAA runs Airflow 2.x on Python 3.11. */
const PREFERRED = ['python3.11', 'python3'];

/** A problem the user can fix, reported as one line. */
export class PrerequisiteError extends Error {
  override name = 'PrerequisiteError';
}

export function venvPath(name: string): string {
  return join(venvRoot, name);
}

/** Path of an executable inside a venv, e.g. `venvBin('tools', 'cfn-lint')`. */
export function venvBin(name: string, executable: string): string {
  return join(venvPath(name), 'bin', executable);
}

interface Interpreter {
  path: string;
  version: string;
}

let interpreter: Interpreter | undefined;

/** The first interpreter that is 3.9–3.12 and can create venvs with pip (`venv` + `ensurepip`). */
export function findPython(): Interpreter {
  if (interpreter) return interpreter;
  const candidates = process.env.MWAA_OPS_PYTHON ? [process.env.MWAA_OPS_PYTHON] : PREFERRED;
  const refused: string[] = [];
  for (const candidate of candidates) {
    const probe = spawnSync(
      candidate,
      ['-c', 'import sys, venv, ensurepip; print("%d.%d.%d" % sys.version_info[:3])'],
      { encoding: 'utf8' },
    );
    if (probe.error || probe.status !== 0) {
      refused.push(`${candidate}: ${probe.error ? 'not found' : 'no venv/ensurepip module'}`);
      continue;
    }
    const version = probe.stdout.trim();
    const minor = Number(version.split('.')[1]);
    if (!version.startsWith('3.') || minor < 9 || minor > 12) {
      refused.push(`${candidate}: Python ${version} (Airflow 2.x needs 3.9–3.12)`);
      continue;
    }
    interpreter = { path: candidate, version };
    return interpreter;
  }
  throw new PrerequisiteError(
    `no usable Python for the test virtualenvs (${refused.join('; ')}); install Python 3.11 with venv ` +
      '(Debian: apt-get install python3-venv) or set MWAA_OPS_PYTHON',
  );
}

function requirementFiles(name: string): { input: string; pins: string } {
  const input = join(requirementsDir, `${name}.in`);
  if (!existsSync(input)) {
    throw new PrerequisiteError(
      `unknown Python environment ${name}: scripts/python/${name}.in does not exist`,
    );
  }
  return { input, pins: join(requirementsDir, `${name}.txt`) };
}

function stampOf(name: string, python: Interpreter): string {
  const { input, pins } = requirementFiles(name);
  const hash = createHash('sha256');
  hash.update(python.version);
  hash.update(readFileSync(input));
  if (existsSync(pins)) hash.update(readFileSync(pins));
  return hash.digest('hex');
}

function run(command: string, args: string[], logFile: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: root,
      env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1', PYTHONNOUSERSITE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', () => resolve(127));
    child.on('close', (code) => {
      writeFileSync(logFile, Buffer.concat(chunks), { flag: 'a' });
      resolve(code ?? 1);
    });
  });
}

export interface EnsureResult {
  name: string;
  path: string;
  cached: boolean;
  seconds: number;
}

/** Create (or reuse) the venv `<name>`; with `update`, re-resolve `<name>.in` and rewrite `<name>.txt`. */
export async function ensureVenv(name: string, options: { update?: boolean } = {}): Promise<EnsureResult> {
  const started = Date.now();
  const python = findPython();
  const { input, pins } = requirementFiles(name);
  const dir = venvPath(name);
  const stampFile = join(dir, '.mwaa-ops-stamp');
  const pip = join(dir, 'bin', 'pip');
  if (!options.update && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stampOf(name, python)) {
    return { name, path: dir, cached: true, seconds: 0 };
  }
  mkdirSync(venvRoot, { recursive: true });
  const logFile = join(venvRoot, `${name}.log`);
  writeFileSync(logFile, '');
  rmSync(dir, { recursive: true, force: true });
  const fail = (what: string) =>
    new PrerequisiteError(`python: ${what} for ${venvLabel(name)} failed; see ${venvLabel(name)}.log`);
  if ((await run(python.path, ['-m', 'venv', dir], logFile)) !== 0) throw fail(`${python.path} -m venv`);
  const pinned = !options.update && existsSync(pins);
  const install = ['install', '--quiet', '-r', input, ...(pinned ? ['-c', pins] : [])];
  if ((await run(pip, install, logFile)) !== 0) throw fail('pip install');
  if (!pinned) {
    const freeze = spawnSync(pip, ['freeze', '--all', '--exclude-editable'], { encoding: 'utf8' });
    if (freeze.status !== 0) throw fail('pip freeze');
    const lines = freeze.stdout
      .split('\n')
      .filter((line) => line && !/^(pip|setuptools|wheel)==/.test(line))
      .sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
    writeFileSync(
      pins,
      `# Every package of the ${name} venv, pinned: \`node scripts/python-env.ts --update ${name}\` rewrites\n` +
        `# this file from scripts/python/${name}.in (resolved on Python ${python.version}).\n${lines.join('\n')}\n`,
    );
  }
  writeFileSync(stampFile, stampOf(name, python));
  return { name, path: dir, cached: false, seconds: Math.round((Date.now() - started) / 1000) };
}

/** Ensure several venvs concurrently and print one line each. Throws the first PrerequisiteError. */
export async function ensureVenvs(names: string[], options: { update?: boolean } = {}): Promise<void> {
  const results = await Promise.allSettled(names.map((name) => ensureVenv(name, options)));
  const failures: string[] = [];
  for (const result of results) {
    if (result.status === 'rejected') {
      failures.push(result.reason instanceof Error ? result.reason.message : String(result.reason));
      continue;
    }
    const { name, cached, seconds } = result.value;
    console.log(`python: ${venvLabel(name)} ${cached ? 'up to date' : `created in ${seconds} s`}`);
  }
  if (failures.length) throw new PrerequisiteError(failures.join('\n'));
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const args = process.argv.slice(2);
  const update = args.includes('--update');
  const names = args.filter((arg) => arg !== '--update');
  if (names.length === 0) {
    console.error('usage: node scripts/python-env.ts [--update] <environment>... (see scripts/python/*.in)');
    process.exit(2);
  }
  try {
    await ensureVenvs(names, { update });
  } catch (error) {
    console.error(error instanceof PrerequisiteError ? error.message : String(error));
    process.exit(1);
  }
}
