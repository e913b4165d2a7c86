/** Where a benchmark ran, recorded with every result so numbers are compared like for like. */
import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';

export interface RunEnvironment {
  readonly node: string;
  readonly platform: string;
  readonly arch: string;
  readonly cpuModel: string;
  readonly cpuCount: number;
  readonly memoryBytes: number;
  /** `HEAD` of the work tree, or null outside a git checkout. */
  readonly commit: string | null;
  /** Whether tracked files differ from `HEAD` (null when unknown). */
  readonly dirty: boolean | null;
}

function git(args: string[], cwd: string): { status: number | null; stdout: string } {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return { status: result.error ? null : result.status, stdout: result.stdout ?? '' };
}

/** Describe this machine and the checkout at `root`. Read-only: it never changes git state. */
export function runEnvironment(root: string): RunEnvironment {
  const head = git(['rev-parse', 'HEAD'], root);
  const commit = head.status === 0 ? head.stdout.trim() : null;
  // diff-index compares without refreshing the index, so even this query leaves .git untouched.
  const diff = commit === null ? null : git(['diff-index', '--quiet', 'HEAD', '--'], root).status;
  const processors = cpus();
  return {
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    cpuModel: processors[0]?.model.trim() ?? 'unknown',
    cpuCount: processors.length,
    memoryBytes: totalmem(),
    commit,
    dirty: diff === 0 ? false : diff === 1 ? true : null,
  };
}
