/**
 * EnvironmentOpsFunction's actions, the steps of the upgrade workflow that need code:
 *
 * - `validateUpgrade`: is the version change allowed by the version matrix? (docs/upgrades.md)
 * - `triggerCanary`: start the canary DAG after an upgrade, with a run id derived from the execution
 * - `canaryStatus`: the state of that run, for the workflow's bounded wait
 *
 * Every action takes its clients as parameters; index.ts only wires them.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import {
  dispatchAction,
  type ActionInput as Input,
  requiredString as str,
} from '../shared/action-dispatch.ts';
import type { AirflowClient } from '../shared/airflow/index.ts';
import { DagNotFoundError, MAX_REST_PATH } from '../shared/airflow/index.ts';
import { ValidationError } from '../shared/errors.ts';
import { checkVersionChange } from '../shared/versions/matrix.ts';
import { CanaryTriggerError } from './errors.ts';

export interface EnvironmentOpsDeps {
  airflow: Pick<AirflowClient, 'rest' | 'triggerDagRun' | 'reset'>;
  log: Pick<Logger, 'info' | 'warn'>;
}

function optionalStr(input: Input, field: string): string | undefined {
  const value = input[field];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new ValidationError(`Input field "${field}" must be a string`);
  return value;
}

/** Airflow DAG ids: letters, digits, dashes, dots and underscores. */
const DAG_ID = /^[A-Za-z0-9_.-]{1,250}$/;

/**
 * The canary's run id, derived from the execution so a retried trigger conflicts (409, counted
 * as success) instead of starting a second run. Short, so the status path fits InvokeRestApi.
 */
export function canaryRunId(executionArn: string): string {
  return `mwaa_ops_canary__${createHash('sha256').update(executionArn).digest('hex').slice(0, 12)}`;
}

const statusPath = (dagId: string, runId: string) => `/dags/${dagId}/dagRuns/${runId}`;

function assertCanaryDag(dagId: string): void {
  if (!DAG_ID.test(dagId)) throw new ValidationError(`"${dagId}" is not a valid DAG id`);
  // InvokeRestApi limits Path to 64 characters; refuse before the upgrade, not after it.
  if (statusPath(dagId, canaryRunId('x')).length > MAX_REST_PATH)
    throw new ValidationError(
      `Canary DAG id "${dagId}" is too long to follow through InvokeRestApi (at most ${MAX_REST_PATH - statusPath('', canaryRunId('x')).length} characters)`,
    );
}

/** Object versions UpdateEnvironment may receive with the new AirflowVersion (and nothing else). */
export const ARTIFACT_FIELDS = [
  'RequirementsS3ObjectVersion',
  'PluginsS3ObjectVersion',
  'StartupScriptS3ObjectVersion',
] as const;

function artifactsOf(input: Input): Record<string, string> {
  const value = input.artifacts ?? {};
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new ValidationError('Input field "artifacts" must be an object');
  const artifacts: Record<string, string> = {};
  for (const [key, version] of Object.entries(value)) {
    if (!(ARTIFACT_FIELDS as readonly string[]).includes(key))
      throw new ValidationError(`artifacts.${key} is not one of ${ARTIFACT_FIELDS.join(', ')}`);
    if (typeof version !== 'string' || version.trim() === '')
      throw new ValidationError(`artifacts.${key} must be a non-empty S3 object version id`);
    artifacts[key] = version;
  }
  return artifacts;
}

/**
 * `validateUpgrade`: the matrix's verdict on `currentVersion` → `targetVersion`. Never throws for
 * a refused change: the workflow turns `allowed: false` into a failure before touching anything.
 */
export function validateUpgrade(input: Input) {
  const currentVersion = str(input, 'currentVersion');
  const targetVersion = str(input, 'targetVersion');
  const environment = str(input, 'environment');
  const canaryDag = optionalStr(input, 'canaryDag');
  if (canaryDag !== undefined) assertCanaryDag(canaryDag);
  const artifacts = artifactsOf(input);
  const check = checkVersionChange(currentVersion, targetVersion);
  const noop = check.kind === 'none';
  return {
    allowed: check.allowed,
    noop,
    kind: check.kind ?? 'none',
    currentVersion,
    targetVersion,
    reason: check.reason ?? '',
    note: check.note ?? '',
    constraintsUrl: check.constraintsUrl ?? '',
    /** UpdateEnvironment's input, used as is by the workflow (nothing but these fields). */
    updateRequest: { Name: environment, AirflowVersion: targetVersion, ...artifacts },
  };
}

/** `triggerCanary`: trigger the canary DAG (unpausing it if needed) once the upgrade is done. */
export async function triggerCanary(input: Input, deps: EnvironmentOpsDeps) {
  const environment = str(input, 'environment');
  const dagId = str(input, 'dagId');
  assertCanaryDag(dagId);
  const runId = canaryRunId(str(input, 'executionArn'));
  // The environment now runs another Airflow version (another API prefix): forget the cache.
  deps.airflow.reset();
  try {
    const result = await deps.airflow.triggerDagRun(environment, {
      dagId,
      runId,
      conf: {},
      onPaused: 'unpause',
      note: 'mwaa-ops post-upgrade canary',
    });
    deps.log.info('canary triggered', { dagId, runId, outcome: result.outcome });
    return { dagId, runId, outcome: result.outcome };
  } catch (error) {
    if (error instanceof DagNotFoundError)
      throw new CanaryTriggerError(`Canary DAG ${dagId} is not in environment ${environment}`, {
        cause: error,
        context: { dagId },
      });
    throw error;
  }
}

const FINISHED = new Set(['success', 'failed']);

/** `canaryStatus`: where the canary run is; `finished` once it succeeded or failed. */
export async function canaryStatus(input: Input, deps: EnvironmentOpsDeps) {
  const environment = str(input, 'environment');
  const dagId = str(input, 'dagId');
  const runId = str(input, 'runId');
  assertCanaryDag(dagId);
  const response = await deps.airflow.rest(environment, { method: 'GET', path: statusPath(dagId, runId) });
  if (response.status !== 200)
    throw new CanaryTriggerError(
      `Airflow answered HTTP ${response.status} for canary run ${runId} of ${dagId}`,
      {
        context: { status: response.status },
      },
    );
  const state = String((response.body as { state?: unknown }).state ?? 'unknown');
  return { dagId, runId, state, finished: FINISHED.has(state), succeeded: state === 'success' };
}

const ACTIONS = {
  validateUpgrade: (input: Input) => validateUpgrade(input),
  triggerCanary,
  canaryStatus,
} as const;

export type Action = keyof typeof ACTIONS;

/** Dispatch on `input.action`. */
export function handleEnvironmentOp(event: unknown, deps: EnvironmentOpsDeps): Promise<unknown> {
  return dispatchAction(ACTIONS, event, deps);
}
