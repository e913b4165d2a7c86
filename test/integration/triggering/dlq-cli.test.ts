/**
 * `mwaa-ops dlq list|replay` against the local cloud: dead letters written by the unchanged
 * trigger handlers, read and re-driven through SQS and Lambda Invoke by the real SDK adapter.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type FlowInput, validateFlow } from '../../../functions/shared/flows/model.ts';
import { createFlowRepository } from '../../../functions/shared/flows/repository.ts';
import { type LocalCloud, startLocalCloud } from '../../../local/index.ts';
import { runCliOnCloud } from '../../helpers/cli-run.ts';
import { createAvailableEnvironment } from '../../helpers/environments.ts';
import { s3Record } from '../../helpers/s3-events.ts';

let cloud: LocalCloud;
let sqs: SQSClient;
let queueUrl: string;
let bucket: string;

const credentials = () => ({
  region: cloud.env.AWS_REGION,
  credentials: { accessKeyId: cloud.env.AWS_ACCESS_KEY_ID, secretAccessKey: cloud.env.AWS_SECRET_ACCESS_KEY },
});

async function putFlow(input: FlowInput) {
  const checked = validateFlow(input);
  if (!checked.ok) throw new Error(checked.problems.join('; '));
  const ddb = DynamoDBDocumentClient.from(
    new DynamoDBClient({ ...credentials(), endpoint: cloud.env.AWS_ENDPOINT_URL_DYNAMODB }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  await createFlowRepository({ ddb, tableName: cloud.ref('FlowsTable') }).put(checked.flow);
}

/** The bodies waiting in the queue, without taking them (visibility 0). */
async function bodies(): Promise<Array<Record<string, unknown>>> {
  const out = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
  );
  return (out.Messages ?? []).map((m) => JSON.parse(m.Body ?? '{}'));
}

const cli = (...args: string[]) => runCliOnCloud(cloud, args);
const runs = () => cloud.airflow('dlq-dev').dagRuns('late_dag');

beforeAll(async () => {
  cloud = await startLocalCloud({ clockSpeed: 3000 });
  sqs = new SQSClient({ ...credentials(), endpoint: cloud.env.AWS_ENDPOINT_URL_SQS });
  bucket = cloud.ref('LandingBucket');
  const queueName = cloud.ref('TriggerDeadLetterQueue').split('/').pop()!;
  queueUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }))).QueueUrl!;
  await createAvailableEnvironment(cloud, 'dlq-dev', '2.10.3');
  // The flows point at a DAG that is not deployed yet: every trigger is dead-lettered.
  await putFlow({
    flowId: 'late',
    environment: 'dlq-dev',
    dagId: 'late_dag',
    s3: [{ bucket, prefix: 'late/' }],
    schedules: [{ name: 'morning', expression: 'cron(0 6 * * ? *)', conf: { mode: 'morning' } }],
  });
}, 120_000);

afterAll(async () => {
  await cloud?.stop();
});

describe('mwaa-ops dlq on the local cloud', () => {
  it('lists dead letters, replays them once the cause is fixed, and a second replay starts nothing twice', async () => {
    await cloud.invoke('S3DagTriggerFunction', { Records: [s3Record(bucket, 'late/a.csv', '0001')] });
    const wrapped = { Records: [s3Record(bucket, 'late/b.csv', '0002')] };
    await cloud.invoke('S3DagTriggerFunction', {
      Records: [{ eventSource: 'aws:sqs', messageId: 'm-1', body: JSON.stringify(wrapped) }],
    });
    await cloud.invoke('ScheduledDagTriggerFunction', {
      flowId: 'late',
      scheduleName: 'morning',
      scheduledTime: '2026-11-26T06:00:00Z',
      conf: { mode: 'morning' },
    });
    const undecodable = { ...s3Record(bucket, '%E0%A4%A', '0003') };
    await cloud.invoke('S3DagTriggerFunction', { Records: [undecodable] });

    const waiting = await bodies();
    expect(waiting).toHaveLength(4);
    // What a replay needs is in every message: the record as sent, the embedded S3 event, the tick.
    expect(waiting).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          errorName: 'DagNotFoundError',
          replayEvent: { Records: [s3Record(bucket, 'late/a.csv', '0001')] },
        }),
        expect.objectContaining({ errorName: 'DagNotFoundError', replayEvent: wrapped }),
        expect.objectContaining({
          source: 'ScheduledDagTriggerFunction',
          replayEvent: { flowId: 'late', scheduleName: 'morning', scheduledTime: '2026-11-26T06:00:00Z' },
        }),
        expect.objectContaining({
          errorName: 'ValidationError',
          input: expect.objectContaining({ bucket, rawKey: '%E0%A4%A' }),
          replayEvent: { Records: [undecodable] },
        }),
      ]),
    );
    expect(JSON.stringify(waiting)).not.toContain('"mode"');

    const listed = await cli('dlq', 'list', '--output', 'json', '--hold-seconds', '0');
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    const summaries = JSON.parse(listed.stdout) as Array<{ replayable: boolean; errorName: string }>;
    expect(summaries).toHaveLength(4);
    expect(summaries.every((s) => s.replayable)).toBe(true);

    expect(await cli('dlq', 'replay')).toMatchObject({ code: 2 });

    // Fix the cause: deploy the DAG. Then re-drive everything.
    cloud.airflow('dlq-dev').addDag('late_dag', { paused: false });
    const replay = await cli('dlq', 'replay', '--all', '--output', 'json', '--hold-seconds', '43200');
    expect(replay.stderr).toBe('');
    expect(replay.code).toBe(0);
    const reports = JSON.parse(replay.stdout) as Array<{ result: string; detail: string; deleted: boolean }>;
    expect(reports.map((r) => r.result).sort()).toEqual([
      'dead-lettered-again',
      'replayed',
      'replayed',
      'replayed',
    ]);
    expect(reports.every((r) => r.deleted)).toBe(true);
    expect(runs()).toHaveLength(3);
    const scheduled = runs().find((r) => r.run_id === 'sched__late__morning__20261126T060000Z');
    // The replayed tick held no conf; the schedule's conf came from the flow.
    expect(JSON.parse(String(scheduled?.conf))).toMatchObject({ mode: 'morning' });

    // Only the undecodable record is left, as a fresh message with the same reason.
    const left = await bodies();
    expect(left).toEqual([expect.objectContaining({ errorName: 'ValidationError' })]);

    // The same message re-driven again starts nothing new.
    const first = waiting.find((w) => JSON.stringify(w.replayEvent).includes('late/a.csv'));
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(first) }));
    const messages = JSON.parse(
      (await cli('dlq', 'list', '--output', 'json', '--hold-seconds', '0')).stdout,
    ) as Array<{
      messageId: string;
      errorName: string;
    }>;
    const copy = messages.find((m) => m.errorName === 'DagNotFoundError');
    expect(copy).toBeDefined();
    const again = await cli('dlq', 'replay', copy!.messageId, '--hold-seconds', '43200');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('replayed: alreadyTriggered 1 (deleted)');
    expect(runs()).toHaveLength(3);

    const missing = await cli('dlq', 'replay', 'no-such-message', '--hold-seconds', '0');
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('not-found');
  }, 120_000);
});
