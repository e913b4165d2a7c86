/**
 * Run the `mwaa-ops` CLI in-process for unit tests: output captured, an offline context
 * (no environment variables, no config files), and the given fakes for the AWS side.
 */
import { type CliDeps, runCli } from '../../cli/main.ts';

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
