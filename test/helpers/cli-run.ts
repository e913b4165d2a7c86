/**
 * Run the `mwaa-ops` CLI in-process: output captured, an offline context (no environment
 * variables, no config files), and the given fakes for the AWS side — or a local cloud.
 */
import { type CliDeps, runCli } from '../../cli/main.ts';
import type { LocalCloud } from '../../local/index.ts';

/** Run `args` with `deps` overriding the defaults; returns the exit code and both streams. */
export async function runCliCaptured(
  args: string[],
  deps: Partial<CliDeps>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    sources: { env: {}, cwd: '/tmp', projectRoot: '/tmp', readFile: () => '', stdoutIsTTY: false },
    ...deps,
  });
  return { code, stdout, stderr };
}

/** Run `mwaa-ops --local <file> ...args` against a running local cloud (its connection file). */
export function runCliOnCloud(cloud: LocalCloud, args: string[], deps: Partial<CliDeps> = {}) {
  const file = JSON.stringify(cloud.connectionFile());
  return runCliCaptured(['--local', '/local-cloud.json', ...args], {
    sources: { env: {}, cwd: '/', projectRoot: '/', readFile: () => file, stdoutIsTTY: false },
    ...deps,
  });
}
