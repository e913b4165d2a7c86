/** `mwaa-ops env`: environment lifecycle (pause, resume, status) and following its workflows. */
import type { Command } from 'commander';
import { MwaaOpsError } from '../../functions/shared/errors.ts';
import type { OutputFormat } from '../context.ts';
import type { EnvironmentOps, EnvironmentOpsFactory, Operation } from '../environment-ops.ts';
import { jsonText, keyValueLines } from '../output.ts';
import type { CommandRuntime } from '../runtime.ts';
import { type ExecutionState, formatElapsed, pollExecution } from '../workflow-runner.ts';
import { registerGroup } from './group.ts';

/** The workflow execution ended in a status other than SUCCEEDED. */
export class WorkflowFailedError extends MwaaOpsError {
  constructor(message: string) {
    super(message);
    this.name = 'WorkflowFailedError';
  }
}

export interface EnvDeps {
  ops: EnvironmentOpsFactory;
  /** The current time (execution names carry it). */
  now?: () => Date;
}

/**
 * `<operation>-<environment>-<yyyymmddThhmmss>`, at most 80 characters: readable in the console,
 * unique per second, and the base of the backup id (docs/backup-format.md).
 */
export function executionName(operation: string, environment: string, now: Date): string {
  return `${operation}-${environment.slice(0, 80 - operation.length - 20)}-${executionStamp(now)}`;
}

/**
 * UTC time to the millisecond (`yyyymmddThhmmssSSS`): execution names must be unique per state
 * machine, and a closed execution's name cannot be reused, so two commands in one second (a
 * resume right after a resume) must not collide. The environment lock, not the name, keeps
 * operations from overlapping.
 */
export function executionStamp(now: Date): string {
  return now.toISOString().replace(/[-:.]/g, '').slice(0, 18);
}

/** Poll the execution, printing each state once as it is entered (with the time since following began), until it closes. */
export function follow(
  ops: EnvironmentOps,
  executionArn: string,
  print: (line: string) => void,
  options: { pollMs?: number; now?: () => number } = {},
): Promise<ExecutionState> {
  return pollExecution(
    ops,
    executionArn,
    ({ newlyEntered, elapsedMs }) => {
      for (const name of newlyEntered) print(`  [${formatElapsed(elapsedMs)}] → ${name}\n`);
    },
    { pollMs: options.pollMs ?? 2000, ...(options.now ? { now: options.now } : {}) },
  );
}

/**
 * The end of `--wait` (and of `env attach`): the final state as JSON, or a SUCCEEDED line; any
 * other status becomes a {@link WorkflowFailedError} (exit 1) naming the error and cause.
 */
export function reportOutcome(
  operation: string,
  environment: string,
  executionArn: string,
  result: ExecutionState,
  output: OutputFormat,
  out: (text: string) => void,
): void {
  if (output === 'json') out(jsonText({ executionArn, ...result }));
  else if (result.status === 'SUCCEEDED')
    out(`${operation} ${environment}: SUCCEEDED ${JSON.stringify(result.output ?? {})}\n`);
  if (result.status !== 'SUCCEEDED') {
    throw new WorkflowFailedError(
      `${operation} ${environment} ${result.status}: ${result.error ?? 'no error'}: ${result.cause ?? 'no cause'}`,
    );
  }
}

function settings(options: Record<string, unknown>): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  const numeric = [
    'pollSeconds',
    'heartbeatSeconds',
    'drainTimeoutSeconds',
    'exportTimeoutSeconds',
    'importTimeoutSeconds',
  ];
  for (const key of numeric) {
    if (options[key] !== undefined) {
      const value = Number(options[key]);
      if (!Number.isInteger(value) || value <= 0)
        throw new MwaaOpsError(`--${key} must be a positive integer`);
      input[key] = value;
    }
  }
  if (options.drain === true) input.drain = true;
  if (options.reloadPlugins === true) input.reloadPlugins = true;
  if (options.trustUnrecordedBackup === true) input.trustUnrecordedBackup = true;
  return input;
}

export function registerEnv(program: Command, runtime: CommandRuntime, deps: EnvDeps): Command {
  const group = registerGroup(program, {
    name: 'env',
    summary: 'environment status, pause, resume, upgrade and attach',
    description:
      'Operate MWAA environments. Pause backs up the metadata and deletes the environment; ' +
      'resume recreates it and restores the metadata. Each runs as a Step Functions workflow that holds ' +
      'a per-environment lock (docs/pause-resume.md).',
  });
  const now = deps.now ?? (() => new Date());

  const start = async (
    operation: Operation,
    environment: string,
    options: Record<string, unknown>,
    command: Command,
  ) => {
    const context = runtime.context(command);
    const ops = deps.ops(context);
    const input = { environment, ...settings(options) };
    const arn = await ops.startExecution(operation, executionName(operation, environment, now()), input);
    if (options.wait !== true) {
      runtime.out(context.output === 'json' ? jsonText({ executionArn: arn }) : `${arn}\n`);
      return;
    }
    if (context.output === 'text') runtime.out(`${operation} ${environment}: ${arn}\n`);
    const result = await follow(
      ops,
      arn,
      (line) => {
        if (context.output === 'text') runtime.out(line);
      },
      { now: () => now().getTime() },
    );
    reportOutcome(operation, environment, arn, result, context.output, runtime.out);
  };

  const withSettings = (command: Command) =>
    command
      .option('--wait', 'follow the execution until it ends; exit 1 when it fails')
      .option('--poll-seconds <n>', 'seconds between MWAA status polls (default 60)')
      .option('--heartbeat-seconds <n>', 'the export/import must heartbeat this often (default 300)');

  withSettings(
    group
      .command('pause <environment>')
      .summary('back up, verify and delete an environment')
      .description(
        'Start the pause workflow: back up the metadata, verify the backup, then delete the environment.',
      )
      .option('--drain', 'wait for running DAG runs to finish first (bounded by --drain-timeout-seconds)')
      .option('--drain-timeout-seconds <n>', 'longest drain (default 1800)')
      .option('--export-timeout-seconds <n>', 'longest export (default 3600)'),
  ).action((environment: string, options: Record<string, unknown>, command: Command) =>
    start('pause', environment, options, command),
  );

  withSettings(
    group
      .command('resume <environment>')
      .summary('recreate an environment and restore its metadata')
      .description(
        'Start the resume workflow: recreate the environment from its snapshot and restore the last verified backup. A running environment is left alone.',
      )
      .option(
        '--reload-plugins',
        'after the restore, update the environment so plugins see restored variables/connections',
      )
      .option('--import-timeout-seconds <n>', 'longest import (default 3600)')
      .option(
        '--trust-unrecorded-backup',
        'accept a backup verified before digests were recorded in the registry (docs/pause-resume.md#tamper-evident-backups); never overrides a recorded digest',
      ),
  ).action((environment: string, options: Record<string, unknown>, command: Command) =>
    start('resume', environment, options, command),
  );

  group
    .command('status <environment>')
    .summary('registry state, lock, last backup and MWAA status')
    .action(async (environment: string, _options: unknown, command: Command) => {
      const context = runtime.context(command);
      const ops = deps.ops(context);
      const [item, mwaa] = await Promise.all([ops.registry(environment), ops.mwaaStatus(environment)]);
      const lock = item?.lock as { operation?: string; executionArn?: string } | undefined;
      const backup = item?.lastVerifiedBackup as { backupId?: string; airflowVersion?: string } | undefined;
      const failure = item?.lastFailure as { error?: string; executionArn?: string } | undefined;
      if (context.output === 'json') {
        runtime.out(jsonText({ environment, registry: item ?? null, mwaa: mwaa ?? null }));
        return;
      }
      runtime.out(
        keyValueLines(
          [
            ['Environment', environment],
            ['State', String(item?.state ?? 'unknown (not in the registry)')],
            [
              'MWAA status',
              mwaa
                ? `${mwaa.status}${mwaa.airflowVersion ? ` (Airflow ${mwaa.airflowVersion})` : ''}`
                : 'does not exist',
            ],
            ['Lock', lock ? `${lock.operation} by ${lock.executionArn}` : 'free'],
            ['Last backup', backup ? `${backup.backupId} (Airflow ${backup.airflowVersion})` : 'none'],
            ['Last failure', failure ? `${failure.error} (${failure.executionArn})` : 'none'],
          ],
          context.color,
        ),
      );
    });
  return group;
}
