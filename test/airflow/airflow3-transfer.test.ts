/**
 * Airflow 3 pause/resume round trip on a real Airflow 3.0.6 from PyPI (api-server, scheduler,
 * dag-processor on PostgreSQL): the product's REST export (functions/metadata-transfer/
 * rest-transfer.ts) with the Task-SDK secrets DAG (dags/mwaa_ops_export_secrets.py), restored
 * into a fresh database with another Fernet key. Connection passwords and sensitive extras and
 * variables, which the REST API masks, come back byte for byte; none appears in a log.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { exportThroughRest, importThroughRest } from '../../functions/metadata-transfer/rest-transfer.ts';
import { readSecretsThroughTask, secretsRunId } from '../../functions/metadata-transfer/secrets-task.ts';
import { backupPrefix } from '../../functions/shared/backup/location.ts';
import { createS3BackupStore } from '../../functions/shared/backup/store.ts';
import { root } from '../../scripts/esbuild-options.ts';
import { venvBin } from '../../scripts/python-env.ts';
import { Airflow3 } from '../helpers/airflow3.ts';
import { type Postgres, RealAirflow, startPostgres } from '../helpers/real-airflow.ts';

const VERSION = '3.0.6';
const ENVIRONMENT = 'af3-source';
const BUCKET = 'mwaa-ops-backups';
const BACKUP_ID = '20261203T120000Z-af3-round-trip';
const KMS_KEY = 'arn:aws:kms:eu-west-1:111122223333:key/test-backup-key';
const PASSWORD = 'af3-p@ss:w0rd/never-logged ✓';
const EXTRA_SECRET = 'af3-extra-token-never-logged';
const VARIABLE_SECRET = 'af3-variable-secret\nsecond line';
const SECRETS = [PASSWORD, EXTRA_SECRET, 'af3-variable-secret'];

// s3rver is CommonJS without types (as in local/s3/index.ts).
interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
const S3rver = createRequire(import.meta.url)('s3rver') as new (
  options: Record<string, unknown>,
) => S3rverInstance;

const fernetKey = () => randomBytes(32).toString('base64').replaceAll('+', '-').replaceAll('/', '_');

let pg: Postgres;
let s3rver: S3rverInstance;
let s3: S3Client;
let awsEnv: Record<string, string>;
const airflows: RealAirflow[] = [];
const running: Airflow3[] = [];

beforeAll(async () => {
  pg = await startPostgres(venvBin(`airflow-${VERSION}`, 'python'));
  s3rver = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: join(tmpdir(), `mwaa-ops-af3-s3-${process.pid}`),
    resetOnClose: true,
  });
  const { port } = await s3rver.run();
  const endpoint = `http://127.0.0.1:${port}`;
  s3 = new S3Client({
    endpoint,
    region: 'eu-west-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  awsEnv = {
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'eu-west-1',
    AWS_DEFAULT_REGION: 'eu-west-1',
  };
}, 120_000);

afterAll(async () => {
  for (const component of running) await component.stop();
  for (const airflow of airflows) airflow.close();
  await pg?.stop();
  await s3rver?.close();
}, 120_000);

/** A migrated Airflow 3 database with the sample DAGs in its DAG folder. */
async function newAirflow(database: string): Promise<RealAirflow> {
  const airflow = await RealAirflow.create({ version: VERSION, pg, database, fernetKey: fernetKey() });
  airflows.push(airflow);
  // The 2.x samples (real_airflow.py puts them there) are replaced by Task SDK ones.
  rmSync(join(airflow.home, 'dags', 'mwaa_ops_samples.py'));
  copyFileSync(
    join(root, 'test', 'airflow', 'fixtures', 'mwaa_ops_samples_v3.py'),
    join(airflow.home, 'dags', 'mwaa_ops_samples_v3.py'),
  );
  return airflow;
}

async function start(
  airflow: RealAirflow,
  environment: string,
  components?: Array<'scheduler' | 'dag-processor'>,
) {
  const api = await Airflow3.start(
    airflow,
    { ...awsEnv, AIRFLOW_ENV_NAME: environment, AIRFLOW__MWAA_OPS__BACKUP_BUCKET: BUCKET },
    components,
  );
  running.push(api);
  return api;
}

async function dagIds(api: Airflow3): Promise<string[]> {
  const response = await api.rest(ENVIRONMENT, { method: 'GET', path: '/dags', query: { limit: 100 } });
  return ((response.body as { dags: Array<{ dag_id: string }> }).dags ?? []).map((d) => d.dag_id).sort();
}

async function post(api: Airflow3, path: string, body: unknown) {
  const response = await api.rest(ENVIRONMENT, { method: 'POST', path, body });
  expect({ path, status: response.status }).toEqual({ path, status: 201 });
}

/** Every connection as `airflow connections export` decrypts it (the CLI reads the database). */
async function connectionsOf(airflow: RealAirflow): Promise<Record<string, Record<string, unknown>>> {
  const file = join(airflow.home, 'connections.json');
  await airflow.cli(['connections', 'export', file, '--file-format', 'json']);
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>;
}

async function variablesOf(airflow: RealAirflow): Promise<Record<string, string>> {
  const rows = await airflow.python(
    [
      'import json',
      'from airflow.models import Variable',
      'from airflow.utils.session import create_session',
      'with create_session() as s:',
      '    print(json.dumps({v.key: v.val for v in s.query(Variable)}))',
    ].join('\n'),
  );
  return JSON.parse(rows.trim().split('\n').at(-1)!) as Record<string, string>;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe(`Airflow ${VERSION} pause/resume through the REST API and the Task SDK`, () => {
  it('carries connection passwords and extras, masked variables, pools and pause states into a fresh database with another Fernet key', async () => {
    const source = await newAirflow('af3_source');
    const api = await start(source, ENVIRONMENT);
    await api.until(
      async () =>
        (await dagIds(api)).includes('mwaa_ops_export_secrets') &&
        (await dagIds(api)).includes('sample3_idle'),
      'parsed the DAG folder',
    );

    await post(api, '/connections', {
      connection_id: 'warehouse',
      conn_type: 'postgres',
      host: 'db.internal',
      login: 'etl',
      password: PASSWORD,
      port: 5432,
      schema: 'analytics',
      extra: JSON.stringify({ sslmode: 'require', api_token: EXTRA_SECRET }),
      description: 'the warehouse',
    });
    await post(api, '/connections', { connection_id: 'plain_http', conn_type: 'http', host: 'example.org' });
    await post(api, '/variables', {
      key: 'db_password',
      value: VARIABLE_SECRET,
      description: 'sensitive by name',
    });
    await post(api, '/variables', { key: 'region', value: 'eu-west-1' });
    await post(api, '/pools', { name: 'etl', slots: 3, description: 'ETL slots', include_deferred: false });
    await api.setPaused(ENVIRONMENT, 'sample3_etl', false);
    await api.setPaused(ENVIRONMENT, 'sample3_flaky', false);

    // The API masks what the export needs: the reason the secrets task exists.
    const listed = await api.rest(ENVIRONMENT, { method: 'GET', path: '/connections/warehouse' });
    expect((listed.body as { password: string }).password).toBe('***');

    const store = createS3BackupStore({
      s3,
      bucket: BUCKET,
      prefix: backupPrefix(ENVIRONMENT, BACKUP_ID),
      kmsKeyId: KMS_KEY,
    });
    let heartbeats = 0;
    const heartbeat = async () => {
      heartbeats++;
    };
    const { manifest } = await exportThroughRest(
      {
        airflow: api.client(),
        heartbeat,
        secrets: (request) =>
          readSecretsThroughTask(
            { airflow: api.client(), heartbeat, pollIntervalMs: 500, maxPolls: 600 },
            store,
            { environment: ENVIRONMENT, backupId: BACKUP_ID, bucket: BUCKET, kmsKeyId: KMS_KEY },
            request,
          ),
      },
      store,
      {
        environment: ENVIRONMENT,
        backupId: BACKUP_ID,
        executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:pause:af3-round-trip',
        airflowVersion: VERSION,
      },
    );
    expect(heartbeats).toBeGreaterThan(0);
    expect(manifest.activeDags).toEqual(['sample3_etl', 'sample3_flaky']);
    expect(
      Object.fromEntries(Object.entries(manifest.tables).map(([name, t]) => [name, t.rows])),
    ).toMatchObject({
      variable: 2,
      connection: 2,
      slot_pool: 2,
    });
    // The task's own output (its XCom) is a count and a digest, no value.
    const xcom = await api.rest(ENVIRONMENT, {
      method: 'GET',
      path: `/dags/mwaa_ops_export_secrets/dagRuns/${encodeURIComponent(secretsRunId(BACKUP_ID))}/taskInstances/export_connection_secrets/xcomEntries/return_value`,
    });
    expect(xcom.status).toBe(200);
    expect(JSON.stringify(xcom.body)).toContain('sha256');
    expect(SECRETS.filter((secret) => JSON.stringify(xcom.body).includes(secret))).toEqual([]);
    const sourceLogs = filesUnder(source.home).filter(
      (path) => /\.(log|json)$/.test(path) || path.includes('/logs/'),
    );
    await api.stop();

    // The resumed environment: a new database, another Fernet key, the same DAG files.
    const target = await newAirflow('af3_target');
    const resumed = await start(target, ENVIRONMENT, ['dag-processor']);
    await resumed.until(
      async () => (await dagIds(resumed)).includes('sample3_idle'),
      'parsed the DAG folder',
    );
    const { restored } = await importThroughRest({ airflow: resumed.client(), heartbeat }, store, {
      environment: ENVIRONMENT,
      backupId: BACKUP_ID,
    });
    expect(restored).toMatchObject({ variable: 2, connection: 2, slot_pool: 2 });

    const connections = await connectionsOf(target);
    expect(connections.warehouse).toMatchObject({
      conn_type: 'postgres',
      host: 'db.internal',
      login: 'etl',
      password: PASSWORD,
      port: 5432,
      schema: 'analytics',
      description: 'the warehouse',
    });
    expect(JSON.parse(String(connections.warehouse?.extra))).toEqual({
      sslmode: 'require',
      api_token: EXTRA_SECRET,
    });
    expect(connections.plain_http).toMatchObject({ conn_type: 'http', host: 'example.org' });
    expect(await variablesOf(target)).toEqual({ db_password: VARIABLE_SECRET, region: 'eu-west-1' });
    const pools = await resumed.rest(ENVIRONMENT, { method: 'GET', path: '/pools' });
    expect(
      (pools.body as { pools: Array<Record<string, unknown>> }).pools.find((p) => p.name === 'etl'),
    ).toMatchObject({
      slots: 3,
      description: 'ETL slots',
    });
    const states = await target.pauseStates();
    expect({ etl: states.sample3_etl, flaky: states.sample3_flaky, idle: states.sample3_idle }).toEqual({
      etl: false,
      flaky: false,
      idle: true,
    });

    // No secret in anything the source wrote outside the backup: task logs, component logs.
    // The check reads what the secrets task really logged (its task log exists).
    expect(sourceLogs.filter((path) => path.includes('export_connection_secrets')).length).toBeGreaterThan(0);
    const leaks = sourceLogs.filter((path) =>
      SECRETS.some((secret) => readFileSync(path, 'utf8').includes(secret)),
    );
    expect(leaks).toEqual([]);
  }, 600_000);
});
