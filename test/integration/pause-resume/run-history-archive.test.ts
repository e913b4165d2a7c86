/**
 * The run-history archive on the local cloud built from template.yaml: a real pause (real ASL,
 * real MetadataTransferFunction and RunHistoryArchiveFunction, the emulated 2.x export DAG)
 * writes the backup's run history as Parquet into RunHistoryBucket, read back here with pyarrow;
 * an archive that fails leaves the pause SUCCEEDED and says so on NotificationTopic.
 */
import { CreateEnvironmentCommand, type MWAAClient } from '@aws-sdk/client-mwaa';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readTableFile } from '../../../functions/shared/backup/index.ts';
import { type LocalCloud, startLocalCloud } from '../../../local/index.ts';
import type { MwaaHandle } from '../../../local/mwaa/index.ts';
import { installTransferDags, type TransferDagsHandle } from '../../../local/mwaa/transfer-dags.ts';
import { runCliOnCloud } from '../../helpers/cli-run.ts';
import { type CloudMwaa, createEnvironmentInput, mwaaFor } from '../../helpers/local-mwaa.ts';
import { readParquet } from '../../helpers/parquet-reader.ts';
import {
  environmentStatus,
  FAST_WORKFLOW_SETTINGS,
  statesEntered,
  until as waitUntil,
  workflowClients,
} from '../../helpers/workflow-tests.ts';

let cloud: LocalCloud;
let local: CloudMwaa;
let mwaa: MwaaHandle;
let transfer: TransferDagsHandle;
let mwaaApi: MWAAClient;
let s3: S3Client;
let backupBucket: string;
let archiveBucket: string;
let topicArn: string;
let counter = 0;

beforeAll(async () => {
  cloud = await startLocalCloud({ clockSpeed: 2000 });
  local = await mwaaFor(cloud);
  mwaa = local.mwaa;
  const clients = workflowClients(cloud, { requestChecksumCalculation: 'WHEN_REQUIRED' });
  ({ mwaaApi, s3 } = clients);
  const existing = (cloud as unknown as { transferDags?: TransferDagsHandle }).transferDags;
  transfer =
    existing ??
    installTransferDags(mwaa, {
      s3,
      sfn: new SFNClient({ ...clients.config, endpoint: cloud.env.AWS_ENDPOINT_URL_SFN }),
    });
  backupBucket = cloud.ref('BackupBucket');
  archiveBucket = cloud.ref('RunHistoryBucket');
  topicArn = cloud.ref('NotificationTopic');
}, 120_000);

afterAll(async () => {
  transfer?.close();
  await local?.close();
  await cloud?.stop();
});

const until = (probe: () => Promise<boolean>) => waitUntil(probe, 30_000);

/** An AVAILABLE 2.10.3 environment with runs of two DAGs on two logical dates. */
async function environmentWithHistory(): Promise<string> {
  counter += 1;
  const name = `rh-${counter}`;
  await mwaaApi.send(new CreateEnvironmentCommand(createEnvironmentInput(name, '2.10.3') as never));
  await until(async () => (await environmentStatus(mwaaApi, name)) === 'AVAILABLE');
  const airflow = mwaa.airflow(name);
  airflow.addDag('etl_daily', { paused: false, tasks: ['extract', 'load'], durationMs: 1_000 });
  airflow.addDag('reports', { paused: false, durationMs: 1_000 });
  for (const [dagId, runId, logicalDate] of [
    ['etl_daily', 'manual__a', '2026-11-20T10:00:00+00:00'],
    ['etl_daily', 'manual__b', '2026-11-21T23:59:59.123456+00:00'],
    ['reports', 'manual__c', '2026-11-20T05:00:00+00:00'],
  ] as const) {
    const run = airflow.triggerDagRun(dagId, { runId, logicalDate, conf: { token: 'rh-conf-secret' } });
    await airflow.waitForRun(dagId, String(run.run_id));
  }
  return name;
}

async function pause(name: string) {
  const arn = await cloud.startExecution('PauseEnvironmentStateMachine', {
    ...FAST_WORKFLOW_SETTINGS,
    environment: name,
  });
  const outcome = await cloud.waitForExecution(arn, { timeoutMs: 120_000 });
  return { arn, ...outcome, history: cloud.stepFunctions.history(arn) };
}

async function keys(bucket: string, prefix: string): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key as string).sort();
}

async function body(bucket: string, key: string): Promise<Uint8Array> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await out.Body?.transformToByteArray()) as Uint8Array;
}

/** The only backup of `name` (each test pauses a fresh environment once). */
async function backupIdOf(name: string): Promise<string> {
  const manifests = (await keys(backupBucket, `backups/${name}/`)).filter((k) =>
    k.endsWith('/manifest.json'),
  );
  expect(manifests).toHaveLength(1);
  return (manifests[0] as string).split('/')[2] as string;
}

function notifications(executionArn: string) {
  return cloud.sns
    .messages(topicArn)
    .map((m) => ({ subject: m.subject, ...(JSON.parse(m.message) as { detail: Record<string, string> }) }))
    .filter((m) => m.detail.executionArn === executionArn);
}

describe('Run-history archive on the local cloud', () => {
  it('a pause archives the verified backup: Parquet per table, environment and run date, equal to the backup rows', async () => {
    const name = await environmentWithHistory();
    const paused = await pause(name);
    expect({ status: paused.status, error: paused.error }).toEqual({ status: 'SUCCEEDED' });
    const states = statesEntered(paused.history);
    expect(states.slice(states.indexOf('RecordPaused'))).toEqual([
      'RecordPaused',
      'StampPausedHistory',
      'RecordPausedHistory',
      'ArchiveRunHistory',
      'Paused',
    ]);

    const backupId = await backupIdOf(name);
    const backupRuns = readTableFile(
      await body(backupBucket, `backups/${name}/${backupId}/tables/dag_run.jsonl.gz`),
    );
    // One partition per UTC date of the runs' logical dates: the seeded ones and the day of the
    // export DAG's own run (whatever the clock says today).
    const dates = [...new Set(backupRuns.map((r) => String(r.execution_date).slice(0, 10)))].sort();
    expect(dates).toEqual(expect.arrayContaining(['2026-11-20', '2026-11-21']));
    const dagRunKeys = await keys(archiveBucket, `run-history/dag_run/environment=${name}/`);
    expect(dagRunKeys).toEqual(
      dates.map((d) => `run-history/dag_run/environment=${name}/run_date=${d}/${backupId}-0000.parquet`),
    );
    const taskKeys = await keys(archiveBucket, `run-history/task_instance/environment=${name}/`);
    expect(taskKeys.map((k) => k.split('/')[3])).toEqual(dates.map((d) => `run_date=${d}`));
    expect(await keys(archiveBucket, `run-history/_archives/environment=${name}/`)).toEqual([
      `run-history/_archives/environment=${name}/${backupId}.json`,
    ]);

    // The archive holds the backup's dag_run rows (the export's own run included), value for value.
    const archived = (
      await readParquet(await Promise.all(dagRunKeys.map((k) => body(archiveBucket, k))))
    ).flatMap((f) => f.rows);
    const view = (r: Record<string, unknown>) => ({
      dag_id: r.dag_id,
      run_id: r.run_id,
      state: r.state,
      run_type: r.run_type,
    });
    const byKey = (a: { run_id: unknown }, b: { run_id: unknown }) =>
      String(a.run_id).localeCompare(String(b.run_id));
    expect(archived.map(view).sort(byKey)).toEqual(backupRuns.map(view).sort(byKey));
    expect(archived.every((r) => r.backup_id === backupId && r.airflow_version === '2.10.3')).toBe(true);
    const b = archived.find((r) => r.run_id === 'manual__b');
    expect(b?.logical_date).toBe('2026-11-21T23:59:59.123456+00:00');

    const backupTasks = readTableFile(
      await body(backupBucket, `backups/${name}/${backupId}/tables/task_instance.jsonl.gz`),
    );
    const archivedTasks = (
      await readParquet(await Promise.all(taskKeys.map((k) => body(archiveBucket, k))))
    ).flatMap((f) => f.rows);
    expect(archivedTasks).toHaveLength(backupTasks.length);
    expect(archivedTasks.map((t) => `${t.dag_id}/${t.run_id}/${t.task_id}`).sort()).toEqual(
      backupTasks.map((t) => `${t.dag_id}/${t.run_id}/${t.task_id}`).sort(),
    );
    // dag_run.conf is not archived.
    expect(JSON.stringify(archived)).not.toContain('rh-conf-secret');
    expect(notifications(paused.arn)).toEqual([]);

    // On demand through the CLI (the last verified backup from the registry): the same objects
    // again, byte for byte (invariant 3, docs/architecture.md §6.1).
    const before = await Promise.all(dagRunKeys.map((k) => body(archiveBucket, k)));
    const cli = await runCliOnCloud(cloud, ['--output', 'json', 'backups', 'archive', name]);
    expect({ code: cli.code, stderr: cli.stderr }).toEqual({ code: 0, stderr: '' });
    const again = JSON.parse(cli.stdout) as { backupId: string; tables: Record<string, { rows: number }> };
    expect(again.backupId).toBe(backupId);
    expect(again.tables.dag_run?.rows).toBe(backupRuns.length);
    expect(again.tables.task_instance?.rows).toBe(backupTasks.length);
    expect(await keys(archiveBucket, `run-history/dag_run/environment=${name}/`)).toEqual(dagRunKeys);
    const after = await Promise.all(dagRunKeys.map((k) => body(archiveBucket, k)));
    expect(after.map((x) => Buffer.from(x).toString('base64'))).toEqual(
      before.map((x) => Buffer.from(x).toString('base64')),
    );
  }, 180_000);

  it('an archive that fails does not fail the pause: PAUSED, backup untouched, failure notified', async () => {
    const name = await environmentWithHistory();
    // A row the archive cannot take: the export carries it verbatim, the archive refuses it.
    mwaa
      .airflow(name)
      .store.run("UPDATE task_instance SET start_date = 'not a timestamp' WHERE dag_id = 'reports'");
    const paused = await pause(name);
    expect({ status: paused.status, error: paused.error }).toEqual({ status: 'SUCCEEDED' });
    expect(await environmentStatus(mwaaApi, name)).toBe('GONE');
    const states = statesEntered(paused.history);
    expect(states.slice(states.indexOf('RecordPaused'))).toEqual([
      'RecordPaused',
      'StampPausedHistory',
      'RecordPausedHistory',
      'ArchiveRunHistory',
      'NotifyArchiveFailed',
      'Paused',
    ]);
    const backupId = await backupIdOf(name);
    expect(notifications(paused.arn)).toEqual([
      expect.objectContaining({
        subject: 'mwaa-ops: run-history archive failed',
        detail: expect.objectContaining({
          status: 'ARCHIVE_FAILED',
          environment: name,
          backupId,
          error: 'ArchiveRowError',
          rerun: `mwaa-ops backups archive ${name} --backup ${backupId}`,
        }),
      }),
    ]);
    // No summary: the archive of this backup is not complete.
    expect(await keys(archiveBucket, `run-history/_archives/environment=${name}/`)).toEqual([]);
    // The backup itself is committed and verifies as before.
    const verified = (await cloud.invoke('MetadataTransferFunction', {
      action: 'verify',
      environment: name,
      bucket: backupBucket,
      prefix: `backups/${name}/${backupId}/`,
      backupId,
    })) as { verified: boolean };
    expect(verified.verified).toBe(true);
  }, 180_000);
});
