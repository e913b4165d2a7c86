/**
 * In-place upgrades end to end on the local cloud built from template.yaml: the real upgrade and
 * backup ASL, the real EnvironmentOpsFunction and MetadataTransferFunction, the MWAA emulator's
 * upgrade lifecycle (UPDATING → CREATING_SNAPSHOT → UPDATING → AVAILABLE, injected rollbacks) and
 * the emulated export DAG. Assertions are on the execution history, the environment, the
 * registry and the notifications (docs/upgrades.md).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetEnvironmentCommand, type MWAAClient } from '@aws-sdk/client-mwaa';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { type LocalCloud, startLocalCloud } from '../../../local/index.ts';
import { createAvailableEnvironment } from '../../helpers/environments.ts';
import {
  registryItem,
  statesEntered,
  until as waitUntil,
  workflowClients,
} from '../../helpers/workflow-tests.ts';

/** Emulated-minute polls; generous heartbeats so cold starts never count as a lost heartbeat. */
const FAST = {
  pollSeconds: 60,
  heartbeatSeconds: 3600,
  exportTimeoutSeconds: 7200,
  canaryPollSeconds: 30,
  canaryTimeoutSeconds: 3600,
};

let cloud: LocalCloud;
let mwaaApi: MWAAClient;
let s3: S3Client;
let dynamodb: DynamoDBClient;
let bucket: string;
let table: string;
let topicArn: string;
let counter = 0;
const executions: string[] = [];
/** Seeded into every environment: it must appear in no history, log line or notification. */
const SECRET = 'up-p@ssw0rd-never-logged';

beforeAll(async () => {
  cloud = await startLocalCloud({ clockSpeed: 2000 });
  ({ mwaaApi, s3, dynamodb } = workflowClients(cloud));
  bucket = cloud.ref('BackupBucket');
  table = cloud.ref('EnvironmentsTable');
  topicArn = cloud.ref('NotificationTopic');
}, 120_000);

afterAll(async () => {
  await cloud?.stop();
});

beforeEach(() => {
  cloud.faults.clear();
  cloud.transferDags.faults.clear();
});

/** An AVAILABLE environment with an active and a paused DAG and some history. */
async function environmentOn(version: string): Promise<string> {
  counter += 1;
  const name = `up-${version.replaceAll('.', '')}-${counter}`;
  await createAvailableEnvironment(cloud, name, version);
  const airflow = cloud.airflow(name);
  airflow.addDag('etl_daily', { paused: false, durationMs: 1_000 });
  airflow.addDag('reports', { paused: true });
  airflow.setVariable('plain', 'hello');
  airflow.setPool('gpu', 2, 'GPU slots');
  if (version.startsWith('2.')) {
    airflow.setConnection({
      conn_id: 'warehouse',
      conn_type: 'postgres',
      host: 'db',
      login: 'etl',
      password: SECRET,
    });
  }
  const run = airflow.triggerDagRun('etl_daily', { runId: 'manual__seed', conf: {} });
  await airflow.waitForRun('etl_daily', String(run.run_id));
  return name;
}

async function mwaaState(name: string) {
  const out = await mwaaApi.send(new GetEnvironmentCommand({ Name: name }));
  return { status: out.Environment?.Status, version: out.Environment?.AirflowVersion };
}

async function upgrade(input: Record<string, unknown>) {
  const arn = await cloud.startExecution('UpgradeEnvironmentStateMachine', { ...FAST, ...input });
  executions.push(arn);
  const outcome = await cloud.waitForExecution(arn, { timeoutMs: 120_000 });
  return { arn, ...outcome, history: cloud.stepFunctions.history(arn) };
}

const entered = statesEntered;

/** Every Lambda action and AWS API the execution asked for (resource + action), in order. */
const calls = (history: unknown[]) =>
  history
    .filter((e) => (e as { type: string }).type === 'TaskScheduled')
    .map((e) => {
      const d = (e as { taskScheduledEventDetails: { resource: string; parameters: string } })
        .taskScheduledEventDetails;
      const action = (JSON.parse(d.parameters) as { Payload?: { action?: string } }).Payload?.action;
      return action ? `${d.resource}:${action}` : d.resource;
    });

const registry = (name: string) => registryItem(dynamodb, table, name);

async function backupKeys(name: string) {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `backups/${name}/` }));
  return (out.Contents ?? []).map((o) => o.Key);
}

function notifications(executionArn: string) {
  return cloud.sns
    .messages(topicArn)
    .map((m) => JSON.parse(m.message) as { detail: { executionArn: string; status: string; cause?: string } })
    .filter((e) => e.detail.executionArn === executionArn)
    .map((e) => e.detail);
}

const until = (probe: () => Promise<boolean>, timeoutMs = 30_000) => waitUntil(probe, timeoutMs);

const isPaused = (name: string, dagId: string) =>
  Number(cloud.airflow(name).store.all('SELECT is_paused FROM dag WHERE dag_id = ?', dagId)[0]?.is_paused);

describe('Allowed version changes', () => {
  it.each([
    ['2.10.3', '2.11.0'],
    ['2.10.3', '2.9.2'],
    ['2.11.0', '3.0.6'],
  ])(
    '%s → %s: backs up, updates, reports the new version',
    async (from, to) => {
      const name = await environmentOn(from);
      const result = await upgrade({ environment: name, targetVersion: to });
      expect({ status: result.status, error: result.error, cause: result.cause }).toEqual({
        status: 'SUCCEEDED',
      });
      expect(await mwaaState(name)).toEqual({ status: 'AVAILABLE', version: to });
      expect(result.output).toMatchObject({ environment: name, airflowVersion: to, previousVersion: from });
      // The backup came first and was verified; the DAGs it paused run again.
      const order = entered(result.history);
      expect(order.indexOf('Backup')).toBeGreaterThan(order.indexOf('ValidateVersionChange'));
      expect(order.indexOf('UpdateEnvironment')).toBeGreaterThan(order.indexOf('Backup'));
      const keys = await backupKeys(name);
      expect(keys.some((k) => k?.endsWith('/manifest.json'))).toBe(true);
      expect(isPaused(name, 'etl_daily')).toBe(0);
      expect(isPaused(name, 'reports')).toBe(1);
      const item = await registry(name);
      expect(item?.lock).toBeUndefined();
      expect(item?.state?.S).toBe('RUNNING');
      expect(item?.lastUpgrade?.M).toMatchObject({
        from: { S: from },
        to: { S: to },
        outcome: { S: 'SUCCEEDED' },
      });
      expect(item?.lastVerifiedBackup?.M?.airflowVersion?.S).toBe(from);
    },
    120_000,
  );

  it('runs the canary DAG after the upgrade and succeeds when it does', async () => {
    const name = await environmentOn('2.10.3');
    cloud.airflow(name).addDag('canary_ok', { paused: true, durationMs: 60_000 });
    const result = await upgrade({ environment: name, targetVersion: '2.11.0', canaryDag: 'canary_ok' });
    expect({ status: result.status, cause: result.cause }).toEqual({ status: 'SUCCEEDED' });
    const runs = cloud.airflow(name).dagRuns('canary_ok');
    expect(runs.map((r) => r.state)).toEqual(['success']);
    expect(String(runs[0]?.run_id)).toMatch(/^mwaa_ops_canary__[0-9a-f]{12}$/);
  }, 120_000);
  it('sends the new requirements/plugins object versions with the version, and drains first', async () => {
    const name = await environmentOn('2.10.3');
    const airflow = cloud.airflow(name);
    airflow.addDag('slow', { paused: false, durationMs: 3 * 3600_000 });
    const slow = airflow.triggerDagRun('slow', { runId: 'manual__slow', conf: {} });
    const artifacts = { RequirementsS3ObjectVersion: 'req-v2', PluginsS3ObjectVersion: 'plug-v2' };
    const result = await upgrade({
      environment: name,
      targetVersion: '2.11.0',
      artifacts,
      drain: true,
      drainPollSeconds: 1800,
      drainTimeoutSeconds: 6 * 3600,
    });
    expect({ status: result.status, cause: result.cause }).toEqual({ status: 'SUCCEEDED' });
    // The backup started only once the running DAG run had finished.
    expect(airflow.dagRuns('slow').find((r) => r.run_id === slow.run_id)?.state).toBe('success');
    expect(entered(result.history).filter((n) => n === 'CountRunningRuns').length).toBeGreaterThan(1);
    const update = result.history.find(
      (e) =>
        e.type === 'TaskScheduled' &&
        (e as { taskScheduledEventDetails?: { resource?: string } }).taskScheduledEventDetails?.resource ===
          'updateEnvironment',
    ) as { taskScheduledEventDetails: { parameters: string } } | undefined;
    expect(JSON.parse(String(update?.taskScheduledEventDetails.parameters))).toEqual({
      Name: name,
      AirflowVersion: '2.11.0',
      ...artifacts,
    });
    const out = await mwaaApi.send(new GetEnvironmentCommand({ Name: name }));
    expect(out.Environment).toMatchObject(artifacts);
  }, 120_000);

  it('refuses artifacts other than the object versions before anything is touched', async () => {
    const name = await environmentOn('2.10.3');
    const result = await upgrade({
      environment: name,
      targetVersion: '2.11.0',
      artifacts: { EnvironmentClass: 'mw1.2xlarge' },
    });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ValidationError');
    expect(entered(result.history)).not.toContain('Backup');
    expect((await registry(name))?.lock).toBeUndefined();
  }, 120_000);
});

describe('Following the upgrade on MWAA status change events', () => {
  // Longer than the whole emulated upgrade (35 min): only an event can end the wait in time.
  const NO_POLL_IN_TIME = { pollSeconds: 7200, updateTimeoutSeconds: 14400 };
  const count = (names: string[], name: string) => names.filter((n) => n === name).length;

  it('acts on the event that reports AVAILABLE on the target version, with no poll', async () => {
    const name = await environmentOn('2.10.3');
    const result = await upgrade({ environment: name, targetVersion: '2.11.0', ...NO_POLL_IN_TIME });
    expect(result.status).toBe('SUCCEEDED');
    const order = entered(result.history);
    // UPDATING, CREATING_SNAPSHOT, UPDATING do not end the wait; AVAILABLE on 2.11.0 does.
    expect(count(order, 'AwaitUpdate')).toBe(1);
    expect(order).not.toContain('CountUpdateWait');
    expect(order).not.toContain('WaitForUpdate');
    expect(order.indexOf('ReenableDags')).toBe(order.indexOf('IsUpdateDone') + 1);
  }, 120_000);

  it('UPDATE_FAILED and ROLLING_BACK through the event: rolled back, as when polling', async () => {
    const name = await environmentOn('2.10.3');
    cloud.mwaa.failNext(name, 'ROLLBACK');
    const result = await upgrade({ environment: name, targetVersion: '2.11.0', ...NO_POLL_IN_TIME });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('UpgradeRolledBackError');
    const order = entered(result.history);
    expect(count(order, 'AwaitUpdate')).toBe(1);
    expect(order).toContain('RolledBack');
    expect(cloud.mwaa.environments().find((e) => e.name === name)?.history).toContain('ROLLING_BACK');
  }, 120_000);

  it('UNAVAILABLE through the event: the critical failure', async () => {
    const name = await environmentOn('2.10.3');
    cloud.mwaa.failNext(name, 'UNAVAILABLE');
    const result = await upgrade({ environment: name, targetVersion: '2.11.0', ...NO_POLL_IN_TIME });
    expect(result.error).toBe('EnvironmentUnavailableError');
    expect(count(entered(result.history), 'AwaitUpdate')).toBe(1);
  }, 120_000);

  it('polls every pollSeconds when the events are dropped', async () => {
    const name = await environmentOn('2.10.3');
    cloud.mwaa.dropStatusEvents(name);
    try {
      const result = await upgrade({ environment: name, targetVersion: '2.11.0', pollSeconds: 300 });
      expect(result.status).toBe('SUCCEEDED');
      const order = entered(result.history);
      // 35 emulated minutes at one poll per 5 minutes (at least 3 rounds even when real-time
      // latency, ×2000 on this clock, stretches each).
      expect(count(order, 'CountUpdateWait')).toBeGreaterThanOrEqual(3);
      expect(count(order, 'CheckUpdate')).toBe(count(order, 'CountUpdateWait'));
      expect(await mwaaState(name)).toEqual({ status: 'AVAILABLE', version: '2.11.0' });
    } finally {
      cloud.mwaa.dropStatusEvents(name, false);
    }
  }, 120_000);
});

describe('Refused before any backup or update', () => {
  it.each([
    ['2.10.3', '3.0.6', /upgrade to 2\.11\.0 first/],
    ['2.10.3', '2.10.9', /not a version MWAA supports/],
    ['2.10.3', '1.10.12', /Airflow 1/],
  ])(
    '%s → %s',
    async (from, to, reason) => {
      const name = await environmentOn(from);
      const result = await upgrade({ environment: name, targetVersion: to });
      expect(result.status).toBe('FAILED');
      expect(result.error).toBe('VersionChangeNotAllowedError');
      expect(result.cause).toMatch(reason);
      expect(result.cause).toContain('Nothing was changed');
      const scheduled = calls(result.history);
      expect(scheduled.some((c) => c.includes('startExecution'))).toBe(false);
      expect(scheduled.some((c) => c.includes('updateEnvironment'))).toBe(false);
      expect(scheduled.some((c) => c.endsWith(':snapshot') || c.endsWith(':plan'))).toBe(false);
      expect(await backupKeys(name)).toEqual([]);
      expect(await mwaaState(name)).toEqual({ status: 'AVAILABLE', version: from });
      expect((await registry(name))?.lock).toBeUndefined();
      expect(notifications(result.arn).map((d) => d.status)).toEqual(['FAILED']);
    },
    120_000,
  );

  it('already at the target version: a no-op that succeeds', async () => {
    const name = await environmentOn('2.11.0');
    const result = await upgrade({ environment: name, targetVersion: '2.11.0' });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({ noop: true, airflowVersion: '2.11.0' });
    expect(entered(result.history)).not.toContain('Backup');
    expect(entered(result.history)).not.toContain('UpdateEnvironment');
    expect(await backupKeys(name)).toEqual([]);
    expect((await registry(name))?.lock).toBeUndefined();
  }, 120_000);
});

describe('Failures', () => {
  it('UPDATE_FAILED: a failed execution naming the version it rolled back to, and a notification', async () => {
    const name = await environmentOn('2.10.3');
    cloud.mwaa.failNext(name, 'ROLLBACK');
    const result = await upgrade({ environment: name, targetVersion: '2.11.0' });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('UpgradeRolledBackError');
    expect(result.cause).toContain('rolled back to 2.10.3');
    expect(await mwaaState(name)).toEqual({ status: 'UPDATE_FAILED', version: '2.10.3' });
    expect(isPaused(name, 'etl_daily')).toBe(0);
    const item = await registry(name);
    expect(item?.lock).toBeUndefined();
    expect(item?.state?.S).toBe('RUNNING');
    expect(item?.lastUpgrade?.M?.outcome?.S).toBe('ROLLED_BACK');
    const sent = notifications(result.arn);
    expect(sent.map((d) => d.status)).toEqual(['FAILED']);
    expect(sent[0]?.cause).toContain('rolled back to 2.10.3');
  }, 120_000);

  it('UNAVAILABLE: a critical failure naming the backup to recover from', async () => {
    const name = await environmentOn('2.10.3');
    cloud.mwaa.failNext(name, 'UNAVAILABLE');
    const result = await upgrade({ environment: name, targetVersion: '2.11.0' });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('EnvironmentUnavailableError');
    const item = await registry(name);
    const backup = item?.lastVerifiedBackup?.M;
    const backupId = String(backup?.backupId?.S);
    expect(result.cause).toMatch(/^CRITICAL/);
    expect(result.cause).toContain(`s3://${bucket}/backups/${name}/${backupId}/`);
    expect(result.cause).toContain(`backup ${backupId}`);
    expect(await backupKeys(name)).toContain(`backups/${name}/${backupId}/manifest.json`);
    expect(item?.lock).toBeUndefined();
    expect(item?.lastUpgrade?.M?.outcome?.S).toBe('UNAVAILABLE');
    expect(item?.lastFailure?.M?.cause?.S).toContain(backupId);
    expect(notifications(result.arn).map((d) => d.status)).toEqual(['FAILED']);
  }, 120_000);

  it('a failed backup: no UpdateEnvironment, environment untouched, DAGs running again', async () => {
    const name = await environmentOn('2.10.3');
    cloud.transferDags.faults.set(name, 'export-fails');
    const result = await upgrade({ environment: name, targetVersion: '2.11.0' });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('BackupFailedError');
    expect(result.cause).toContain('was not updated');
    expect(calls(result.history).some((c) => c.includes('updateEnvironment'))).toBe(false);
    expect(entered(result.history)).not.toContain('UpdateEnvironment');
    expect(await mwaaState(name)).toEqual({ status: 'AVAILABLE', version: '2.10.3' });
    expect(isPaused(name, 'etl_daily')).toBe(0);
    const item = await registry(name);
    expect(item?.lock).toBeUndefined();
    expect(item?.state).toBeUndefined();
    expect(notifications(result.arn).map((d) => d.status)).toEqual(['FAILED']);
  }, 120_000);

  it('the canary DAG fails: reported, environment on the new version, lock released', async () => {
    const name = await environmentOn('2.10.3');
    cloud.airflow(name).addDag('canary_bad', { paused: false, fail: true, durationMs: 60_000 });
    const result = await upgrade({ environment: name, targetVersion: '2.11.0', canaryDag: 'canary_bad' });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('CanaryFailedError');
    expect(result.cause).toMatch(/canary DAG canary_bad run mwaa_ops_canary__[0-9a-f]{12} ended failed/);
    expect(await mwaaState(name)).toEqual({ status: 'AVAILABLE', version: '2.11.0' });
    const item = await registry(name);
    expect(item?.lock).toBeUndefined();
    expect(item?.state?.S).toBe('RUNNING');
    expect(item?.lastUpgrade?.M?.outcome?.S).toBe('UPGRADED_CHECK_FAILED');
    expect(notifications(result.arn)[0]?.cause).toContain('canary_bad');
  }, 120_000);

  it('the lock held by a running pause: refused, nothing changed', async () => {
    const name = await environmentOn('2.10.3');
    // A pause waiting for a long DAG run to finish (drain) holds the lock meanwhile.
    const airflow = cloud.airflow(name);
    airflow.addDag('long_run', { paused: false, durationMs: 6 * 3600_000 });
    airflow.triggerDagRun('long_run', { runId: 'manual__long', conf: {} });
    await cloud.startExecution('PauseEnvironmentStateMachine', {
      ...FAST,
      environment: name,
      drain: true,
      drainPollSeconds: 600,
      drainTimeoutSeconds: 36_000,
    });
    await until(async () => (await registry(name))?.lock?.M?.operation?.S === 'pause');
    const result = await upgrade({ environment: name, targetVersion: '2.11.0' });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('LockHeldError');
    expect(entered(result.history)).not.toContain('ValidateVersionChange');
    expect(entered(result.history)).not.toContain('Backup');
    expect(await mwaaState(name)).toEqual({ status: 'AVAILABLE', version: '2.10.3' });
    expect((await registry(name))?.lock?.M?.operation?.S).toBe('pause');
  }, 120_000);
});

describe('Secrets', () => {
  it('appear in no execution history, function log line or notification', () => {
    expect(executions.length).toBeGreaterThan(10);
    const texts = [
      ...executions.map((arn) => JSON.stringify(cloud.stepFunctions.history(arn))),
      cloud.logs('MetadataTransferFunction').join('\n'),
      cloud.logs('EnvironmentOpsFunction').join('\n'),
      JSON.stringify(cloud.sns.messages()),
    ];
    for (const text of texts) expect(text).not.toContain(SECRET);
    // Both functions did log, so the check above looked at something.
    expect(cloud.logs('EnvironmentOpsFunction').length).toBeGreaterThan(0);
    expect(cloud.logs('MetadataTransferFunction').length).toBeGreaterThan(0);
  });
});
