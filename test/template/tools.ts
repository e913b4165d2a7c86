/**
 * The real template tools, run as child processes: cfn-lint and the AWS SAM CLI from the pinned
 * `tools` venv (scripts/python/tools.in; `npm run test:template` creates it first).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { root } from '../../scripts/esbuild-options.ts';
import { PrerequisiteError, venvBin, venvLabel } from '../../scripts/python-env.ts';

/** The region cfn-lint and `sam validate` check resource types against. */
export const LINT_REGION = 'us-east-1';

/** A PrerequisiteError whose stack is its message, so Jest prints one line. */
function prerequisite(message: string): PrerequisiteError {
  const error = new PrerequisiteError(message);
  error.stack = `${error.name}: ${message}`;
  return error;
}

/** Path of a tool in the `tools` venv; throws one line naming the fix when the venv is missing. */
export function tool(executable: 'cfn-lint' | 'sam'): string {
  const path = venvBin('tools', executable);
  if (!existsSync(path)) {
    throw prerequisite(
      `${venvLabel('tools')} has no ${executable}: run \`node scripts/python-env.ts tools\` (npm run test:template does it first)`,
    );
  }
  return path;
}

export interface RunResult {
  /** Exit code, or null when the process was killed (timeout). */
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Environment for the Python tools: telemetry off, no instance-metadata lookups, and the
 * project's Node 24, npm and esbuild first on PATH (`sam build` runs npm and esbuild from PATH).
 */
export function toolEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: `${root}/node_modules/.bin:${process.env.PATH ?? ''}`,
    SAM_CLI_TELEMETRY: '0',
    AWS_EC2_METADATA_DISABLED: 'true',
    PYTHONNOUSERSITE: '1',
  };
}

/** Runs a command to completion; never rejects for a non-zero exit, only when it cannot start. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? root,
      env: options.env ?? toolEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs,
      killSignal: 'SIGKILL',
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (status) =>
      resolve({
        status,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      }),
    );
  });
}

/** The last lines of a tool's output, for failure messages. */
export function tail(text: string, lines = 20): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** One cfn-lint finding, reduced to what the tests compare. */
export interface CfnLintFinding {
  /** Project-relative path of the template. */
  file: string;
  /** Rule id, e.g. E3002. */
  rule: string;
  level: 'Error' | 'Warning' | 'Informational';
  message: string;
  /** The JSON path of the finding, joined with `/` (Resources/Topic/Properties/DisplayNme). */
  path: string;
  line: number;
}

interface RawFinding {
  Filename: string | null;
  Level: CfnLintFinding['level'];
  Message: string;
  Rule: { Id: string };
  Location: { Path: Array<string | number> | null; Start: { LineNumber: number } };
}

const projectRelative = (file: string) => (isAbsolute(file) ? relative(root, file) : file);

/**
 * cfn-lint on the given templates (paths relative to the project root or absolute) with its
 * default rules, plus the informational ones when asked. cfn-lint exits with a bit mask of the
 * levels it found (2 error, 4 warning, 8 informational) and 1 when it could not run at all.
 */
export async function cfnLint(
  files: readonly string[],
  options: { informational?: boolean } = {},
): Promise<CfnLintFinding[]> {
  for (const file of files) {
    if (!existsSync(isAbsolute(file) ? file : join(root, file)))
      throw new Error(`cfn-lint: no such template ${file}`);
  }
  const args = [
    '--format',
    'json',
    '--regions',
    LINT_REGION,
    ...(options.informational ? ['--include-checks=I'] : []),
    '--',
    ...files.map(projectRelative),
  ];
  const result = await run(tool('cfn-lint'), args, { timeoutMs: 120_000 });
  let raw: unknown;
  try {
    raw = JSON.parse(result.stdout);
  } catch {
    raw = undefined;
  }
  if (result.status === null || result.status % 2 === 1 || !Array.isArray(raw)) {
    throw new Error(
      `cfn-lint could not run (exit ${result.status}):\n${tail(result.stderr || result.stdout)}`,
    );
  }
  const unplaced = (raw as RawFinding[]).filter((finding) => finding.Filename === null);
  if (unplaced.length > 0) {
    // Configuration errors (E0003 …) name no template; they mean the run did not lint anything.
    throw new Error(
      `cfn-lint: ${unplaced.map((finding) => `${finding.Rule.Id} ${finding.Message}`).join('; ')}`,
    );
  }
  return (raw as RawFinding[]).map((finding) => ({
    file: projectRelative(finding.Filename!),
    rule: finding.Rule.Id,
    level: finding.Level,
    message: finding.Message,
    path: (finding.Location.Path ?? []).join('/'),
    line: finding.Location.Start.LineNumber,
  }));
}

/** `sam validate --lint` on one template: exit status and everything it printed. */
export async function samValidate(file: string): Promise<{ status: number | null; output: string }> {
  const result = await run(
    tool('sam'),
    ['validate', '--lint', '--region', LINT_REGION, '--template-file', projectRelative(file)],
    { timeoutMs: 120_000 },
  );
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
