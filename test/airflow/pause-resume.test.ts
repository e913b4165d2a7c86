/**
 * Pause and resume with real Airflow behind the environment: the real workflows (ASL), the real
 * MetadataTransferFunction and the real `mwaa_ops_export`/`mwaa_ops_import` DAGs running inside
 * Airflow (`airflow dags test`), talking to the local cloud's S3 and Step Functions over HTTP. The
 * emulated MWAA plays the control plane (create, delete, trigger the DAG run); each environment's
 * metadata database is a real Airflow database. The environment is paused from Airflow 2.10.3 and
 * resumed into a fresh Airflow 2.11.0 database with another Fernet key — the database a
 * recreated environment on the newer version starts from — and compared byte for byte
 * (dags/tests/restore_check.py).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateEnvironmentCommand, type MWAAClient } from '@aws-sdk/client-mwaa';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type LocalCloud, startLocalCloud } from '../../local/index.ts';
import type { MwaaHandle } from '../../local/mwaa/index.ts';
import { root } from '../../scripts/esbuild-options.ts';
import { venvBin } from '../../scripts/python-env.ts';
import { type CloudMwaa, createEnvironmentInput, mwaaFor } from '../helpers/local-mwaa.ts';
import {
  bridgeTransferDags,
  type Postgres,
  RealAirflow,
  runCommand,
  startPostgres,
  type TransferRun,
} from '../helpers/real-airflow.ts';
import {
  environmentStatus,
  registryItem,
  statesEntered,
  until,
  workflowClients,
} from '../helpers/workflow-tests.ts';

const VERSION = '2.10.3';
const TARGET_VERSION = '2.11.0';
const SECRET_VARIABLE = 'real-sEcReT variable\nsecond line ✓';
const SECRET_PASSWORD = 'real-p@ss:w0rd/never-logged';

/**
 * The local clock runs 100× real time: the emulated MWAA lifecycle and the polls are quick, and
 * the real DAGs (seconds of real time) fit well inside the transfer timeouts and heartbeats.
 */
const CLOCK_SPEED = 100;
const TIMING = {
  pollSeconds: 60,
  heartbeatSeconds: 3600,
  exportTimeoutSeconds: 7200,
  importTimeoutSeconds: 7200,
};

let cloud: LocalCloud;
let local: CloudMwaa;
let mwaa: MwaaHandle;
let mwaaApi: MWAAClient;
let dynamodb: DynamoDBClient;
let pg: Postgres;
const airflows: RealAirflow[] = [];

/** A Fernet key as Airflow expects it (url-safe base64 of 32 bytes, padded). */
const fernetKey = () => randomBytes(32).toString('base64').replaceAll('+', '-').replaceAll('/', '_');

beforeAll(async () => {
  cloud = await startLocalCloud({ clockSpeed: CLOCK_SPEED });
  local = await mwaaFor(cloud);
  mwaa = local.mwaa;
  ({ mwaaApi, dynamodb } = workflowClients(cloud, { requestChecksumCalculation: 'WHEN_REQUIRED' }));
  pg = await startPostgres(venvBin(`airflow-${VERSION}`, 'python'));
}, 120_000);

afterAll(async () => {
  for (const airflow of airflows) airflow.close();
  await pg?.stop();
  await local?.close();
  await cloud?.stop();
});

async function newAirflow(database: string, version = VERSION): Promise<RealAirflow> {
  const airflow = await RealAirflow.create({ version, pg, database, fernetKey: fernetKey() });
  airflows.push(airflow);
  // What a new environment does at boot: parse the DAG folder (new DAGs start paused).
  await airflow.cli(['dags', 'reserialize']);
  return airflow;
}

async function newEnvironment(name: string): Promise<void> {
  await mwaaApi.send(new CreateEnvironmentCommand(createEnvironmentInput(name, VERSION) as never));
  await until(async () => (await environmentStatus(mwaaApi, name)) === 'AVAILABLE', 60_000);
}

/** Real runs and the things operators keep in an environment, including secrets. */
async function seed(airflow: RealAirflow): Promise<void> {
  for (const dagId of ['sample_etl', 'sample_consumer']) await airflow.cli(['dags', 'unpause', dagId]);
  await airflow.cli(['dags', 'test', 'sample_etl', '2026-11-02T00:00:00+00:00']);
  await airflow.cli(['variables', 'set', 'api_secret', SECRET_VARIABLE]);
  await airflow.cli([
    'connections',
    'add',
    'warehouse',
    '--conn-type',
    'postgres',
    '--conn-host',
    'db.internal',
    '--conn-login',
    'etl',
    '--conn-password',
    SECRET_PASSWORD,
  ]);
  await airflow.cli(['pools', 'set', 'etl', '3', 'ETL slots']);
  // Its file says is_paused_upon_creation=False; an operator paused it: it must stay paused.
  await airflow.cli(['dags', 'pause', 'sample_hourly']);
}

async function run(machine: 'PauseEnvironmentStateMachine' | 'ResumeEnvironmentStateMachine', input: object) {
  const arn = await cloud.startExecution(machine, { ...TIMING, ...input });
  const outcome = await cloud.waitForExecution(arn, { timeoutMs: 300_000 });
  return { arn, ...outcome, history: cloud.stepFunctions.history(arn) };
}

/** The outcome, with the real DAG runs' output when it is not the expected one. */
function summary(outcome: { status: string; error?: string; cause?: string }, runs: TransferRun[]) {
  return outcome.status === 'SUCCEEDED'
    ? { status: outcome.status }
    : { status: outcome.status, error: outcome.error, cause: outcome.cause, runs };
}

const samplePauseStates = (states: Record<string, boolean>) =>
  Object.fromEntries(Object.entries(states).filter(([dagId]) => dagId.startsWith('sample_')));

describe(`Pause and resume with the transfer DAGs in real Airflow (${VERSION} -> ${TARGET_VERSION})`, () => {
  it('backs up, deletes, recreates and restores into a fresh database with another Fernet key', async () => {
    const name = 'real-dev';
    await newEnvironment(name);
    const source = await newAirflow('real_source');
    await seed(source);
    const before = await source.pauseStates();
    const runsBefore = await source.query(
      "SELECT run_id, state FROM dag_run WHERE dag_id LIKE 'sample_%' ORDER BY run_id",
    );
    let current = source;
    const bridge = bridgeTransferDags(cloud, mwaa, name, () => current);

    const pause = await run('PauseEnvironmentStateMachine', { environment: name });
    const runs = await bridge.settled();
    expect(summary(pause, runs)).toEqual({ status: 'SUCCEEDED' });
    expect(runs.map((r) => [r.dagId, r.code])).toEqual([['mwaa_ops_export', 0]]);
    expect(statesEntered(pause.history)).toContain('DeleteEnvironment');
    // The real export's files go into the run-history archive (docs/run-history-archive.md).
    expect(statesEntered(pause.history)).toContain('ArchiveRunHistory');
    expect(statesEntered(pause.history)).not.toContain('NotifyArchiveFailed');
    // The real export paused every DAG but the transfer DAGs.
    const afterExport = await source.pauseStates();
    expect(
      Object.entries(afterExport)
        .filter(([, paused]) => !paused)
        .map(([d]) => d)
        .sort(),
    ).toEqual(['mwaa_ops_export', 'mwaa_ops_import']);
    const paused = await registryItem(dynamodb, cloud.ref('EnvironmentsTable'), name);
    expect(paused?.state?.S).toBe('PAUSED');

    // The recreated environment gets a new, empty metadata database and a new Fernet key.
    const target = await newAirflow('real_target', TARGET_VERSION);
    current = target;
    const resume = await run('ResumeEnvironmentStateMachine', { environment: name });
    await bridge.settled();
    expect(summary(resume, runs)).toEqual({ status: 'SUCCEEDED' });
    expect(runs.map((r) => [r.dagId, r.code])).toEqual([
      ['mwaa_ops_export', 0],
      ['mwaa_ops_import', 0],
    ]);

    expect(samplePauseStates(await target.pauseStates())).toEqual(samplePauseStates(before));
    expect(
      await target.query("SELECT run_id, state FROM dag_run WHERE dag_id LIKE 'sample_%' ORDER BY run_id"),
    ).toEqual(runsBefore);
    expect((await target.cli(['variables', 'get', 'api_secret'])).stdout.replace(/\n$/, '')).toBe(
      SECRET_VARIABLE,
    );
    const [connection] = JSON.parse(
      (await target.cli(['connections', 'get', 'warehouse', '-o', 'json'])).stdout,
    ) as Array<{ password: string }>;
    expect(connection?.password).toBe(SECRET_PASSWORD);
    // Every carried row, byte for byte (JSON as stored text), across versions and Fernet keys.
    const check = await runCommand(venvBin(`airflow-${TARGET_VERSION}`, 'python'), [
      join(root, 'dags', 'tests', 'restore_check.py'),
      source.env.AIRFLOW__DATABASE__SQL_ALCHEMY_CONN!,
      source.env.AIRFLOW__CORE__FERNET_KEY!,
      target.env.AIRFLOW__DATABASE__SQL_ALCHEMY_CONN!,
      target.env.AIRFLOW__CORE__FERNET_KEY!,
    ]);
    expect({ code: check.code, stderr: check.stderr.slice(-2000) }).toEqual({ code: 0, stderr: '' });
    expect(check.stdout).toMatch(/^restored exactly: \d+ tables .*dag_run.*task_instance.*variable/);
    const resumed = await registryItem(dynamodb, cloud.ref('EnvironmentsTable'), name);
    expect(resumed?.state?.S).toBe('RUNNING');
    expect(resumed?.lock).toBeUndefined();
    // Locations and counts only: no secret in the executions' histories.
    const histories = JSON.stringify([pause.history, resume.history]);
    for (const secret of [SECRET_VARIABLE, SECRET_PASSWORD, 'real-sEcReT', 'p@ss:w0rd'])
      expect(histories).not.toContain(secret);
  }, 600_000);

  it('answers the task token at once when the DAG cannot create its S3 client', async () => {
    const name = 'real-broken';
    await newEnvironment(name);
    const source = await newAirflow('real_broken');
    await source.cli(['dags', 'unpause', 'sample_etl']);
    const bridge = bridgeTransferDags(
      cloud,
      mwaa,
      name,
      () => source,
      // botocore refuses to build a client for an endpoint that is not a URL.
      () => ({ AWS_ENDPOINT_URL_S3: 'not a url' }),
    );
    const pause = await run('PauseEnvironmentStateMachine', { environment: name });
    const runs = await bridge.settled();
    expect(pause.status).toBe('FAILED');
    // Answered by SendTaskFailure from inside the DAG, not a lost heartbeat or a timeout.
    expect(pause.error).toBe('MwaaOps.UnexpectedFailure');
    expect(pause.cause).toContain('ValueError');
    expect(runs.map((r) => r.dagId)).toEqual(['mwaa_ops_export']);
    expect(statesEntered(pause.history)).not.toContain('DeleteEnvironment');
    expect(await environmentStatus(mwaaApi, name)).toBe('AVAILABLE');
    expect((await source.pauseStates()).sample_etl).toBe(false);
    const item = await registryItem(dynamodb, cloud.ref('EnvironmentsTable'), name);
    expect(item?.lock).toBeUndefined();
  }, 300_000);
});
