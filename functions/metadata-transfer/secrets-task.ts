/**
 * Airflow 3.x: the secrets the REST API masks, read by a task (docs/pause-resume.md, "Airflow 3").
 *
 * Airflow 3's public API answers `***` for connection passwords, sensitive extras and sensitive
 * variables, and tasks may not touch the metadata database. What a task *can* do is what every
 * hook does: ask the execution API for a connection or variable through the Task SDK. So the
 * export triggers the DAG `mwaa_ops_export_secrets` (dags/mwaa_ops_export_secrets.py) with the
 * ids the API masked, waits for its run, and reads the file it wrote into the backup prefix
 * (SSE-KMS). The values go from that file into the backup's table files and nowhere else: not
 * into a log, an error, the DAG run conf or the Step Functions payload.
 */
import type { AirflowClient, RestResponse } from '../shared/airflow/index.ts';
import type { BackupStore } from '../shared/backup/index.ts';
import { SecretsNotExportableError } from './errors.ts';

export { SECRETS_DAG_ID } from '../shared/backup/location.ts';

import { SECRETS_DAG_ID } from '../shared/backup/location.ts';
/** Written by the task under the backup prefix; read back by the export. */
export const SECRETS_FILE = 'connection-secrets.json';
const SECRETS_FORMAT = 1;

export interface SecretsRequest {
  connectionIds: string[];
  variableKeys: string[];
}

export interface SecretConnection {
  connection_id: string;
  conn_type: string | null;
  description: string | null;
  host: string | null;
  schema: string | null;
  login: string | null;
  password: string | null;
  port: number | null;
  extra: string | null;
}

export interface Secrets {
  connections: Map<string, SecretConnection>;
  variables: Map<string, string>;
}

export interface SecretsTaskDeps {
  airflow: Pick<AirflowClient, 'rest' | 'setPaused'>;
  heartbeat: () => Promise<void>;
  /** Between polls of the run; tests pass a short one. */
  sleep?: (ms: number) => Promise<void>;
  pollIntervalMs?: number;
  /** Polls before giving up (the default, 300 × 2 s, stays inside the Lambda's 900 s). */
  maxPolls?: number;
}

export interface SecretsTarget {
  environment: string;
  backupId: string;
  bucket: string;
  kmsKeyId?: string;
}

/** Deterministic, so a retried export finds its own run (a 409) instead of starting another. */
export const secretsRunId = (backupId: string) => `${SECRETS_DAG_ID}__${backupId}`;

const RUNS_PATH = `/dags/${SECRETS_DAG_ID}/dagRuns`;

/**
 * Every way the task can fail to deliver is the export's existing refusal (the workflows already
 * treat it as final: nothing is deleted): the run failed, did not finish, the DAG is not
 * deployed, or the file is not what was asked for.
 */
function fail(message: string): never {
  throw new SecretsNotExportableError(message);
}

function status(response: RestResponse, what: string): void {
  // Airflow's detail may quote the conf: the status only.
  if (response.status < 200 || response.status >= 300)
    fail(`Airflow refused to ${what} (HTTP ${response.status})`);
}

/** Trigger (or find) the secrets run, wait for it, and return what its file holds. */
export async function readSecretsThroughTask(
  deps: SecretsTaskDeps,
  store: BackupStore,
  target: SecretsTarget,
  request: SecretsRequest,
): Promise<Secrets> {
  const { environment } = target;
  const runId = secretsRunId(target.backupId);
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const connectionIds = [...request.connectionIds].sort();
  const variableKeys = [...request.variableKeys].sort();

  // A DAG that MWAA created paused (dags_are_paused_at_creation) would never run the trigger.
  await deps.airflow.setPaused(environment, SECRETS_DAG_ID, false).catch(() => {
    const masked = [
      ...variableKeys.map((key) => `variable ${key}`),
      ...connectionIds.map((id) => `connection ${id}`),
    ];
    fail(
      `Airflow 3 masks secrets in its REST API and the DAG ${SECRETS_DAG_ID}, which reads them through the Task SDK, is not in ${environment}, so these cannot be backed up: ${masked.join(', ')}. Deploy dags/mwaa_ops_export_secrets.py and dags/mwaa_ops_v3/ (or move them to a secrets backend), then pause again.`,
    );
  });
  const trigger = await deps.airflow.rest(environment, {
    method: 'POST',
    path: RUNS_PATH,
    body: {
      dag_run_id: runId,
      logical_date: null,
      conf: {
        environment,
        bucket: target.bucket,
        backupId: target.backupId,
        connectionIds,
        variableKeys,
        ...(target.kmsKeyId ? { kmsKeyId: target.kmsKeyId } : {}),
      },
    },
  });
  if (trigger.status !== 409) status(trigger, `trigger ${SECRETS_DAG_ID}`);

  const maxPolls = deps.maxPolls ?? 300;
  let state = 'queued';
  for (let poll = 0; poll < maxPolls; poll++) {
    state = await runState(deps, environment, runId);
    if (state === 'success' || state === 'failed') break;
    await deps.heartbeat();
    await sleep(deps.pollIntervalMs ?? 2000);
  }
  if (state === 'failed')
    fail(`The ${SECRETS_DAG_ID} run ${runId} failed in ${environment}; its task log says why`);
  if (state !== 'success')
    fail(`The ${SECRETS_DAG_ID} run ${runId} did not finish after ${maxPolls} polls (state ${state})`);

  const body = await store.get(SECRETS_FILE);
  if (body === undefined)
    fail(`The ${SECRETS_DAG_ID} run succeeded but ${store.prefix}${SECRETS_FILE} is missing`);
  return parseSecrets(Buffer.from(body).toString('utf8'), connectionIds, variableKeys);
}

/** The run's state, found in the DAG's run list (`/dags/<id>/dagRuns/<run id>` exceeds 64 characters). */
async function runState(deps: SecretsTaskDeps, environment: string, runId: string): Promise<string> {
  const response = await deps.airflow.rest(environment, {
    method: 'GET',
    path: RUNS_PATH,
    query: { order_by: '-run_after', limit: 100 },
  });
  status(response, `list the runs of ${SECRETS_DAG_ID}`);
  const runs = ((response.body as { dag_runs?: unknown[] } | undefined)?.dag_runs ?? []) as Array<{
    dag_run_id?: string;
    state?: string;
  }>;
  return runs.find((run) => run.dag_run_id === runId)?.state ?? 'missing';
}

const text = (value: unknown) => (value === undefined || value === null ? null : String(value));

/** Check the file holds exactly what was asked for; messages name ids, never values. */
export function parseSecrets(json: string, connectionIds: string[], variableKeys: string[]): Secrets {
  let parsed: { format?: unknown; connections?: unknown; variables?: unknown };
  try {
    parsed = JSON.parse(json);
  } catch {
    fail(`${SECRETS_FILE} is not JSON`);
  }
  if (parsed.format !== SECRETS_FORMAT)
    fail(`${SECRETS_FILE} has format ${String(parsed.format)}, not ${SECRETS_FORMAT}`);
  if (!Array.isArray(parsed.connections) || !Array.isArray(parsed.variables))
    fail(`${SECRETS_FILE} lacks its connections or variables list`);
  const connections = new Map<string, SecretConnection>();
  for (const raw of parsed.connections as Record<string, unknown>[]) {
    const id = String(raw.connection_id);
    connections.set(id, {
      connection_id: id,
      conn_type: text(raw.conn_type),
      description: text(raw.description),
      host: text(raw.host),
      schema: text(raw.schema),
      login: text(raw.login),
      password: text(raw.password),
      port: raw.port === undefined || raw.port === null ? null : Number(raw.port),
      extra: text(raw.extra),
    });
  }
  const variables = new Map<string, string>();
  for (const raw of parsed.variables as Record<string, unknown>[])
    variables.set(String(raw.key), String(raw.value));
  const same = (got: string[], wanted: string[]) =>
    got.length === wanted.length && [...got].sort().every((id, i) => id === wanted[i]);
  if (!same([...connections.keys()], connectionIds) || !same([...variables.keys()], variableKeys))
    fail(`${SECRETS_FILE} does not hold exactly the connections and variables the export asked for`);
  return { connections, variables };
}
