/**
 * Event-driven triggering on the local cloud: real S3 uploads and Scheduler-shaped events reach
 * the unchanged handler bundles, which talk to the emulated MWAA/Airflow over InvokeRestApi.
 */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetQueueUrlCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { logicalDateFor } from '../../../functions/shared/airflow/logical-dates.ts';
import { type FlowInput, validateFlow } from '../../../functions/shared/flows/model.ts';
import { createFlowRepository } from '../../../functions/shared/flows/repository.ts';
import { s3RunId } from '../../../functions/shared/flows/run-ids.ts';
import { type LocalCloud, startLocalCloud } from '../../../local/index.ts';
import { airflowDate } from '../../../local/mwaa/airflow/dates.ts';
import { runCliOnCloud } from '../../helpers/cli-run.ts';
import { createAvailableEnvironment } from '../../helpers/environments.ts';
import { s3EventKey, s3Record } from '../../helpers/s3-events.ts';

const BURST_FLOW = 'pos-export-eu-central-daily-01';
const BURST_DAG = 'load_pos_export_eu_central_d01';

let cloud: LocalCloud;
let s3: S3Client;
let sqs: SQSClient;
let bucket: string;
let queueUrl: string;
const flows = () =>
  createFlowRepository({
    ddb: DynamoDBDocumentClient.from(
      new DynamoDBClient({ ...clientConfig(), endpoint: cloud.env.AWS_ENDPOINT_URL_DYNAMODB }),
      {
        marshallOptions: { removeUndefinedValues: true },
      },
    ),
    tableName: cloud.ref('FlowsTable'),
  });

function clientConfig() {
  return {
    region: cloud.env.AWS_REGION,
    credentials: {
      accessKeyId: cloud.env.AWS_ACCESS_KEY_ID,
      secretAccessKey: cloud.env.AWS_SECRET_ACCESS_KEY,
    },
  };
}

async function putFlow(input: FlowInput) {
  const checked = validateFlow(input);
  if (!checked.ok) throw new Error(checked.problems.join('; '));
  await flows().put(checked.flow);
}

/** Every message waiting in the trigger DLQ, parsed, removed from the queue view by visibility. */
async function deadLetters(): Promise<Array<Record<string, unknown>>> {
  const out = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 3600 }),
  );
  return (out.Messages ?? []).map((m) => JSON.parse(m.Body ?? '{}'));
}

function s3Event(key: string, sequencer: string, bucketName = bucket) {
  return { Records: [s3Record(bucketName, s3EventKey(key), sequencer)] };
}

beforeAll(async () => {
  cloud = await startLocalCloud({ clockSpeed: 3000 });
  s3 = new S3Client({ ...clientConfig(), endpoint: cloud.env.AWS_ENDPOINT_URL_S3, forcePathStyle: true });
  sqs = new SQSClient({ ...clientConfig(), endpoint: cloud.env.AWS_ENDPOINT_URL_SQS });
  bucket = cloud.ref('LandingBucket');
  const queueName = cloud.ref('TriggerDeadLetterQueue').split('/').pop()!;
  queueUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }))).QueueUrl!;
  await Promise.all([
    createAvailableEnvironment(cloud, 'data-dev', '2.10.3'),
    createAvailableEnvironment(cloud, 'data-next', '3.0.6'),
  ]);
  const dev = cloud.airflow('data-dev');
  dev.addDag('load_sales', { paused: false });
  dev.addDag('paused_dag', { paused: true });
  cloud.airflow('data-next').addDag('load_sales_v3', { paused: false });
  await putFlow({
    flowId: 'sales',
    environment: 'data-dev',
    dagId: 'load_sales',
    conf: { input: '{{uri}}' },
    s3: [{ bucket, prefix: 'sales/' }],
  });
  await putFlow({
    flowId: 'sales-v3',
    environment: 'data-next',
    dagId: 'load_sales_v3',
    s3: [{ bucket, prefix: 'v3/' }],
  });
  await putFlow({
    flowId: 'off',
    environment: 'data-dev',
    dagId: 'load_sales',
    enabled: false,
    s3: [{ bucket, prefix: 'off/' }],
  });
  await putFlow({
    flowId: 'ghost',
    environment: 'data-dev',
    dagId: 'no_such_dag',
    s3: [{ bucket, prefix: 'ghost/' }],
  });
  await putFlow({
    flowId: 'held',
    environment: 'data-dev',
    dagId: 'paused_dag',
    s3: [{ bucket, prefix: 'held/' }],
  });
  // Ordinary names, 30 characters each: the run's InvokeRestApi path is over 64 characters.
  dev.addDag(BURST_DAG, { paused: false });
  await putFlow({
    flowId: BURST_FLOW,
    environment: 'data-dev',
    dagId: BURST_DAG,
    conf: { input: '{{uri}}' },
    s3: [{ bucket, prefix: 'burst/' }],
  });
}, 120_000);

afterAll(async () => {
  await cloud?.stop();
});

beforeEach(() => cloud.faults.clear());

const runsOf = (env: string, dagId: string) => cloud.airflow(env).dagRuns(dagId);

describe('S3 → DAG run on the local cloud', () => {
  it('starts the flow’s DAG for a real upload, with the key decoded in the conf', async () => {
    const key = 'sales/2026/Q4 report ü+100%.csv';
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'a,b' }));
    await cloud.settled();
    const runs = runsOf('data-dev', 'load_sales');
    const run = runs.find((r) => JSON.stringify(r.conf).includes('Q4 report'));
    expect(run).toBeDefined();
    const conf = typeof run!.conf === 'string' ? JSON.parse(run!.conf as string) : run!.conf;
    expect(conf).toMatchObject({
      input: `s3://${bucket}/${key}`,
      flow_id: 'sales',
      s3: { bucket, key, size: 3 },
    });
    expect(String(run!.run_id)).toMatch(/^s3__sales__[0-9a-f]{16}$/);
  }, 60_000);

  it('starts one run for a duplicated delivery and two for two uploads of the same key', async () => {
    const before = runsOf('data-dev', 'load_sales').length;
    const event = s3Event('sales/dup.csv', '0001');
    await cloud.invoke('S3DagTriggerFunction', event);
    const again = (await cloud.invoke('S3DagTriggerFunction', event)) as Record<string, number>;
    expect(again).toMatchObject({ triggered: 0, alreadyTriggered: 1 });
    expect(runsOf('data-dev', 'load_sales').length).toBe(before + 1);
    await cloud.invoke('S3DagTriggerFunction', s3Event('sales/dup.csv', '0002'));
    expect(runsOf('data-dev', 'load_sales').length).toBe(before + 2);
  }, 60_000);

  it('starts nothing, and logs why, for an unmatched key or a disabled flow', async () => {
    const before = runsOf('data-dev', 'load_sales').length;
    expect(await cloud.invoke('S3DagTriggerFunction', s3Event('hr/x.csv', '0003'))).toMatchObject({
      unmatched: 1,
    });
    expect(await cloud.invoke('S3DagTriggerFunction', s3Event('off/x.csv', '0004'))).toMatchObject({
      disabled: 1,
    });
    expect(runsOf('data-dev', 'load_sales').length).toBe(before);
    const logs = cloud.logs('S3DagTriggerFunction').join('\n');
    expect(logs).toContain('No flow matches the object; no DAG run started');
    expect(logs).toContain('Object matches only disabled flows; no DAG run started');
  }, 60_000);

  it('sends a missing or paused DAG to the dead-letter queue with the reason', async () => {
    await cloud.invoke('S3DagTriggerFunction', s3Event('ghost/x.csv', '0005'));
    await cloud.invoke('S3DagTriggerFunction', s3Event('held/x.csv', '0006'));
    const letters = await deadLetters();
    expect(letters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          errorName: 'DagNotFoundError',
          flowId: 'ghost',
          reason: 'DAG no_such_dag was not found in environment data-dev',
        }),
        expect.objectContaining({ errorName: 'DagPausedError', flowId: 'held' }),
      ]),
    );
    expect(runsOf('data-dev', 'paused_dag')).toHaveLength(0);
  }, 60_000);

  it('rides out MWAA being briefly unavailable and starts exactly one run', async () => {
    const before = runsOf('data-dev', 'load_sales').length;
    // MWAA's model has no ThrottlingException (faults.inject refuses it): its 503 instead.
    cloud.faults.inject({
      service: 'mwaa',
      operation: 'InvokeRestApi',
      error: 'ServiceUnavailableException',
      times: 2,
    });
    expect(await cloud.invoke('S3DagTriggerFunction', s3Event('sales/throttled.csv', '0007'))).toMatchObject({
      triggered: 1,
    });
    expect(runsOf('data-dev', 'load_sales').length).toBe(before + 1);
    expect(cloud.faults.pending()).toHaveLength(0);
  }, 60_000);

  it('starts 50 runs for a burst of 50 uploads with 30-character flow and DAG ids while MWAA is slow', async () => {
    expect([BURST_FLOW.length, BURST_DAG.length]).toEqual([30, 30]);
    // Every InvokeRestApi call waits before Airflow sees it, so the burst reaches Airflow in
    // clumps: runs without an explicit logical date would share "now" (unique on Airflow 2).
    cloud.faults.inject({
      service: 'mwaa',
      operation: 'InvokeRestApi',
      error: 'Latency',
      delayMs: 25,
      times: Number.POSITIVE_INFINITY,
    });
    const keys = Array.from({ length: 50 }, (_, i) => `burst/${String(i).padStart(2, '0')}.csv`);
    await Promise.all(
      keys.map((key) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' }))),
    );
    await cloud.settled();
    cloud.faults.clear();

    const runs = runsOf('data-dev', BURST_DAG);
    const keysRun = runs.map((r) => (JSON.parse(String(r.conf)) as { s3: { key: string } }).s3.key);
    expect(new Set(runs.map((r) => r.run_id)).size).toBe(50);
    expect(new Set(runs.map((r) => r.execution_date)).size).toBe(50);
    expect(keysRun.sort()).toEqual(keys);
    const letters = await deadLetters();
    expect(letters.filter((l) => l.flowId === BURST_FLOW)).toEqual([]);
    // No upload of the burst was taken for a duplicate delivery.
    const lines = cloud.logs('S3DagTriggerFunction').flatMap((chunk) => chunk.split('\n'));
    expect(lines.filter((l) => l.includes(BURST_FLOW) && l.includes('duplicate delivery'))).toEqual([]);
  }, 120_000);

  it('confirms a duplicate delivery with long ids by reading the run back, and starts nothing twice', async () => {
    const event = s3Event('burst/duplicate.csv', '00A1');
    const first = (await cloud.invoke('S3DagTriggerFunction', event)) as Record<string, number>;
    const again = (await cloud.invoke('S3DagTriggerFunction', event)) as Record<string, number>;
    expect(first).toMatchObject({ triggered: 1 });
    expect(again).toMatchObject({ triggered: 0, alreadyTriggered: 1 });
    const runs = runsOf('data-dev', BURST_DAG).filter((r) => String(r.conf).includes('burst/duplicate.csv'));
    expect(runs).toHaveLength(1);
  }, 60_000);

  it('does not mistake a run that holds its logical date for its own: it takes the next date', async () => {
    const event = s3Event('burst/squatted.csv', '00B2');
    const object = { bucket, key: 'burst/squatted.csv', sequencer: '00B2' };
    const runId = s3RunId(BURST_FLOW, object);
    // Someone else's run sits exactly on the logical date the trigger tries first.
    const taken = airflowDate(logicalDateFor(runId, 1, event.Records[0]!.eventTime))!;
    cloud.airflow('data-dev').triggerDagRun(BURST_DAG, { runId: 'manual__squatter', logicalDate: taken });
    expect(await cloud.invoke('S3DagTriggerFunction', event)).toMatchObject({
      triggered: 1,
      alreadyTriggered: 0,
    });
    const ours = runsOf('data-dev', BURST_DAG).find((r) => r.run_id === runId);
    expect(ours).toBeDefined();
    expect(ours!.execution_date).not.toBe(taken);
    expect(String(ours!.execution_date).slice(0, 19)).toBe(taken.slice(0, 19));
  }, 60_000);

  it('triggers on an Airflow 3 environment through /api/v2', async () => {
    await cloud.invoke('S3DagTriggerFunction', s3Event('v3/a.csv', '0008'));
    expect(runsOf('data-next', 'load_sales_v3')).toHaveLength(1);
  }, 60_000);
});

describe('Scheduler tick → DAG run on the local cloud', () => {
  it('starts one run per scheduled time, however often the tick is delivered', async () => {
    await putFlow({
      flowId: 'nightly',
      environment: 'data-dev',
      dagId: 'load_sales',
      schedules: [{ name: 'night', expression: 'cron(0 2 * * ? *)' }],
    });
    const tick = { flowId: 'nightly', scheduleName: 'night', scheduledTime: '2026-11-26T02:00:00Z' };
    const first = await cloud.invoke('ScheduledDagTriggerFunction', tick);
    const second = await cloud.invoke('ScheduledDagTriggerFunction', tick);
    expect(first).toEqual({ outcome: 'triggered', runId: 'sched__nightly__night__20261126T020000Z' });
    expect(second).toEqual({ outcome: 'already-exists', runId: 'sched__nightly__night__20261126T020000Z' });
    expect(
      runsOf('data-dev', 'load_sales').filter((r) => r.run_id === 'sched__nightly__night__20261126T020000Z'),
    ).toHaveLength(1);
  }, 60_000);

  it('starts a run for each of two schedules of one flow that fire at the same instant, each with its conf', async () => {
    await putFlow({
      flowId: 'twice',
      environment: 'data-dev',
      dagId: 'load_sales',
      schedules: [
        { name: 'full', expression: 'cron(0 3 * * ? *)', conf: { mode: 'full' } },
        { name: 'audit', expression: 'cron(0 3 * * ? *)', conf: { mode: 'audit' } },
      ],
    });
    const at = '2026-11-26T03:00:00Z';
    const outcomes = await Promise.all(
      ['full', 'audit'].map((name) =>
        cloud.invoke('ScheduledDagTriggerFunction', {
          flowId: 'twice',
          scheduleName: name,
          scheduledTime: at,
          conf: { mode: name },
        }),
      ),
    );
    expect(outcomes).toEqual([
      { outcome: 'triggered', runId: 'sched__twice__full__20261126T030000Z' },
      { outcome: 'triggered', runId: 'sched__twice__audit__20261126T030000Z' },
    ]);
    const runs = runsOf('data-dev', 'load_sales').filter((r) =>
      String(r.run_id).startsWith('sched__twice__'),
    );
    expect(runs.map((r) => (JSON.parse(String(r.conf)) as { mode: string }).mode).sort()).toEqual([
      'audit',
      'full',
    ]);
  }, 60_000);
});

describe('flows put → Scheduler → DAG run on the local cloud', () => {
  it('syncs a flow’s schedule with the CLI and the schedule starts exactly one run at its time', async () => {
    const at = new Date(cloud.clock.now() + 10 * 60_000).toISOString().slice(0, 19);
    const flow = {
      flowId: 'once',
      environment: 'data-dev',
      dagId: 'load_sales',
      conf: { day: '{{scheduled_time}}' },
      schedules: [{ name: 'soon', expression: `at(${at})`, timezone: 'UTC' }],
    };
    const put = await runCliOnCloud(cloud, ['flows', 'put', 'flow.json'], {
      readInput: () => JSON.stringify(flow),
    });
    expect(put).toEqual({ code: 0, stdout: 'put once; schedules: once--soon\n', stderr: '' });

    const deadline = cloud.clock.now() + 60 * 60_000;
    let runs = runsOf('data-dev', 'load_sales').filter((r) => String(r.run_id).startsWith('sched__once__'));
    while (runs.length === 0 && cloud.clock.now() < deadline) {
      await cloud.clock.sleep(60_000);
      await cloud.settled();
      runs = runsOf('data-dev', 'load_sales').filter((r) => String(r.run_id).startsWith('sched__once__'));
    }
    expect(runs).toHaveLength(1);
    expect(String(runs[0]!.run_id)).toBe(`sched__once__soon__${at.replace(/[-:]/g, '')}Z`);
  }, 60_000);

  it('two synced schedules of one flow due at the same minute both start their run, each with its own conf', async () => {
    const at = new Date(cloud.clock.now() + 10 * 60_000).toISOString().slice(0, 19);
    const flow = {
      flowId: 'pair',
      environment: 'data-dev',
      dagId: 'load_sales',
      schedules: [
        { name: 'load', expression: `at(${at})`, timezone: 'UTC', conf: { mode: 'load' } },
        { name: 'check', expression: `at(${at})`, timezone: 'UTC', conf: { mode: 'check' } },
      ],
    };
    const put = await runCliOnCloud(cloud, ['flows', 'put', 'flow.json'], {
      readInput: () => JSON.stringify(flow),
    });
    expect(put.code).toBe(0);

    const mine = () =>
      runsOf('data-dev', 'load_sales').filter((r) => String(r.run_id).startsWith('sched__pair__'));
    const deadline = cloud.clock.now() + 60 * 60_000;
    while (mine().length < 2 && cloud.clock.now() < deadline) {
      await cloud.clock.sleep(60_000);
      await cloud.settled();
    }
    const stamp = `${at.replace(/[-:]/g, '')}Z`;
    expect(
      mine()
        .map((r) => r.run_id)
        .sort(),
    ).toEqual([`sched__pair__check__${stamp}`, `sched__pair__load__${stamp}`]);
    expect(
      Object.fromEntries(
        mine().map((r) => [r.run_id, (JSON.parse(String(r.conf)) as { mode: string }).mode]),
      ),
    ).toEqual({ [`sched__pair__check__${stamp}`]: 'check', [`sched__pair__load__${stamp}`]: 'load' });
  }, 60_000);
});
