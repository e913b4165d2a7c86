/**
 * `mwaa-ops env attach <env>`: reattach to the workflow that is running on an environment (after
 * a `--wait` was interrupted, or for a scheduled pause) and follow it to its end with the same
 * output and exit codes as `--wait`. The running execution is the one holding the environment's
 * lock in EnvironmentsTable (`lock.operation`, `lock.executionArn`).
 */
import type { Command } from 'commander';
import { MwaaOpsError } from '../../functions/shared/errors.ts';
import type { EnvironmentOps, EnvironmentOpsFactory } from '../environment-ops.ts';
import { jsonText } from '../output.ts';
import type { CommandRuntime } from '../runtime.ts';
import type { UpgradeOps } from '../upgrade-ops.ts';
import { follow, reportOutcome } from './env.ts';
import { followUpgrade, UpgradeFailedError } from './env-upgrade.ts';

/** No workflow holds the environment's lock: there is nothing to attach to. */
export class NothingRunningError extends MwaaOpsError {
  constructor(message: string) {
    super(message);
    this.name = 'NothingRunningError';
  }
}

export interface EnvAttachDeps {
  ops: EnvironmentOpsFactory;
  now?: () => Date;
  /** Milliseconds between polls (default 2000). */
  pollMs?: number;
}

interface HeldLock {
  operation: string;
  executionArn: string;
}

/** The lock of a registry item, when one is held (an item without one, or a malformed one, is free). */
export function heldLock(item: Record<string, unknown> | undefined): HeldLock | undefined {
  const lock = item?.lock as { operation?: unknown; executionArn?: unknown } | undefined;
  if (typeof lock?.executionArn !== 'string' || lock.executionArn === '') return undefined;
  return {
    operation: typeof lock.operation === 'string' ? lock.operation : 'workflow',
    executionArn: lock.executionArn,
  };
}

/** The upgrade follower reads MWAA's status through the upgrade port; the env port has the same call. */
function asUpgradeOps(ops: EnvironmentOps): UpgradeOps {
  return {
    ...ops,
    startUpgrade: () => Promise.reject(new Error('not used when attaching')),
    environment: async (name) => {
      const status = await ops.mwaaStatus(name);
      return status
        ? { status: status.status, airflowVersion: status.airflowVersion ?? 'unknown' }
        : undefined;
    },
  };
}

export function registerEnvAttach(group: Command, runtime: CommandRuntime, deps: EnvAttachDeps): Command {
  const now = deps.now ?? (() => new Date());
  return group
    .command('attach <environment>')
    .summary('follow the workflow running on an environment to its end')
    .description(
      'Find the pause, resume or upgrade that holds the environment lock and follow it like --wait: ' +
        'the same progress lines, the same result, exit 0 when it succeeds and 1 when it fails. ' +
        'Exits 1 when no workflow is running on the environment.',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ mwaa-ops env attach data-dev\n  $ mwaa-ops --output json env attach data-dev',
    )
    .action(async (environment: string, _options: unknown, command: Command) => {
      const context = runtime.context(command);
      const ops = deps.ops(context);
      const item = await ops.registry(environment);
      const lock = heldLock(item);
      if (!lock) {
        const state = typeof item?.state === 'string' ? item.state : 'not in the registry';
        throw new NothingRunningError(
          `No workflow is running on ${environment} (state: ${state}; its lock is free)`,
        );
      }
      const text = context.output === 'text';
      const print = (line: string) => {
        if (text) runtime.out(line);
      };
      const first = await ops.describeExecution(lock.executionArn);
      print(
        `attached to ${lock.operation} ${environment}: ${lock.executionArn}` +
          `${first.startDate ? ` (started ${first.startDate})` : ''}\n`,
      );
      const timing = { pollMs: deps.pollMs ?? 2000, now: () => now().getTime() };
      if (lock.operation === 'upgrade') {
        const result = await followUpgrade(asUpgradeOps(ops), environment, lock.executionArn, print, timing);
        if (context.output === 'json') runtime.out(jsonText({ executionArn: lock.executionArn, ...result }));
        else if (result.status === 'SUCCEEDED')
          runtime.out(`upgrade ${environment}: SUCCEEDED ${JSON.stringify(result.output ?? {})}\n`);
        if (result.status !== 'SUCCEEDED')
          throw new UpgradeFailedError(
            `upgrade ${environment} ${result.status}: ${result.error ?? 'no error'}: ${result.cause ?? 'no cause'}`,
          );
        return;
      }
      const result = await follow(ops, lock.executionArn, print, timing);
      reportOutcome(lock.operation, environment, lock.executionArn, result, context.output, runtime.out);
    });
}
