/**
 * A backup must never steer how an environment is recreated (docs/pause-resume.md "Isolation"),
 * on the local cloud built from template.yaml: the real ASL, the real MetadataTransferFunction,
 * the MWAA emulator with the emulated export/import DAGs. Each case rewrites a real pause's
 * backup the way a writer with s3:PutObject on its prefix could: consistently, so that every
 * checksum in the manifest is right and the format's own verification passes.
 */
import { createHash } from 'node:crypto';
import { type DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateEnvironmentCommand, type MWAAClient } from '@aws-sdk/client-mwaa';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { type LocalCloud, startLocalCloud } from '../../../local/index.ts';
import type { MwaaHandle } from '../../../local/mwaa/index.ts';
import { installTransferDags, type TransferDagsHandle } from '../../../local/mwaa/transfer-dags.ts';
import { type CloudMwaa, createEnvironmentInput, mwaaFor } from '../../helpers/local-mwaa.ts';
import {
  configTables,
  environmentStatus,
  FAST_WORKFLOW_SETTINGS,
  registryItem,
  statesEntered,
  until as waitUntil,
  workflowClients,
} from '../../helpers/workflow-tests.ts';

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
let counter = 0;

beforeAll(async () => {
  cloud = await startLocalCloud({ clockSpeed: 2000 });
  local = await mwaaFor(cloud);
  mwaa = local.mwaa;
  const clients = workflowClients(cloud, { requestChecksumCalculation: 'WHEN_REQUIRED' });
  ({ mwaaApi, s3, dynamodb } = clients);
  const existing = (cloud as unknown as { transferDags?: TransferDagsHandle }).transferDags;
  transfer =
    existing ??
    installTransferDags(mwaa, {
      s3,
      sfn: new SFNClient({ ...clients.config, endpoint: cloud.env.AWS_ENDPOINT_URL_SFN }),
    });
  bucket = cloud.ref('BackupBucket');
  table = cloud.ref('EnvironmentsTable');
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
const registry = (name: string) => registryItem(dynamodb, table, name);
const creates = () => cloud.faults.calls()['mwaa:CreateEnvironment'] ?? 0;
const sha256 = (body: Uint8Array) => createHash('sha256').update(body).digest('hex');

async function pausedEnvironment(): Promise<{ name: string; backupId: string }> {
  counter += 1;
  const name = `tamper-${counter}`;
  await mwaaApi.send(new CreateEnvironmentCommand(createEnvironmentInput(name, '2.10.3') as never));
  await until(async () => (await status(name)) === 'AVAILABLE');
  const airflow = mwaa.airflow(name);
  airflow.addDag('etl_daily', { paused: false });
  airflow.setVariable('plain', 'hello');
  airflow.setConnection({ conn_id: 'warehouse', conn_type: 'postgres', host: 'db.internal' });
  const pause = await run('PauseEnvironmentStateMachine', { environment: name });
  expect({ status: pause.status, error: pause.error, cause: pause.cause }).toEqual({ status: 'SUCCEEDED' });
  return { name, backupId: (pause.output as { backupId: string }).backupId };
}

async function run(machine: 'PauseEnvironmentStateMachine' | 'ResumeEnvironmentStateMachine', input: object) {
  const arn = await cloud.startExecution(machine, { ...FAST, ...input });
  return { arn, ...(await cloud.waitForExecution(arn, { timeoutMs: 120_000 })) };
}

async function getBytes(key: string): Promise<Uint8Array> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
}

async function putJson(key: string, value: unknown): Promise<Buffer> {
  const body = Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  return body;
}

/** Rewrite manifest.json through `edit`, keeping it valid: what a consistent rewrite looks like. */
async function rewriteManifest(prefix: string, edit: (manifest: Record<string, unknown>) => void) {
  const manifest = JSON.parse(Buffer.from(await getBytes(`${prefix}manifest.json`)).toString('utf8'));
  edit(manifest);
  await putJson(`${prefix}manifest.json`, manifest);
}

describe('A rewritten backup does not steer the resume (Airflow 2.x)', () => {
  it('a rewritten environment.json and manifest (checksums valid): resume refuses before any CreateEnvironment', async () => {
    const { name, backupId } = await pausedEnvironment();
    const prefix = `backups/${name}/${backupId}/`;
    const recorded = (await registry(name))?.lastVerifiedBackup?.M;
    // The registry holds what the function computed and read from MWAA at backup time.
    expect(recorded?.manifestSha256?.S).toBe(sha256(await getBytes(`${prefix}manifest.json`)));
    expect(recorded?.snapshotSha256?.S).toBe(sha256(await getBytes(`${prefix}environment.json`)));
    expect(JSON.parse(recorded?.recreation?.S ?? '{}')).toMatchObject({
      ExecutionRoleArn: createEnvironmentInput(name, '2.10.3').ExecutionRoleArn,
      DagS3Path: 'dags',
    });

    // Another DAG bucket and folder, a startup script and Airflow options of someone else's
    // choosing; the manifest's snapshot entry follows, so the backup verifies on its own.
    const snapshot = JSON.parse(Buffer.from(await getBytes(`${prefix}environment.json`)).toString('utf8'));
    const rewritten = await putJson(`${prefix}environment.json`, {
      ...snapshot,
      SourceBucketArn: 'arn:aws:s3:::someone-elses-dags',
      DagS3Path: 'other/dags',
      StartupScriptS3Path: 'startup/evil.sh',
      AirflowConfigurationOptions: { 'secrets.backend': 'evil.Backend' },
    });
    await rewriteManifest(prefix, (manifest) => {
      manifest.snapshot = { file: 'environment.json', bytes: rewritten.length, sha256: sha256(rewritten) };
    });
    const createsBefore = creates();

    const resume = await run('ResumeEnvironmentStateMachine', { environment: name });
    expect({ status: resume.status, error: resume.error }).toEqual({
      status: 'FAILED',
      error: 'BackupTamperedError',
    });
    expect(resume.cause).toContain('manifest.json');
    expect(resume.cause).toContain('lastVerifiedBackup.manifestSha256');
    expect(creates()).toBe(createsBefore);
    expect(await status(name)).toBe('GONE');
    const entered = statesEntered(cloud.stepFunctions.history(resume.arn));
    expect(entered).toContain('VerifyBackup');
    expect(entered).not.toContain('Recreate');
    const item = await registry(name);
    expect(item?.lock).toBeUndefined();
    expect(item?.state?.S).toBe('PAUSED');
    expect(item?.lastFailure?.M?.error?.S).toBe('BackupTamperedError');
    // The record is still the one of the verified backup: restoring the objects' earlier
    // versions (the bucket is versioned) makes the resume pass again.
    expect(item?.lastVerifiedBackup?.M?.manifestSha256?.S).toBe(recorded?.manifestSha256?.S);
  }, 180_000);

  it('a manifest swapped after VerifyBackup, before the import, is refused by the import DAG', async () => {
    const { name, backupId } = await pausedEnvironment();
    const prefix = `backups/${name}/${backupId}/`;
    const resuming = run('ResumeEnvironmentStateMachine', { environment: name });
    // CREATING: VerifyBackup has passed, the import has not started (it waits for AVAILABLE).
    await until(async () => (await status(name)) === 'CREATING');
    await rewriteManifest(prefix, (manifest) => {
      manifest.activeDags = [];
      manifest.pausedDags = ['etl_daily'];
    });
    const resume = await resuming;
    expect({ status: resume.status, error: resume.error }).toEqual({
      status: 'FAILED',
      error: 'MwaaOps.BackupTampered',
    });
    expect(resume.cause).toContain('conf.backup.manifestSha256');
    // Nothing was restored from it.
    expect(configTables(mwaa.airflow(name).store)).toMatchObject({ variable: [] });
    const item = await registry(name);
    expect(item?.lock).toBeUndefined();
    expect(item?.lastFailure?.M?.error?.S).toBe('MwaaOps.BackupTampered');
  }, 180_000);

  it('a backup verified before digests were recorded: refused unless trustUnrecordedBackup, then restored', async () => {
    const { name } = await pausedEnvironment();
    // What a registry item written before this change looks like.
    await dynamodb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { environment: { S: name } },
        UpdateExpression:
          'REMOVE lastVerifiedBackup.manifestSha256, lastVerifiedBackup.snapshotSha256, lastVerifiedBackup.recreation',
      }),
    );
    const createsBefore = creates();
    const refused = await run('ResumeEnvironmentStateMachine', { environment: name });
    expect({ status: refused.status, error: refused.error }).toEqual({
      status: 'FAILED',
      error: 'UnrecordedBackupError',
    });
    expect(refused.cause).toContain('trustUnrecordedBackup set to true');
    expect(creates()).toBe(createsBefore);
    expect((await registry(name))?.state?.S).toBe('PAUSED');

    const trusted = await run('ResumeEnvironmentStateMachine', {
      environment: name,
      trustUnrecordedBackup: true,
    });
    expect({ status: trusted.status, error: trusted.error, cause: trusted.cause }).toEqual({
      status: 'SUCCEEDED',
    });
    expect((await registry(name))?.state?.S).toBe('RUNNING');
    expect(configTables(mwaa.airflow(name).store)).toMatchObject({
      variable: [{ key: 'plain', val: 'hello' }],
    });
  }, 180_000);

  it('refuses a trustUnrecordedBackup that is not a boolean before taking the lock', async () => {
    const resume = await run('ResumeEnvironmentStateMachine', {
      environment: 'tamper-x',
      trustUnrecordedBackup: 'yes',
    });
    expect({ status: resume.status, error: resume.error }).toEqual({
      status: 'FAILED',
      error: 'InvalidInputError',
    });
  }, 60_000);

  it('a pause whose export rewrites environment.json deletes nothing and records nothing', async () => {
    counter += 1;
    const name = `tamper-${counter}`;
    await mwaaApi.send(new CreateEnvironmentCommand(createEnvironmentInput(name, '2.10.3') as never));
    await until(async () => (await status(name)) === 'AVAILABLE');
    mwaa.airflow(name).addDag('etl_daily', { paused: false });
    // What a DAG of the environment could do: its role may write its own backup prefix.
    transfer.faults.set(name, 'rewrite-snapshot');
    const pause = await run('PauseEnvironmentStateMachine', { environment: name });
    expect({ status: pause.status, error: pause.error }).toEqual({
      status: 'FAILED',
      error: 'BackupTamperedError',
    });
    expect(pause.cause).toContain('environment.json');
    expect(await status(name)).toBe('AVAILABLE');
    const item = await registry(name);
    expect(item?.lastVerifiedBackup).toBeUndefined();
    expect(item?.lock).toBeUndefined();
    expect(mwaa.airflow(name).store.get('SELECT is_paused FROM dag WHERE dag_id = ?', 'etl_daily')).toEqual({
      is_paused: 0,
    });
  }, 120_000);
});
