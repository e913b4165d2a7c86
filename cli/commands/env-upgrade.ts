/**
 * `mwaa-ops env upgrade <env> --to <version>`: check the change against the version matrix
 * locally, then start UpgradeEnvironmentStateMachine and (with --wait) follow it. docs/upgrades.md
 */
import type { Command } from 'commander';
import { MwaaOpsError, ValidationError } from '../../functions/shared/errors.ts';
import {
  checkVersionChange,
  isSupportedVersion,
  SUPPORTED_VERSIONS,
} from '../../functions/shared/versions/matrix.ts';
import { jsonText } from '../output.ts';
import type { CommandRuntime } from '../runtime.ts';
import type { UpgradeOps, UpgradeOpsFactory } from '../upgrade-ops.ts';
import { formatElapsed, pollExecution } from '../workflow-runner.ts';
import { executionName } from './env.ts';

/** The upgrade execution ended in a status other than SUCCEEDED. */
export class UpgradeFailedError extends MwaaOpsError {
  constructor(message: string) {
    super(message);
    this.name = 'UpgradeFailedError';
  }
}

export interface EnvUpgradeDeps {
  ops: UpgradeOpsFactory;
  now?: () => Date;
  /** Milliseconds between polls of the execution with --wait. */
  pollMs?: number;
}

/** `upgrade-<environment>-<yyyymmddThhmmssSSS>`, at most 80 characters (the execution name limit). */
export function upgradeExecutionName(environment: string, now: Date): string {
  return executionName('upgrade', environment, now);
}

/** What a state means to the operator following an upgrade (states not listed print their name). */
const PROGRESS: Record<string, string> = {
  TakeLock: 'taking the environment lock',
  ValidateVersionChange: 'checking the version change against the matrix',
  CountRunningRuns: 'waiting for running DAG runs (drain)',
  Backup: 'taking a verified backup',
  UpdateEnvironment: 'UpdateEnvironment sent; MWAA is upgrading (up to two hours)',
  ReenableDags: 'upgraded; unpausing the DAGs the backup paused',
  TriggerCanary: 'triggering the canary DAG',
  RecordUpgraded: 'recording the outcome',
};
/** Polling loops: shown once, not on every round. */
const QUIET = new Set([
  'AwaitUpdate',
  'WaitForUpdate',
  'CountUpdateWait',
  'CheckUpdate',
  'IsUpdateDone',
  'WaitForCanary',
  'CheckCanary',
  'CountCanaryWait',
  'IsCanaryDone',
  'WaitForRunsToFinish',
  'CountDrainWait',
  'AreRunsFinished',
]);
/** Bookkeeping states that say nothing to an operator. */
const HIDDEN = new Set([
  'ApplyDefaults',
  'MergeDefaults',
  'ValidateInput',
  'ValidateSecondsRange',
  'FormatSeconds',
  'ValidateWholeSeconds',
  'IsEnvironmentAvailable',
  'IsChangeAllowed',
  'DrainRequested',
  'StartDrain',
  'StartFollowing',
  'CanaryRequested',
]);

/** Poll the execution; print progress lines as states are entered and as MWAA's status changes. */
export async function followUpgrade(
  ops: UpgradeOps,
  environment: string,
  executionArn: string,
  print: (line: string) => void,
  options: { pollMs: number; now?: () => number },
) {
  const seen = new Set<string>();
  let lastStatus = '';
  return pollExecution(
    ops,
    executionArn,
    async ({ newlyEntered, state, elapsedMs }) => {
      const at = `[${formatElapsed(elapsedMs)}]`;
      for (const name of newlyEntered) {
        if (HIDDEN.has(name) || (QUIET.has(name) && seen.has(name))) continue;
        seen.add(name);
        if (PROGRESS[name]) print(`  ${at} → ${PROGRESS[name]}\n`);
        else if (!QUIET.has(name)) print(`  ${at} → ${name}\n`);
      }
      if (seen.has('UpdateEnvironment') && state.status === 'RUNNING') {
        const mwaa = await ops.environment(environment);
        const status = mwaa ? `${mwaa.status} (Airflow ${mwaa.airflowVersion})` : 'does not exist';
        if (status !== lastStatus) print(`  ${at}   MWAA: ${status}\n`);
        lastStatus = status;
      }
    },
    options,
  );
}

function positive(options: Record<string, unknown>, key: string, flag: string): number | undefined {
  if (options[key] === undefined) return undefined;
  const value = Number(options[key]);
  if (!Number.isInteger(value) || value <= 0) throw new ValidationError(`${flag} must be a positive integer`);
  return value;
}

/** The workflow input from the command line (docs/upgrades.md "Input"). */
export function upgradeInput(environment: string, to: string, options: Record<string, unknown>) {
  const input: Record<string, unknown> = { environment, targetVersion: to };
  if (typeof options.canaryDag === 'string') input.canaryDag = options.canaryDag;
  if (options.drain === true) input.drain = true;
  const numbers: Array<[string, string]> = [
    ['pollSeconds', '--poll-seconds'],
    ['drainTimeoutSeconds', '--drain-timeout-seconds'],
    ['canaryTimeoutSeconds', '--canary-timeout-seconds'],
  ];
  for (const [key, flag] of numbers) {
    const value = positive(options, key, flag);
    if (value !== undefined) input[key] = value;
  }
  const artifacts: Record<string, string> = {};
  if (typeof options.requirementsVersion === 'string')
    artifacts.RequirementsS3ObjectVersion = options.requirementsVersion;
  if (typeof options.pluginsVersion === 'string') artifacts.PluginsS3ObjectVersion = options.pluginsVersion;
  if (typeof options.startupScriptVersion === 'string')
    artifacts.StartupScriptS3ObjectVersion = options.startupScriptVersion;
  if (Object.keys(artifacts).length > 0) input.artifacts = artifacts;
  return input;
}

/** Add `upgrade` to the `env` group. */
export function registerEnvUpgrade(group: Command, runtime: CommandRuntime, deps: EnvUpgradeDeps): Command {
  const now = deps.now ?? (() => new Date());
  return group
    .command('upgrade <environment>')
    .summary('change the Airflow version in place, after a verified backup')
    .description(
      'Check the change against the version matrix (mwaa-ops versions), then start the upgrade workflow: ' +
        'lock, verified backup, UpdateEnvironment, follow MWAA to AVAILABLE on the new version, optional canary DAG (docs/upgrades.md).',
    )
    .requiredOption('--to <version>', 'target Airflow version')
    .option('--canary-dag <dagId>', 'after the upgrade, run this DAG and require it to succeed')
    .option('--wait', 'follow the execution until it ends; exit 1 when it fails')
    .option('--drain', 'wait for running DAG runs to finish first (bounded by --drain-timeout-seconds)')
    .option('--drain-timeout-seconds <n>', 'longest drain (default 1800)')
    .option('--poll-seconds <n>', 'seconds between MWAA status polls (default 300)')
    .option('--canary-timeout-seconds <n>', 'longest canary run (default 1800)')
    .option('--requirements-version <id>', 'S3 object version of requirements.txt for the target version')
    .option('--plugins-version <id>', 'S3 object version of plugins.zip for the target version')
    .option('--startup-script-version <id>', 'S3 object version of the startup script for the target version')
    .addHelpText(
      'after',
      '\nExamples:\n  $ mwaa-ops env upgrade data-dev --to 2.11.0 --wait\n  $ mwaa-ops env upgrade data-dev --to 3.0.6 --canary-dag smoke_test --requirements-version 3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY --wait',
    )
    .action(async (environment: string, options: Record<string, unknown>, command: Command) => {
      const to = String(options.to);
      if (!isSupportedVersion(to)) {
        throw new ValidationError(
          `Airflow ${to} is not a supported version (${SUPPORTED_VERSIONS.map((v) => v.version).join(', ')}); see mwaa-ops versions`,
        );
      }
      const input = upgradeInput(environment, to, options);
      const context = runtime.context(command);
      const ops = deps.ops(context);
      const current = await ops.environment(environment);
      if (!current) throw new ValidationError(`Environment ${environment} does not exist`);
      const check = checkVersionChange(current.airflowVersion, to);
      if (check.kind === 'none') {
        runtime.out(
          context.output === 'json'
            ? jsonText({ environment, noop: true, airflowVersion: to })
            : `${environment} already runs Airflow ${to}; nothing to do\n`,
        );
        return;
      }
      if (!check.allowed)
        throw new ValidationError(
          `Refused: ${environment} Airflow ${current.airflowVersion} → ${to}: ${check.reason}`,
        );
      if (current.status !== 'AVAILABLE')
        throw new ValidationError(`Environment ${environment} is ${current.status}, not AVAILABLE`);
      const arn = await ops.startUpgrade(upgradeExecutionName(environment, now()), input);
      if (context.output === 'text') {
        runtime.out(
          `upgrade ${environment}: Airflow ${current.airflowVersion} → ${to} (${check.kind}): ${arn}\n`,
        );
        if (check.note) runtime.out(`  note: ${check.note}\n`);
        if (check.constraintsUrl && !input.artifacts)
          runtime.out(`  requirements.txt needs: --constraint "${check.constraintsUrl}"\n`);
      }
      if (options.wait !== true) {
        if (context.output === 'json') runtime.out(jsonText({ executionArn: arn }));
        return;
      }
      const result = await followUpgrade(
        ops,
        environment,
        arn,
        (line) => {
          if (context.output === 'text') runtime.out(line);
        },
        { pollMs: deps.pollMs ?? 5000, now: () => now().getTime() },
      );
      if (context.output === 'json') runtime.out(jsonText({ executionArn: arn, ...result }));
      else if (result.status === 'SUCCEEDED')
        runtime.out(`upgrade ${environment}: SUCCEEDED ${JSON.stringify(result.output ?? {})}\n`);
      if (result.status !== 'SUCCEEDED')
        throw new UpgradeFailedError(
          `upgrade ${environment} ${result.status}: ${result.error ?? 'no error'}: ${result.cause ?? 'no cause'}`,
        );
    });
}
