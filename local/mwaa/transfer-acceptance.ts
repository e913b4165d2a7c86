/**
 * Which runs the emulated transfer DAGs accept: the same rules as dags/mwaa_ops/acceptance.py
 * (docs/pause-resume.md#isolation), so that the workflows on the local cloud meet the refusals a
 * real environment makes.
 *
 * A run is accepted when its conf names this environment and the configured backup bucket and
 * carries a task token and the ARN of an execution that `DescribeExecution` shows RUNNING, of this
 * stack's state machine for the DAG (`<stack>-backup` runs the export, `<stack>-resume` the import)
 * in the ARN's region and account, started for the environment the conf names. A refusal is
 * answered (SendTaskFailure) only when that execution was verified: missing configuration
 * (`MwaaOps.NotConfigured`) and another bucket (`MwaaOps.ForeignRun`). Anything else is refused
 * without touching the token.
 */
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';

export type TransferPhase = 'export' | 'import';

/** What an environment knows about itself (AIRFLOW_ENV_NAME and the `mwaa_ops.*` options). */
export interface TransferSettings {
  environment: string;
  stackName?: string | undefined;
  backupBucket?: string | undefined;
  /**
   * State machine names whose executions may start each DAG; default `<stackName>-backup` /
   * `<stackName>-resume`. Tests that drive the function with their own machines name them here.
   */
  workflows?: Partial<Record<TransferPhase, string[]>> | undefined;
}

const WORKFLOW_OF: Record<TransferPhase, string> = { export: 'backup', import: 'resume' };
const EXECUTION_ARN =
  /^arn:(aws[a-z-]*):states:([a-z0-9-]+):([0-9]{12}):execution:([A-Za-z0-9_-]{1,80}):([^:\s]{1,80})$/;

/** A refused run; `answer` says whether its task token may be answered. */
export class RefusedRun extends Error {
  readonly answer: boolean;
  constructor(name: 'MwaaOps.ForeignRun' | 'MwaaOps.NotConfigured', message: string, answer = false) {
    super(message);
    this.name = name;
    this.answer = answer;
  }
}

const refuse = (phase: TransferPhase, why: string, answer = false) =>
  new RefusedRun('MwaaOps.ForeignRun', `${phase} refused: ${why}`, answer);

/** `mwaa_ops.stack_name` / `mwaa_ops.backup_bucket` from AirflowConfigurationOptions; blank is unset. */
export function settingsFrom(
  environment: string,
  options: Record<string, unknown> | undefined,
  fallback: Omit<TransferSettings, 'environment'> = {},
): TransferSettings {
  const text = (key: string, otherwise: string | undefined) => {
    if (options && key in options) {
      const value = options[key];
      return typeof value === 'string' && value.trim() ? value.trim() : undefined;
    }
    return otherwise;
  };
  return {
    environment,
    stackName: text('mwaa_ops.stack_name', fallback.stackName),
    backupBucket: text('mwaa_ops.backup_bucket', fallback.backupBucket),
    workflows: fallback.workflows,
  };
}

export async function acceptRun(
  conf: Record<string, unknown>,
  phase: TransferPhase,
  settings: TransferSettings,
  sfn: Pick<SFNClient, 'send'>,
): Promise<void> {
  const { task_token: token, execution_arn: arn, environment } = conf;
  if (typeof token !== 'string' || !token)
    throw refuse(phase, 'the conf has no task_token; this DAG runs only for the mwaa-ops workflows');
  const match = typeof arn === 'string' ? EXECUTION_ARN.exec(arn) : null;
  if (!match) throw refuse(phase, 'conf.execution_arn is not a Step Functions execution ARN');
  const [, partition, region, account, machine] = match;
  if (typeof environment !== 'string' || !environment)
    throw refuse(phase, 'conf.environment must be a non-empty string');
  if (environment !== settings.environment)
    throw refuse(phase, `the conf names environment '${environment}', this is '${settings.environment}'`);
  const allowed =
    settings.workflows?.[phase] ??
    (settings.stackName ? [`${settings.stackName}-${WORKFLOW_OF[phase]}`] : undefined);
  if (allowed ? !allowed.includes(machine!) : !machine!.endsWith(`-${WORKFLOW_OF[phase]}`))
    throw refuse(phase, `the conf's execution belongs to state machine '${machine}'`);

  let described: { status?: string; stateMachineArn?: string; input?: string };
  try {
    described = await sfn.send(new DescribeExecutionCommand({ executionArn: arn as string }));
  } catch (error) {
    throw refuse(phase, `DescribeExecution of the conf's execution failed (${(error as Error).name})`);
  }
  if (described.status !== 'RUNNING')
    throw refuse(phase, `the conf's execution is ${described.status}, not RUNNING`);
  const machineArn = `arn:${partition}:states:${region}:${account}:stateMachine:${machine}`;
  if (described.stateMachineArn !== machineArn)
    throw refuse(phase, `the conf's execution is not one of ${machineArn}`);
  let inputEnvironment: unknown;
  try {
    inputEnvironment = (JSON.parse(described.input ?? '{}') as { environment?: unknown }).environment;
  } catch {
    inputEnvironment = undefined;
  }
  if (inputEnvironment !== environment)
    throw refuse(phase, "the conf's execution runs for another environment than the conf names");

  // Our running workflow, for this environment: fail it fast rather than leave it waiting.
  const missing = [
    ...(settings.stackName ? [] : ['mwaa_ops.stack_name (the mwaa-ops stack name)']),
    ...(settings.backupBucket ? [] : ["mwaa_ops.backup_bucket (the stack's BackupBucket)"]),
  ];
  if (missing.length)
    throw new RefusedRun(
      'MwaaOps.NotConfigured',
      `${phase} refused: this environment is not configured for mwaa-ops; set the Airflow configuration option ${missing.join('; ')} (docs/pause-resume.md#setup)`,
      true,
    );
  const bucket = (conf.backup as Record<string, unknown> | undefined)?.bucket;
  if (typeof bucket === 'string' && bucket && bucket !== settings.backupBucket)
    throw refuse(
      phase,
      `conf.backup.bucket is not this stack's backup bucket '${settings.backupBucket}'`,
      true,
    );
}

/** `dag_run.conf` (JSON text in the emulator) with its task token blanked, as the export writes it. */
export function blankTaskToken(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  let conf: unknown;
  try {
    conf = JSON.parse(value);
  } catch {
    return value;
  }
  if (!conf || typeof conf !== 'object' || Array.isArray(conf)) return value;
  const token = (conf as Record<string, unknown>).task_token;
  if (typeof token !== 'string' || token === '') return value;
  return JSON.stringify({ ...(conf as Record<string, unknown>), task_token: '' });
}
