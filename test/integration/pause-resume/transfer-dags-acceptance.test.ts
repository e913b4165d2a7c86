/**
 * The emulated transfer DAGs accept only their own workflow's runs, as dags/mwaa_ops/acceptance.py
 * does (docs/pause-resume.md#isolation): on the local cloud built from template.yaml, a pause is
 * left waiting in its export while runs with foreign confs are triggered next to it; each is
 * refused without touching the metadata or S3, and only a run whose execution is ours, running,
 * for this environment is answered — which fails that workflow at once.
 */
import { CreateEnvironmentCommand, type MWAAClient } from '@aws-sdk/client-mwaa';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { type LocalCloud, startLocalCloud } from '../../../local/index.ts';
import type { MwaaHandle } from '../../../local/mwaa/index.ts';
import type { TransferDagsHandle } from '../../../local/mwaa/transfer-dags.ts';
import { type CloudMwaa, createEnvironmentInput, mwaaFor } from '../../helpers/local-mwaa.ts';
import { dagPauseStates, environmentStatus, until, workflowClients } from '../../helpers/workflow-tests.ts';

let cloud: LocalCloud;
let local: CloudMwaa;
let mwaa: MwaaHandle;
let mwaaApi: MWAAClient;
let s3: S3Client;
let transfer: TransferDagsHandle;
let bucket: string;

const ENV = 'guard-env';

beforeAll(async () => {
  cloud = await startLocalCloud({ clockSpeed: 2000 });
  local = await mwaaFor(cloud);
  mwaa = local.mwaa;
  ({ mwaaApi, s3 } = workflowClients(cloud, { requestChecksumCalculation: 'WHEN_REQUIRED' }));
  transfer = (cloud as unknown as { transferDags: TransferDagsHandle }).transferDags;
  bucket = cloud.ref('BackupBucket');
  await mwaaApi.send(new CreateEnvironmentCommand(createEnvironmentInput(ENV, '2.10.3') as never));
  await until(async () => (await environmentStatus(mwaaApi, ENV)) === 'AVAILABLE', 30_000);
  mwaa.airflow(ENV).addDag('etl_daily', { paused: false, durationMs: 1_000 });
  mwaa.airflow(ENV).setVariable('kept', 'as it was');
  // MetadataTransferFunction unpauses a transfer DAG before it triggers it; so does this test.
  mwaa.airflow(ENV).store.run('UPDATE dag SET is_paused = 0 WHERE dag_id = ?', 'mwaa_ops_import');
}, 120_000);

afterAll(async () => {
  transfer?.close();
  await local?.close();
  await cloud?.stop();
});

const paused = () => dagPauseStates(mwaa.airflow(ENV).store);

async function objectsUnder(prefix: string) {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((o) => o.Key);
}

let runs = 0;
/** Trigger `dagId` with `conf`; resolve with the run's final state and what was refused. */
async function trigger(dagId: string, conf: Record<string, unknown>, { metadataSettled = true } = {}) {
  runs += 1;
  const before = { paused: paused(), variables: mwaa.airflow(ENV).variables() };
  const refusedBefore = transfer.refused.length;
  const run = mwaa.airflow(ENV).triggerDagRun(dagId, { runId: `manual__foreign_${runs}`, conf });
  const done = await mwaa.airflow(ENV).waitForRun(dagId, String(run.run_id));
  const refused = transfer.refused.slice(refusedBefore);
  // Nothing in the metadata changed: no DAG paused or unpaused, nothing restored.
  if (metadataSettled) expect({ paused: paused(), variables: mwaa.airflow(ENV).variables() }).toEqual(before);
  return { state: done.state, refused };
}

it('refuses foreign runs without touching metadata or S3, and answers only our own running workflow', async () => {
  // A pause whose export hangs: its backup child waits on the task token of a real export run.
  transfer.faults.set(ENV, 'no-heartbeat');
  const pause = await cloud.startExecution('PauseEnvironmentStateMachine', {
    environment: ENV,
    pollSeconds: 60,
    heartbeatSeconds: 360_000,
    exportTimeoutSeconds: 400_000,
  });
  const exportRuns = () => mwaa.airflow(ENV).dagRuns('mwaa_ops_export');
  await until(
    async () => exportRuns().some((r) => r.state === 'running') && paused().etl_daily === 1,
    60_000,
  );
  const genuine = JSON.parse(String(exportRuns()[0]!.conf)) as Record<string, unknown> & {
    backup: Record<string, unknown>;
  };
  const child = String(genuine.execution_arn);
  expect(child).toContain(':execution:mwaa-ops-backup:');
  transfer.faults.clear(ENV);
  // Its worker dies without answering (max_active_runs = 1 would queue every other run behind
  // it); the child keeps waiting on the token.
  transfer.close();
  await until(async () => exportRuns()[0]!.state === 'failed', 30_000);

  const forged = { ...genuine, task_token: 'forged-token' };
  const cases: Array<[string, string, Record<string, unknown>, string]> = [
    ['no task token', 'mwaa_ops_export', { ...genuine, task_token: undefined }, 'no task_token'],
    [
      'another environment',
      'mwaa_ops_export',
      { ...forged, environment: 'prod', backup: { ...genuine.backup, prefix: 'backups/prod/x/' } },
      "environment 'prod'",
    ],
    [
      'an execution of another state machine',
      'mwaa_ops_export',
      { ...forged, execution_arn: pause },
      'mwaa-ops-pause',
    ],
    // The import runs only for the resume workflow, never for a backup child.
    ['the export workflow for the import', 'mwaa_ops_import', forged, 'mwaa-ops-backup'],
  ];
  for (const [what, dagId, conf, reason] of cases) {
    const outcome = await trigger(dagId, conf);
    expect({ what, state: outcome.state, refused: outcome.refused }).toEqual({
      what,
      state: 'failed',
      refused: [
        expect.objectContaining({
          error: 'MwaaOps.ForeignRun',
          answered: false,
          reason: expect.stringContaining(reason),
        }),
      ],
    });
  }
  expect(await objectsUnder('backups/prod/')).toEqual([]);
  // The genuine workflow was not touched by any of them.
  expect(cloud.stepFunctions.describe(child).status).toBe('RUNNING');

  // Our own running backup child, for this environment, but another bucket: refused and answered
  // with the genuine token, so the workflow fails at once instead of waiting for its timeout.
  // (The failed workflow re-enables the DAGs its export paused while this run ends.)
  const elsewhere = await trigger(
    'mwaa_ops_export',
    { ...genuine, backup: { ...genuine.backup, bucket: 'attacker' } },
    { metadataSettled: false },
  );
  expect(elsewhere.refused).toEqual([
    expect.objectContaining({
      error: 'MwaaOps.ForeignRun',
      answered: true,
      reason: expect.stringContaining(bucket),
    }),
  ]);
  const outcome = await cloud.waitForExecution(pause, { timeoutMs: 120_000 });
  expect({ status: outcome.status, error: outcome.error }).toEqual({
    status: 'FAILED',
    error: 'MwaaOps.ForeignRun',
  });

  // The child has ended: its conf is refused now, and nothing answers its (closed) token.
  const late = await trigger('mwaa_ops_export', genuine);
  expect(late.refused).toEqual([
    expect.objectContaining({ answered: false, reason: expect.stringContaining('not RUNNING') }),
  ]);
}, 240_000);
