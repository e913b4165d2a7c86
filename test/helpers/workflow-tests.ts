/**
 * Setup and probes shared by the workflow integration tests (pause/resume, upgrade, metadata
 * transfer): SDK clients pointed at a local cloud, MWAA status, the registry item, the states
 * an execution entered, and comparable snapshots of an environment's config tables.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetEnvironmentCommand, MWAAClient } from '@aws-sdk/client-mwaa';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { LocalCloud } from '../../local/index.ts';

/** Region and credentials of the local cloud, for any SDK client. */
/**
 * Workflow settings for tests on the local cloud (clock ×2000): polls every emulated minute, so
 * MWAA's 15-minute delete takes under half a second; the heartbeat allowance (1.8 s real) leaves
 * room for a cold start of a function.
 */
export const FAST_WORKFLOW_SETTINGS = {
  pollSeconds: 60,
  heartbeatSeconds: 3600,
  exportTimeoutSeconds: 7200,
  importTimeoutSeconds: 7200,
} as const;

export function localSdkConfig(cloud: LocalCloud) {
  return {
    region: cloud.env.AWS_REGION,
    credentials: {
      accessKeyId: cloud.env.AWS_ACCESS_KEY_ID,
      secretAccessKey: cloud.env.AWS_SECRET_ACCESS_KEY,
    },
  };
}

/** MWAA, S3 and DynamoDB clients on the local cloud; `s3` adds S3 client settings. */
export function workflowClients(cloud: LocalCloud, s3: Partial<S3ClientConfig> = {}) {
  const config = localSdkConfig(cloud);
  return {
    config,
    mwaaApi: new MWAAClient({
      ...config,
      endpoint: cloud.env.AWS_ENDPOINT_URL_MWAA,
      disableHostPrefix: true,
    }),
    s3: new S3Client({ ...config, endpoint: cloud.env.AWS_ENDPOINT_URL_S3, forcePathStyle: true, ...s3 }),
    dynamodb: new DynamoDBClient({ ...config, endpoint: cloud.env.AWS_ENDPOINT_URL_DYNAMODB }),
  };
}

/** The environment's MWAA status, `GONE` when it does not exist. */
export async function environmentStatus(mwaaApi: MWAAClient, name: string): Promise<string> {
  try {
    const out = await mwaaApi.send(new GetEnvironmentCommand({ Name: name }));
    return out.Environment?.Status ?? 'UNKNOWN';
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return 'GONE';
    throw error;
  }
}

/** Poll `probe` every 25 ms (real time) until it holds; throws after `timeoutMs`. */
export async function until(probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The EnvironmentsTable item of `name`, in DynamoDB JSON; undefined when absent. */
export async function registryItem(dynamodb: DynamoDBClient, table: string, name: string) {
  const out = await dynamodb.send(
    new GetItemCommand({ TableName: table, Key: { environment: { S: name } }, ConsistentRead: true }),
  );
  return out.Item;
}

/** Names of the states an execution entered, in order, from its history. */
export function statesEntered(history: readonly unknown[]): string[] {
  return history
    .filter((e) => String((e as { type: string }).type).endsWith('StateEntered'))
    .map((e) =>
      String((e as { stateEnteredEventDetails?: { name?: string } }).stateEnteredEventDetails?.name),
    );
}

type Rows = Array<Record<string, unknown>>;

/** The rows with the `drop` columns left out. */
export const withoutColumns = (rows: Rows, drop: string[]): Rows =>
  rows.map((row) => Object.fromEntries(Object.entries(row).filter(([k]) => !drop.includes(k))));

/** Variables, connections and pools as a comparable snapshot (surrogate ids and encryption flags left out). */
export function configTables(store: { all(sql: string): Rows }) {
  return {
    variable: withoutColumns(store.all('SELECT * FROM variable ORDER BY key'), ['id', 'is_encrypted']),
    connection: withoutColumns(store.all('SELECT * FROM connection ORDER BY conn_id'), [
      'id',
      'is_encrypted',
      'is_extra_encrypted',
    ]),
    slot_pool: withoutColumns(store.all('SELECT * FROM slot_pool ORDER BY pool'), ['id']),
  };
}

/** The rows that do not belong to the project's own transfer DAGs (`mwaa_ops_*`). */
export const withoutTransferDags = (rows: Rows): Rows =>
  rows.filter((r) => !String(r.dag_id ?? '').startsWith('mwaa_ops_'));

/** Run history outside the transfer DAGs, generated keys left out. */
export function runHistory(store: { all(sql: string): Rows }) {
  return {
    dag_run: withoutColumns(withoutTransferDags(store.all('SELECT * FROM dag_run ORDER BY dag_id, run_id')), [
      'id',
      'creating_job_id',
    ]),
    task_instance: withoutColumns(
      withoutTransferDags(store.all('SELECT * FROM task_instance ORDER BY dag_id, run_id, task_id')),
      ['job_id'],
    ),
  };
}

/** `is_paused` (0 or 1) by DAG id, the transfer DAGs left out. */
export function dagPauseStates(store: { all(sql: string): Rows }): Record<string, number> {
  return Object.fromEntries(
    store
      .all("SELECT dag_id, is_paused FROM dag WHERE dag_id NOT LIKE 'mwaa_ops_%' ORDER BY dag_id")
      .map((r) => [String(r.dag_id), Number(r.is_paused)]),
  );
}
