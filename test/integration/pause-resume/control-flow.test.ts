/**
 * The pause/resume state machines' control flow on the local cloud: the real ASL, the MWAA
 * emulator and DynamoDB, with a scripted stand-in for MetadataTransferFunction
 * (fixtures/functions/transfer-stub) so each failure can be provoked on demand. Every case
 * asserts the environment, the registry item (lock, state, failure) and the execution history.
 * The full cycle with the real transfer function is test/integration/pause-resume/end-to-end.test.ts.
 */
import { type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateEnvironmentCommand, type MWAAClient } from '@aws-sdk/client-mwaa';
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { type LocalCloud, startLocalCloud } from '../../../local/index.ts';
import type { MwaaHandle } from '../../../local/mwaa/index.ts';
import { type CloudMwaa, createEnvironmentInput, mwaaFor } from '../../helpers/local-mwaa.ts';
import {
  environmentStatus,
  FAST_WORKFLOW_SETTINGS,
  registryItem,
  statesEntered,
  until as waitUntil,
  workflowClients,
} from '../../helpers/workflow-tests.ts';

const templatePath = new URL('../fixtures/pause-resume-template.yaml', import.meta.url).pathname;

const FAST = FAST_WORKFLOW_SETTINGS;

let cloud: LocalCloud;
let local: CloudMwaa;
let mwaa: MwaaHandle;
let mwaaApi: MWAAClient;
let s3: S3Client;
let dynamodb: DynamoDBClient;
let bucket: string;
let table: string;
let topicArn: string;
let envCounter = 0;

beforeAll(async () => {
  cloud = await startLocalCloud({ templatePath, clockSpeed: 2000 });
  local = await mwaaFor(cloud);
  mwaa = local.mwaa;
  ({ mwaaApi, s3, dynamodb } = workflowClients(cloud));
  bucket = cloud.ref('BackupBucket');
  table = cloud.ref('EnvironmentsTable');
  topicArn = cloud.ref('NotificationTopic');
}, 60_000);

afterAll(async () => {
  await local?.close();
  await cloud?.stop();
});

beforeEach(() => cloud.faults.clear());

/** A fresh AVAILABLE environment per test, so tests never share state. */
async function availableEnvironment(script: Record<string, unknown> = {}): Promise<string> {
  envCounter += 1;
  const name = `wf-${envCounter}`;
  await mwaaApi.send(new CreateEnvironmentCommand(createEnvironmentInput(name, '2.10.3') as never));
  await until(async () => (await status(name)) === 'AVAILABLE');
  await setScript(name, script);
  return name;
}

async function setScript(name: string, script: Record<string, unknown>): Promise<void> {
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: `control/${name}.json`, Body: JSON.stringify(script) }),
  );
}

const status = (name: string) => environmentStatus(mwaaApi, name);
const until = (probe: () => Promise<boolean>, timeoutMs = 20_000) => waitUntil(probe, timeoutMs);
const registry = (name: string) => registryItem(dynamodb, table, name);

async function calls(name: string, action: string): Promise<number> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `calls/${name}/${action}/` }));
  return out.KeyCount ?? 0;
}

async function run(machine: 'PauseEnvironmentStateMachine' | 'ResumeEnvironmentStateMachine', input: object) {
  const arn = await cloud.startExecution(machine, { ...FAST, ...input });
  const outcome = await cloud.waitForExecution(arn, { timeoutMs: 60_000 });
  return { arn, ...outcome, history: cloud.stepFunctions.history(arn) };
}

function notificationsFor(executionArn: string) {
  return cloud.sns
    .messages(topicArn)
    .map((m) => JSON.parse(m.message) as { detail: { executionArn: string; status: string; error?: string } })
    .filter((event) => event.detail.executionArn === executionArn);
}

/** The pause takes its backup in BackupEnvironmentStateMachine, as an execution named after it. */
function backupChildOf(pauseArn: string): string {
  const machine = cloud.ref('BackupEnvironmentStateMachine').replace(':stateMachine:', ':execution:');
  return `${machine}:${pauseArn.split(':').at(-1)}`;
}

describe('Pause and resume workflows (scripted transfer function)', () => {
  it('pauses an AVAILABLE environment: verified backup recorded, environment deleted, PAUSED, lock released', async () => {
    const name = await availableEnvironment();
    const pause = await run('PauseEnvironmentStateMachine', { environment: name });

    expect(pause.status).toBe('SUCCEEDED');
    expect(await status(name)).toBe('GONE');
    const item = await registry(name);
    expect(item?.state?.S).toBe('PAUSED');
    expect(item?.lock).toBeUndefined();
    const backupId = (pause.output as { backupId: string }).backupId;
    expect(item?.lastVerifiedBackup?.M?.backupId?.S).toBe(backupId);
    expect(backupId).toMatch(/^\d{8}T\d{6}Z-[A-Za-z0-9-]+$/);
    const entered = statesEntered(pause.history);
    // Invariant 1 (docs/architecture.md §6.1): delete only after the backup verified and was
    // recorded, which the backup child (named after the pause) does before it succeeds.
    const inChild = statesEntered(cloud.stepFunctions.history(backupChildOf(pause.arn)));
    expect(inChild).toEqual(expect.arrayContaining(['Export', 'Verify', 'RecordVerifiedBackup', 'BackedUp']));
    expect(inChild.indexOf('Verify')).toBeGreaterThan(inChild.indexOf('Export'));
    expect(inChild.indexOf('RecordVerifiedBackup')).toBeGreaterThan(inChild.indexOf('Verify'));
    expect(entered).toContain('Backup');
    expect(entered.indexOf('DeleteEnvironment')).toBeGreaterThan(entered.indexOf('Backup'));

    const resume = await run('ResumeEnvironmentStateMachine', { environment: name });
    expect(resume.status).toBe('SUCCEEDED');
    expect(resume.output).toMatchObject({ environment: name, state: 'RUNNING', backupId });
    expect(await status(name)).toBe('AVAILABLE');
    const after = await registry(name);
    expect(after?.state?.S).toBe('RUNNING');
    expect(after?.lock).toBeUndefined();
    expect(await calls(name, 'import')).toBe(1);
  }, 90_000);

  it('drains running DAG runs for at most drainTimeoutSeconds, then proceeds', async () => {
    const name = await availableEnvironment({ running: 3 });
    const pause = await run('PauseEnvironmentStateMachine', {
      environment: name,
      drain: true,
      drainPollSeconds: 60,
      drainTimeoutSeconds: 180,
    });
    expect(pause.status).toBe('SUCCEEDED');
    // 0, 60, 120, 180 seconds waited: four counts, then the bound is reached.
    expect(await calls(name, 'countRunning')).toBe(4);
  }, 60_000);

  it('resuming an environment that is already running is a no-op', async () => {
    const name = await availableEnvironment();
    const resume = await run('ResumeEnvironmentStateMachine', { environment: name });
    expect(resume.status).toBe('SUCCEEDED');
    expect(resume.output).toMatchObject({ noop: true, state: 'RUNNING' });
    expect(await calls(name, 'recreate')).toBe(0);
    expect(await calls(name, 'findBackup')).toBe(0);
    expect((await registry(name))?.lock).toBeUndefined();
  }, 60_000);

  it('refuses a second operation while one holds the lock, and takes over a stale lock', async () => {
    const name = await availableEnvironment({ export: 'silent' });
    const first = await cloud.startExecution('PauseEnvironmentStateMachine', {
      ...FAST,
      environment: name,
      heartbeatSeconds: 36_000,
      exportTimeoutSeconds: 40_000,
    });
    await until(async () => (await calls(name, 'export')) === 1);

    const second = await run('ResumeEnvironmentStateMachine', { environment: name });
    expect(second.status).toBe('FAILED');
    expect(second.error).toBe('LockHeldError');
    // The refused execution released nothing: the first still holds the lock.
    expect((await registry(name))?.lock?.M?.executionArn?.S).toBe(first);
    expect(statesEntered(second.history)).not.toContain('ReleaseLockAfterFailure');
    expect(notificationsFor(second.arn).map((e) => e.detail.status)).toEqual(['FAILED']);

    // A stopped execution cannot release its lock; the next operation sees it is stale.
    cloud.stepFunctions.stopExecution(first);
    await setScript(name, {});
    const third = await run('PauseEnvironmentStateMachine', { environment: name });
    expect(third.status).toBe('SUCCEEDED');
    expect(statesEntered(third.history)).toContain('TakeStaleLock');
    expect((await registry(name))?.lock).toBeUndefined();
  }, 90_000);

  it.each([
    ['the export fails', { export: 'fail' }, 'ExportFailedError'],
    ['the export stops heartbeating', { export: 'silent' }, 'States.HeartbeatTimeout'],
    ['the backup does not verify', { verify: 'fail' }, 'BackupVerificationError'],
  ])(
    'when %s: no delete, DAGs re-enabled, lock released, failure recorded and notified',
    async (_case, script, error) => {
      const name = await availableEnvironment(script);
      const pause = await run('PauseEnvironmentStateMachine', { environment: name });

      expect(pause.status).toBe('FAILED');
      expect(pause.error).toBe(error);
      expect(await status(name)).toBe('AVAILABLE');
      expect(statesEntered(pause.history)).not.toContain('DeleteEnvironment');
      expect(await calls(name, 'unpauseActiveDags')).toBe(1);
      const item = await registry(name);
      expect(item?.lock).toBeUndefined();
      expect(item?.lastFailure?.M?.error?.S).toBe(error);
      expect(item?.lastVerifiedBackup).toBeUndefined();
      expect(notificationsFor(pause.arn)).toEqual([
        expect.objectContaining({ detail: expect.objectContaining({ status: 'FAILED', error }) }),
      ]);
    },
    60_000,
  );

  it('a takeover waits for the stopped attempt’s export run and fails safe when it does not end', async () => {
    const name = await availableEnvironment({ export: 'silent' });
    const first = await cloud.startExecution('PauseEnvironmentStateMachine', {
      ...FAST,
      environment: name,
      heartbeatSeconds: 36_000,
      exportTimeoutSeconds: 40_000,
    });
    await until(async () => (await calls(name, 'export')) === 1);
    cloud.stepFunctions.stopExecution(first);
    await cloud.waitForExecution(first);
    // The stopped attempt's export DAG run keeps running, whatever happens to the workflow.
    await setScript(name, { runningExports: 1 });

    const retry = await run('PauseEnvironmentStateMachine', { environment: name, exportTimeoutSeconds: 300 });
    expect(retry.status).toBe('FAILED');
    expect(retry.error).toBe('PreviousExportRunningError');
    expect(retry.cause).toContain(name);
    // Its child is stopped, nothing is exported or deleted, the stopped attempt's DAGs are
    // re-enabled, the lock is released.
    expect(cloud.stepFunctions.describe(backupChildOf(first)).status).toBe('ABORTED');
    expect(await calls(name, 'export')).toBe(1);
    expect(statesEntered(retry.history)).not.toContain('Backup');
    expect(statesEntered(retry.history)).not.toContain('DeleteEnvironment');
    expect(await calls(name, 'unpauseActiveDags')).toBe(1);
    expect(await status(name)).toBe('AVAILABLE');
    const item = await registry(name);
    expect(item?.lock).toBeUndefined();
    expect(item?.lastFailure?.M?.error?.S).toBe('PreviousExportRunningError');

    // Once the run has ended, the next pause goes through (no stale lock left to take over).
    await setScript(name, {});
    const next = await run('PauseEnvironmentStateMachine', { environment: name });
    expect(next.status).toBe('SUCCEEDED');
  }, 90_000);

  it('refuses to pause an environment that is not AVAILABLE, without touching it', async () => {
    const name = `wf-missing-${++envCounter}`;
    const pause = await run('PauseEnvironmentStateMachine', { environment: name });
    expect(pause.status).toBe('FAILED');
    expect(pause.error).toBe('EnvironmentNotFoundError');
    expect(await calls(name, 'export')).toBe(0);
    expect((await registry(name))?.lock).toBeUndefined();
  }, 30_000);

  it('fails fast on CREATE_FAILED and leaves the backup untouched', async () => {
    const name = await availableEnvironment();
    expect((await run('PauseEnvironmentStateMachine', { environment: name })).status).toBe('SUCCEEDED');
    const before = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `backups/${name}/` }));

    mwaa.failNext(name, 'CREATE_FAILED');
    const resume = await run('ResumeEnvironmentStateMachine', { environment: name });
    expect(resume.status).toBe('FAILED');
    expect(resume.error).toBe('EnvironmentCreateFailedError');
    expect(await calls(name, 'import')).toBe(0);
    // The first look that sees CREATE_FAILED (the status wait, woken by the event or its own
    // check) ends the workflow: no further wait, no import.
    expect(statesEntered(resume.history).slice(-6)).toEqual([
      'AwaitCreation',
      'IsCreated',
      'CreateFailed',
      'HasFailureCause',
      'ReleaseLockAfterFailure',
      'FailWorkflow',
    ]);
    const after = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `backups/${name}/` }));
    expect(after.Contents?.map((o) => [o.Key, o.ETag])).toEqual(before.Contents?.map((o) => [o.Key, o.ETag]));
    expect((await registry(name))?.lock).toBeUndefined();
  }, 90_000);

  it('a failed import is reported clearly and can be re-run', async () => {
    const name = await availableEnvironment();
    expect((await run('PauseEnvironmentStateMachine', { environment: name })).status).toBe('SUCCEEDED');
    await setScript(name, { import: 'fail' });
    const failed = await run('ResumeEnvironmentStateMachine', { environment: name });
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toBe('ImportFailedError');
    const item = await registry(name);
    expect(item?.state?.S).toBe('RESUMING');
    expect(item?.lock).toBeUndefined();
    expect(item?.lastVerifiedBackup).toBeDefined();

    await setScript(name, {});
    const rerun = await run('ResumeEnvironmentStateMachine', { environment: name });
    expect(rerun.status).toBe('SUCCEEDED');
    expect(rerun.output).not.toHaveProperty('noop');
    // The environment exists from the first attempt: the re-run restores into it.
    expect(await calls(name, 'import')).toBe(2);
    expect((await registry(name))?.state?.S).toBe('RUNNING');
  }, 120_000);

  it('retries a throttled export invocation without starting the export twice', async () => {
    const name = await availableEnvironment();
    // Faults are taken in order: plan and snapshot pass (a 0 ms latency), the export's first
    // invocation is refused by Lambda and retried by the workflow.
    cloud.faults.inject({ service: 'lambda', operation: 'Invoke', error: 'Latency', delayMs: 0, times: 2 });
    cloud.faults.inject({
      service: 'lambda',
      operation: 'Invoke',
      error: 'TooManyRequestsException',
      status: 429,
    });
    const pause = await cloud.startExecution('PauseEnvironmentStateMachine', { ...FAST, environment: name });
    const outcome = await cloud.waitForExecution(pause, { timeoutMs: 60_000 });
    expect(outcome.status).toBe('SUCCEEDED');
    const exportAttempts = cloud.stepFunctions
      .history(backupChildOf(pause))
      .filter((e) => e.type === 'TaskScheduled' && JSON.stringify(e).includes('invoke.waitForTaskToken'));
    expect(exportAttempts).toHaveLength(2);
    expect(await calls(name, 'export')).toBe(1);
  }, 60_000);

  it('completes when every MWAA call is refused as unavailable once', async () => {
    const name = await availableEnvironment();
    for (const operation of ['GetEnvironment', 'DeleteEnvironment']) {
      cloud.faults.inject({ service: 'mwaa', operation, error: 'ServiceUnavailableException', times: 2 });
    }
    const pause = await run('PauseEnvironmentStateMachine', { environment: name });
    expect(pause.status).toBe('SUCCEEDED');
    expect(cloud.faults.pending()).toHaveLength(0);
    // The workflow's own MWAA calls were retried (the function's SDK client retries its own).
    const unavailable = pause.history.filter(
      (e) => e.type === 'TaskFailed' && JSON.stringify(e).includes('Mwaa.ServiceUnavailableException'),
    );
    expect(unavailable.length).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('retries an MWAA code the model lacks, which Step Functions names Mwaa.MwaaException', async () => {
    const name = await availableEnvironment();
    // Whatever MWAA answers a throttled call with, its model defines no ThrottlingException, so
    // on AWS the task fails with the generic name, never Mwaa.ThrottlingException.
    for (const operation of ['GetEnvironment', 'DeleteEnvironment']) {
      cloud.faults.inject({
        service: 'mwaa',
        operation,
        error: 'ThrottlingException',
        unmodeled: true,
        times: 2,
      });
    }
    const pause = await run('PauseEnvironmentStateMachine', { environment: name });
    expect(pause.status).toBe('SUCCEEDED');
    expect(cloud.faults.pending()).toHaveLength(0);
    const failures = pause.history.filter((e) => e.type === 'TaskFailed').map((e) => JSON.stringify(e));
    expect(failures.some((text) => text.includes('"Mwaa.MwaaException"'))).toBe(true);
    expect(failures.some((text) => text.includes('Mwaa.ThrottlingException'))).toBe(false);
  }, 60_000);
});

describe('Locks written by other operations', () => {
  it('keeps an operator-written lock of a running execution', async () => {
    const other = await availableEnvironment({ export: 'silent' });
    const name = await availableEnvironment();
    const holder = await cloud.startExecution('PauseEnvironmentStateMachine', {
      ...FAST,
      environment: other,
      heartbeatSeconds: 36_000,
      exportTimeoutSeconds: 40_000,
    });
    await until(async () => (await calls(other, 'export')) === 1);
    await dynamodb.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          environment: { S: name },
          lock: { M: { operation: { S: 'upgrade' }, executionArn: { S: holder }, startedAt: { S: 'x' } } },
        },
      }),
    );
    const pause = await run('PauseEnvironmentStateMachine', { environment: name });
    expect(pause.error).toBe('LockHeldError');
    cloud.stepFunctions.stopExecution(holder);
  }, 60_000);
});
