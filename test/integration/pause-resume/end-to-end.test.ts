/**
 * Pause and resume end to end on the local cloud built from template.yaml: the real ASL, the
 * real MetadataTransferFunction, the MWAA emulator with the emulated export/import DAGs
 * (Airflow 2.x) and the REST transfer (Airflow 3.x). Each safety invariant of
 * docs/architecture.md §6.1 has a case here; the workflows' control flow alone is covered in
 * test/integration/pause-resume/control-flow.test.ts.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateEnvironmentCommand, type MWAAClient } from '@aws-sdk/client-mwaa';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { type LocalCloud, startLocalCloud } from '../../../local/index.ts';
import type { MwaaHandle } from '../../../local/mwaa/index.ts';
import { installTransferDags, type TransferDagsHandle } from '../../../local/mwaa/transfer-dags.ts';
import { type CloudMwaa, createEnvironmentInput, mwaaFor } from '../../helpers/local-mwaa.ts';
import {
  configTables,
  dagPauseStates,
  environmentStatus,
  FAST_WORKFLOW_SETTINGS,
  registryItem,
  runHistory,
  statesEntered,
  until as waitUntil,
  workflowClients,
} from '../../helpers/workflow-tests.ts';

/** Seeded secret values: none may appear in a log line, execution history or notification. */
const SECRETS = {
  variable: 'pr-sEcReT-variable\nwith a second line ✓',
  password: 'pr-p@ssw0rd-never-logged',
  extra: 'pr-extra-token-5e4d3c',
};

const FAST = FAST_WORKFLOW_SETTINGS;

let cloud: LocalCloud;
let local: CloudMwaa;
let mwaa: MwaaHandle;
let transfer: TransferDagsHandle;
let mwaaApi: MWAAClient;
let s3: S3Client;
let dynamodb: DynamoDBClient;
let bucket: string;
let table: string;
let topicArn: string;
let counter = 0;
const executions: string[] = [];

beforeAll(async () => {
  cloud = await startLocalCloud({ clockSpeed: 2000 });
  local = await mwaaFor(cloud);
  mwaa = local.mwaa;
  const clients = workflowClients(cloud, { requestChecksumCalculation: 'WHEN_REQUIRED' });
  ({ mwaaApi, s3, dynamodb } = clients);
  const { config } = clients;
  const existing = (cloud as unknown as { transferDags?: TransferDagsHandle }).transferDags;
  transfer =
    existing ??
    installTransferDags(mwaa, {
      s3,
      sfn: new SFNClient({ ...config, endpoint: cloud.env.AWS_ENDPOINT_URL_SFN }),
    });
  bucket = cloud.ref('BackupBucket');
  table = cloud.ref('EnvironmentsTable');
  topicArn = cloud.ref('NotificationTopic');
}, 120_000);

afterAll(async () => {
  transfer?.close();
  await local?.close();
  await cloud?.stop();
});

beforeEach(() => {
  cloud.faults.clear();
  transfer.faults.clear();
});

const status = (name: string) => environmentStatus(mwaaApi, name);
const until = (probe: () => Promise<boolean>, timeoutMs = 30_000) => waitUntil(probe, timeoutMs);

/**
 * An AVAILABLE environment seeded with variables (one secret), connections (with a password on
 * 2.x), pools, DAGs and run history.
 */
async function seededEnvironment(version: string): Promise<string> {
  counter += 1;
  const name = `pr-${version.replaceAll('.', '')}-${counter}`;
  await mwaaApi.send(new CreateEnvironmentCommand(createEnvironmentInput(name, version) as never));
  await until(async () => (await status(name)) === 'AVAILABLE');
  const airflow = mwaa.airflow(name);
  airflow.addDag('etl_daily', { paused: false, tasks: ['extract', 'load'], durationMs: 1_000 });
  airflow.addDag('ml_train', { paused: false, durationMs: 1_000 });
  airflow.addDag('reports', { paused: true });
  airflow.setVariable('api_secret', SECRETS.variable, 'the secret one');
  airflow.setVariable('plain', 'hello');
  airflow.setConnection({
    conn_id: 'warehouse',
    conn_type: 'postgres',
    host: 'db.internal',
    login: 'etl',
    port: 5432,
    // Airflow 3's REST API masks connection secrets, so a 3.x pause refuses them
    // (SecretsNotExportableError; docs/pause-resume.md): they belong in a secrets backend there.
    ...(version.startsWith('2.')
      ? { password: SECRETS.password, extra: JSON.stringify({ token: SECRETS.extra }) }
      : {}),
  });
  airflow.setPool('default_pool', 64, 'Default pool (resized)');
  airflow.setPool('gpu', 2, 'GPU slots');
  for (let i = 0; i < 2; i += 1) {
    const run = airflow.triggerDagRun('etl_daily', {
      runId: `manual__seed_${i}`,
      logicalDate: `2026-11-2${i}T10:00:00+00:00`,
      conf: { i },
    });
    await airflow.waitForRun('etl_daily', String(run.run_id));
  }
  return name;
}

/** Variables, connections and pools, surrogate ids and encryption flags left out. */
const configOf = (name: string) => configTables(mwaa.airflow(name).store);

/** Run history outside the transfer DAGs, generated keys left out. */
const historyOf = (name: string) => runHistory(mwaa.airflow(name).store);

const pausedState = (name: string) => dagPauseStates(mwaa.airflow(name).store);

/**
 * Pause states travel both ways (docs/backup-format.md, Import rules): the DAGs that were on are
 * on again, and the paused ones are paused, including DAGs the new environment has not parsed yet
 * (they get a placeholder row with their state).
 */
function expectPauseStatesRestored(name: string, before: Record<string, number>) {
  const after = pausedState(name);
  for (const [dagId, paused] of Object.entries(before)) {
    expect({ dagId, paused: after[dagId] }).toEqual({ dagId, paused });
  }
}

async function run(machine: 'PauseEnvironmentStateMachine' | 'ResumeEnvironmentStateMachine', input: object) {
  const arn = await cloud.startExecution(machine, { ...FAST, ...input });
  executions.push(arn);
  const outcome = await cloud.waitForExecution(arn, { timeoutMs: 120_000 });
  return { arn, ...outcome, history: cloud.stepFunctions.history(arn) };
}

const entered = statesEntered;
const registry = (name: string) => registryItem(dynamodb, table, name);

async function backupObjects(name: string) {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `backups/${name}/` }));
  return (out.Contents ?? []).map((o) => [o.Key, o.ETag, o.Size]);
}

function notified(executionArn: string): string[] {
  return cloud.sns
    .messages(topicArn)
    .map((m) => JSON.parse(m.message) as { detail: { executionArn: string; status: string } })
    .filter((e) => e.detail.executionArn === executionArn)
    .map((e) => e.detail.status);
}

describe.each(['2.10.3', '3.0.6'])('Pause and resume on Airflow %s', (version) => {
  it('restores every seeded row exactly after a full cycle', async () => {
    const name = await seededEnvironment(version);
    const config = configOf(name);
    const history = historyOf(name);
    const paused = pausedState(name);

    const pause = await run('PauseEnvironmentStateMachine', { environment: name });
    expect({ status: pause.status, error: pause.error, cause: pause.cause }).toEqual({ status: 'SUCCEEDED' });
    expect(await status(name)).toBe('GONE');
    expect((await registry(name))?.state?.S).toBe('PAUSED');

    const resuming = run('ResumeEnvironmentStateMachine', { environment: name });
    if (version.startsWith('3.')) {
      // The 3.x import unpauses DAGs through the REST API, which needs them parsed: play the DAG
      // processor of the new environment (new DAGs start paused), a while after it is AVAILABLE.
      await until(async () => (await status(name)) === 'AVAILABLE');
      await new Promise((resolve) => setTimeout(resolve, 100));
      for (const dagId of Object.keys(paused)) mwaa.airflow(name).addDag(dagId, { paused: true });
    }
    const resume = await resuming;
    expect({ status: resume.status, error: resume.error, cause: resume.cause }).toEqual({
      status: 'SUCCEEDED',
    });
    expect(await status(name)).toBe('AVAILABLE');
    expect(configOf(name)).toEqual(config);
    expectPauseStatesRestored(name, paused);
    // Airflow 3 forbids database access: run history is archived in the backup, not restored.
    if (version.startsWith('2.')) expect(historyOf(name)).toEqual(history);
    const item = await registry(name);
    expect(item?.state?.S).toBe('RUNNING');
    expect(item?.lock).toBeUndefined();
  }, 180_000);
});

describe('Safety invariants (Airflow 2.x)', () => {
  it.each([
    ['the export DAG fails', 'export-fails'],
    ['the export stops heartbeating', 'no-heartbeat'],
    ['a checksum is wrong', 'corrupt-checksum'],
  ] as const)(
    'when %s: still AVAILABLE, DAGs re-enabled, lock released, notified',
    async (_case, fault) => {
      const name = await seededEnvironment('2.10.3');
      const paused = pausedState(name);
      transfer.faults.set(name, fault);
      const pause = await run('PauseEnvironmentStateMachine', {
        environment: name,
        ...(fault === 'no-heartbeat' ? { heartbeatSeconds: 600 } : {}),
      });
      expect(pause.status).toBe('FAILED');
      if (fault === 'corrupt-checksum') expect(pause.error).toBe('BackupVerificationError');
      if (fault === 'no-heartbeat') expect(pause.error).toBe('States.HeartbeatTimeout');
      expect(entered(pause.history)).not.toContain('DeleteEnvironment');
      expect(await status(name)).toBe('AVAILABLE');
      expect(pausedState(name)).toEqual(paused);
      const item = await registry(name);
      expect(item?.lock).toBeUndefined();
      expect(item?.lastVerifiedBackup).toBeUndefined();
      expect(notified(pause.arn)).toEqual(['FAILED']);
    },
    120_000,
  );

  it('CREATE_FAILED: resume fails fast and the backup is untouched', async () => {
    const name = await seededEnvironment('2.10.3');
    expect((await run('PauseEnvironmentStateMachine', { environment: name })).status).toBe('SUCCEEDED');
    const before = await backupObjects(name);
    mwaa.failNext(name, 'CREATE_FAILED');
    const resume = await run('ResumeEnvironmentStateMachine', { environment: name });
    expect(resume.status).toBe('FAILED');
    expect(resume.error).toBe('EnvironmentCreateFailedError');
    expect(entered(resume.history)).not.toContain('Import');
    expect(await backupObjects(name)).toEqual(before);
    expect((await registry(name))?.lock).toBeUndefined();
  }, 180_000);

  it('a failed import is clear, leaves the backup untouched and can be re-run', async () => {
    const name = await seededEnvironment('2.10.3');
    const config = configOf(name);
    expect((await run('PauseEnvironmentStateMachine', { environment: name })).status).toBe('SUCCEEDED');
    const before = await backupObjects(name);
    transfer.faults.set(name, 'import-fails');
    const failed = await run('ResumeEnvironmentStateMachine', { environment: name });
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toMatch(/^MwaaOps\./);
    expect(await backupObjects(name)).toEqual(before);
    expect((await registry(name))?.lock).toBeUndefined();

    transfer.faults.clear(name);
    const rerun = await run('ResumeEnvironmentStateMachine', { environment: name });
    expect(rerun.status).toBe('SUCCEEDED');
    expect(configOf(name)).toEqual(config);
  }, 180_000);

  it('resuming a running environment is a no-op', async () => {
    const name = await seededEnvironment('2.10.3');
    const resume = await run('ResumeEnvironmentStateMachine', { environment: name });
    expect(resume.status).toBe('SUCCEEDED');
    expect(resume.output).toMatchObject({ noop: true });
    expect(entered(resume.history)).not.toContain('Recreate');
  }, 60_000);

  it('a retried export invocation does not start a second export', async () => {
    const name = await seededEnvironment('2.10.3');
    // Faults are taken in order: plan and snapshot pass (a 0 ms latency), the export's first
    // invocation is refused by Lambda and retried by the workflow.
    cloud.faults.inject({ service: 'lambda', operation: 'Invoke', error: 'Latency', delayMs: 0, times: 2 });
    cloud.faults.inject({
      service: 'lambda',
      operation: 'Invoke',
      error: 'TooManyRequestsException',
      status: 429,
    });
    const arn = await cloud.startExecution('PauseEnvironmentStateMachine', { ...FAST, environment: name });
    executions.push(arn);
    const outcome = await cloud.waitForExecution(arn, { timeoutMs: 120_000 });
    expect(outcome.status).toBe('SUCCEEDED');
    // The export runs in the backup child, an execution named after the pause.
    const child = `${cloud.ref('BackupEnvironmentStateMachine').replace(':stateMachine:', ':execution:')}:${arn.split(':').at(-1)}`;
    const attempts = cloud.stepFunctions
      .history(child)
      .filter((e) => e.type === 'TaskScheduled' && JSON.stringify(e).includes('invoke.waitForTaskToken'));
    expect(attempts).toHaveLength(2);
    expect(
      transfer.answers.filter((a) => a.dagId === 'mwaa_ops_export' && a.environment === name),
    ).toHaveLength(1);
  }, 120_000);

  it('completes when MWAA is briefly unavailable to its calls', async () => {
    const name = await seededEnvironment('2.10.3');
    // MWAA's model has no ThrottlingException (faults.inject refuses it): its 503 instead.
    for (const operation of ['GetEnvironment', 'DeleteEnvironment', 'CreateEnvironment', 'InvokeRestApi']) {
      cloud.faults.inject({ service: 'mwaa', operation, error: 'ServiceUnavailableException', times: 2 });
    }
    const pause = await run('PauseEnvironmentStateMachine', { environment: name });
    expect(pause.status).toBe('SUCCEEDED');
    for (const operation of ['GetEnvironment', 'CreateEnvironment', 'InvokeRestApi']) {
      cloud.faults.inject({ service: 'mwaa', operation, error: 'ServiceUnavailableException', times: 2 });
    }
    const resume = await run('ResumeEnvironmentStateMachine', { environment: name });
    expect(resume.status).toBe('SUCCEEDED');
  }, 180_000);
});

/**
 * Start a pause and stop it while its export runs: the export has paused the active DAGs and its
 * worker hangs (the run stays `running`), as when the workflow is stopped mid-export.
 */
async function stopPauseDuringExport(name: string): Promise<string> {
  transfer.faults.set(name, 'no-heartbeat');
  const first = await cloud.startExecution('PauseEnvironmentStateMachine', {
    ...FAST,
    environment: name,
    heartbeatSeconds: 360_000,
    exportTimeoutSeconds: 400_000,
  });
  executions.push(first);
  const running = () =>
    mwaa
      .airflow(name)
      .dagRuns('mwaa_ops_export')
      .filter((run) => run.state === 'running').length;
  await until(async () => running() === 1 && pausedState(name).etl_daily === 1);
  cloud.stepFunctions.stopExecution(first);
  expect((await cloud.waitForExecution(first)).status).toBe('ABORTED');
  transfer.faults.clear(name);
  return first;
}

/**
 * The orphaned export run ends only once `executionArn` waits for it (or has ended without
 * waiting): released, it ends failed without re-enabling anything, as a killed worker would.
 */
async function releaseOrphanedExportOnceWaitedFor(executionArn: string): Promise<void> {
  await until(
    async () =>
      entered(cloud.stepFunctions.history(executionArn)).includes('CheckStaleExports') ||
      cloud.stepFunctions.describe(executionArn).status !== 'RUNNING',
  );
  transfer.close();
}

describe('Exactly once, never lose data (Airflow 2.x)', () => {
  it('a pause stopped while its export runs, retried and resumed, leaves the same DAGs active', async () => {
    const name = await seededEnvironment('2.10.3');
    const before = pausedState(name);
    expect(before).toEqual({ etl_daily: 0, ml_train: 0, reports: 1 });
    const first = await stopPauseDuringExport(name);

    // The retry finds the stopped pause's lock and takes it over.
    const retry = await cloud.startExecution('PauseEnvironmentStateMachine', {
      ...FAST,
      environment: name,
      exportTimeoutSeconds: 72_000,
    });
    executions.push(retry);
    await releaseOrphanedExportOnceWaitedFor(retry);
    const pause = await cloud.waitForExecution(retry, { timeoutMs: 120_000 });
    expect({ status: pause.status, error: pause.error, cause: pause.cause }).toEqual({ status: 'SUCCEEDED' });
    // The backup records the pause states from before the stopped export paused anything.
    const backupId = (pause.output as { backupId: string }).backupId;
    const manifest = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: `backups/${name}/${backupId}/manifest.json` }),
    );
    expect(
      JSON.parse(await (manifest.Body as { transformToString(): Promise<string> }).transformToString()),
    ).toMatchObject({
      activeDags: ['etl_daily', 'ml_train'],
      pausedDags: ['reports'],
    });

    const resume = await run('ResumeEnvironmentStateMachine', { environment: name });
    expect({ status: resume.status, error: resume.error, cause: resume.cause }).toEqual({
      status: 'SUCCEEDED',
    });
    // The DAGs the stopped export paused are on again, and the paused one is still paused.
    expect(pausedState(name)).toEqual(before);
    const history = entered(cloud.stepFunctions.history(retry));
    expect(history).toEqual(expect.arrayContaining(['TakeStaleLock', 'StopStaleBackup', 'RestoreStaleDags']));
    // The stopped pause's backup child is stopped too, whatever the engine did with it.
    const firstChild = `${cloud.ref('BackupEnvironmentStateMachine').replace(':stateMachine:', ':execution:')}:${first.split(':').at(-1)}`;
    expect(cloud.stepFunctions.describe(firstChild).status).not.toBe('RUNNING');
  }, 180_000);

  it('a resume that takes over a pause stopped during its export re-enables the DAGs it paused', async () => {
    const name = await seededEnvironment('2.10.3');
    const before = pausedState(name);
    const first = await stopPauseDuringExport(name);
    expect(pausedState(name)).toMatchObject({ etl_daily: 1, ml_train: 1 });

    const resume = await cloud.startExecution('ResumeEnvironmentStateMachine', {
      ...FAST,
      environment: name,
    });
    executions.push(resume);
    await releaseOrphanedExportOnceWaitedFor(resume);
    const outcome = await cloud.waitForExecution(resume, { timeoutMs: 120_000 });
    expect({ status: outcome.status, error: outcome.error, cause: outcome.cause }).toEqual({
      status: 'SUCCEEDED',
    });
    expect(outcome.output).toMatchObject({ noop: true, state: 'RUNNING' });
    expect(await status(name)).toBe('AVAILABLE');
    expect(pausedState(name)).toEqual(before);
    const item = await registry(name);
    expect(item?.lock).toBeUndefined();
    expect(item?.state?.S).toBe('RUNNING');
    const firstChild = `${cloud.ref('BackupEnvironmentStateMachine').replace(':stateMachine:', ':execution:')}:${first.split(':').at(-1)}`;
    expect(cloud.stepFunctions.describe(firstChild).status).not.toBe('RUNNING');
  }, 180_000);

  it('resume verifies the backup before CreateEnvironment: a bad backup creates nothing', async () => {
    const name = await seededEnvironment('2.10.3');
    const pause = await run('PauseEnvironmentStateMachine', { environment: name });
    expect(pause.status).toBe('SUCCEEDED');
    const backupId = (pause.output as { backupId: string }).backupId;
    // One table file changes after the pause verified it (bit rot, a bad copy, a hand edit).
    const key = `backups/${name}/${backupId}/tables/variable.jsonl.gz`;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from('not the backup') }));
    const creates = () => cloud.faults.calls()['mwaa:CreateEnvironment'] ?? 0;
    const createsBefore = creates();

    const resume = await run('ResumeEnvironmentStateMachine', { environment: name });
    expect(resume.status).toBe('FAILED');
    // No CreateEnvironment call, no environment: the bad backup cost nothing.
    expect(creates()).toBe(createsBefore);
    expect(await status(name)).toBe('GONE');
    expect(entered(resume.history)).not.toContain('Recreate');
    expect(resume.error).toBe('BackupVerificationError');
    expect(resume.cause).toContain('variable.jsonl.gz');
    const item = await registry(name);
    expect(item?.lock).toBeUndefined();
    expect(item?.state?.S).toBe('PAUSED');
    expect(item?.lastFailure?.M?.error?.S).toBe('BackupVerificationError');
    expect(item?.lastVerifiedBackup?.M?.backupId?.S).toBe(backupId);
    expect(notified(resume.arn)).toEqual(['FAILED']);
  }, 180_000);
});

describe('Secrets', () => {
  it('appear in no execution history, function log line or notification', () => {
    expect(executions.length).toBeGreaterThan(5);
    const texts = [
      ...executions.map((arn) => JSON.stringify(cloud.stepFunctions.history(arn))),
      cloud.logs('MetadataTransferFunction').join('\n'),
      JSON.stringify(cloud.sns.messages()),
      JSON.stringify(transfer.answers),
    ];
    for (const text of texts) {
      for (const secret of [SECRETS.password, SECRETS.extra, 'pr-sEcReT-variable']) {
        expect(text).not.toContain(secret);
      }
    }
  });
});
