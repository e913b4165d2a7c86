import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { type Log, processS3Event } from '../../../../functions/s3-dag-trigger/process-event.ts';
import { decodeS3Key, parseS3Event } from '../../../../functions/s3-dag-trigger/s3-events.ts';
import type { TriggerRequest, TriggerResult } from '../../../../functions/shared/airflow/client.ts';
import {
  AirflowServerError,
  DagNotFoundError,
  UnconfirmedConflictError,
} from '../../../../functions/shared/airflow/errors.ts';
import type { DeadLetter } from '../../../../functions/shared/dead-letter.ts';
import { RetryableError } from '../../../../functions/shared/errors.ts';
import { type Flow, validateFlow } from '../../../../functions/shared/flows/model.ts';

const load = (path: string) =>
  JSON.parse(readFileSync(new URL(`../../../../events/${path}`, import.meta.url), 'utf8'));

function flow(input: object): Flow {
  const result = validateFlow(input);
  if (!result.ok) throw new Error(result.problems.join('; '));
  return result.flow;
}

function harness(flows: Flow[], trigger: (env: string, req: TriggerRequest) => Promise<TriggerResult>) {
  const letters: DeadLetter[] = [];
  const triggers: Array<{ env: string; req: TriggerRequest }> = [];
  const lines: Array<{ level: string; message: string; fields: unknown }> = [];
  const record = (level: string) => (message: unknown, fields?: unknown) => {
    lines.push({ level, message: String(message), fields });
  };
  const log = { info: record('info'), warn: record('warn'), error: record('error') } as unknown as Log;
  return {
    letters,
    triggers,
    lines,
    deps: {
      flows: {
        snapshot: async () => ({ flows, invalid: [{ flowId: 'broken', problems: ['dagId: missing'] }] }),
      },
      airflow: {
        triggerDagRun: async (env: string, req: TriggerRequest) => {
          triggers.push({ env, req });
          return trigger(env, req);
        },
      },
      deadLetter: { send: async (letter: DeadLetter) => void letters.push(letter) },
      log,
    },
  };
}

const ok = async (_env: string, req: TriggerRequest): Promise<TriggerResult> => ({
  outcome: 'triggered',
  runId: req.runId,
  unpaused: false,
});

describe('S3 event parsing', () => {
  it('decodes keys as S3 encodes them (+ is a space, %XX are UTF-8 bytes)', () => {
    expect(decodeS3Key('sales/2026/Q4+report+%C3%BC%2B%25.csv')).toBe('sales/2026/Q4 report ü+%.csv');
  });

  it('reads the sample notification, the EventBridge shape and the test event', () => {
    const notification = load('s3/object-created-put.json');
    expect(parseS3Event(notification).records).toEqual([
      {
        kind: 'object',
        // What a dead letter keeps to re-drive this record: the record as S3 sent it.
        replay: { Records: [notification.Records[0]] },
        object: {
          bucket: 'mwaa-ops-landing-example',
          key: 'sales/2026/Q4 report ü+%.csv',
          size: 1024,
          etag: 'd41d8cd98f00b204e9800998ecf8427e',
          versionId: '096fKKXTRTtl3on89fVO.nfljtsv6qko',
          sequencer: '0055AED6DCD90281E5',
          eventTime: '2026-11-26T10:15:30.123Z',
          eventName: 'ObjectCreated:Put',
        },
      },
    ]);
    expect(parseS3Event(load('eventbridge/s3-object-created.json')).records[0]).toMatchObject({
      kind: 'object',
      object: {
        bucket: 'existing-data-bucket',
        key: 'sales/2026/Q4 report.csv',
        versionId: 'IYV3p45BT0ac8hjHg1houSdS1a.Mro8e',
      },
    });
    expect(parseS3Event(load('s3/test-event.json'))).toEqual({ shape: 's3-test-event', records: [] });
  });

  it('unwraps S3 events delivered through SQS, SNS and SNS to SQS, keeping the embedded event for a replay', () => {
    const s3 = load('s3/object-created-put.json');
    const record = s3.Records[0];
    const viaSqs = { Records: [{ eventSource: 'aws:sqs', messageId: 'm1', body: JSON.stringify(s3) }] };
    const viaSns = { Records: [{ EventSource: 'aws:sns', Sns: { Message: JSON.stringify(s3) } }] };
    const snsToSqs = {
      Records: [
        {
          eventSource: 'aws:sqs',
          body: JSON.stringify({ Type: 'Notification', Message: JSON.stringify(s3) }),
        },
      ],
    };
    for (const [event, shape] of [
      [viaSqs, 'sqs'],
      [viaSns, 'sns'],
      [snsToSqs, 'sqs'],
    ] as const) {
      const parsed = parseS3Event(event);
      expect(parsed.shape).toBe(shape);
      expect(parsed.records).toEqual([
        expect.objectContaining({
          kind: 'object',
          object: expect.objectContaining({ key: 'sales/2026/Q4 report ü+%.csv' }),
          replay: { Records: [record] },
        }),
      ]);
    }
    const garbled = parseS3Event({ Records: [{ eventSource: 'aws:sqs', body: 'not json' }] });
    expect(garbled.records[0]).toEqual({
      kind: 'malformed',
      reason: 'SQS message body is not JSON',
      index: 0,
      raw: 'not json',
    });
  });

  it('flags malformed input instead of throwing', () => {
    expect(parseS3Event('nope').records[0]).toMatchObject({ kind: 'malformed' });
    expect(
      parseS3Event({ Records: [{ s3: { bucket: { name: 'b' }, object: { key: '%E0%A4%A' } } }] }).records[0],
    ).toMatchObject({
      kind: 'malformed',
      reason: 's3.object.key is not valid URL encoding',
    });
  });
});

describe('processS3Event', () => {
  const sample = load('s3/object-created-put.json');
  const flows = [
    flow({
      flowId: 'sales',
      environment: 'dev',
      dagId: 'load',
      s3: [{ bucket: 'mwaa-ops-landing-example', prefix: 'sales/' }],
      conf: { src: '{{uri}}' },
    }),
    flow({
      flowId: 'csv',
      environment: 'dev',
      dagId: 'csv',
      s3: [{ bucket: 'mwaa-ops-landing-example', suffix: '.csv' }],
      onPaused: 'unpause',
    }),
  ];

  it('triggers every matching flow with the decoded object in the conf and reports bad flow rows', async () => {
    const h = harness(flows, ok);
    const summary = await processS3Event(sample, h.deps);
    expect(summary).toMatchObject({ objects: 1, triggered: 2, deadLettered: 0 });
    expect(h.triggers.map((t) => t.req.dagId)).toEqual(['load', 'csv']);
    expect(h.triggers[0]?.req.conf).toMatchObject({
      src: 's3://mwaa-ops-landing-example/sales/2026/Q4 report ü+%.csv',
      s3: { key: 'sales/2026/Q4 report ü+%.csv', sequencer: '0055AED6DCD90281E5' },
    });
    expect(h.triggers[1]?.req.onPaused).toBe('unpause');
    expect(
      h.lines.some((l) => l.level === 'error' && l.message === 'Flow row is invalid and was skipped'),
    ).toBe(true);
  });

  it('counts a 409 as already triggered', async () => {
    const h = harness(flows, async (_e, req) => ({
      outcome: 'already-exists',
      runId: req.runId,
      unpaused: false,
    }));
    expect(await processS3Event(sample, h.deps)).toMatchObject({ alreadyTriggered: 2, triggered: 0 });
  });

  it('logs and starts nothing when no flow matches', async () => {
    const h = harness(flows, ok);
    const event = structuredClone(sample);
    event.Records[0].s3.object.key = 'hr/x.json';
    expect(await processS3Event(event, h.deps)).toMatchObject({ unmatched: 1, triggered: 0 });
    expect(h.triggers).toHaveLength(0);
    expect(h.letters).toHaveLength(0);
    expect(h.lines.map((l) => l.message)).toContain('No flow matches the object; no DAG run started');
  });

  it('sends permanent failures to the DLQ with the reason and keeps going', async () => {
    const h = harness(flows, async (_e, req) => {
      if (req.dagId === 'load') throw new DagNotFoundError('DAG load was not found in environment dev');
      return ok(_e, req);
    });
    expect(await processS3Event(sample, h.deps)).toMatchObject({ triggered: 1, deadLettered: 1 });
    expect(h.letters[0]).toMatchObject({
      errorName: 'DagNotFoundError',
      reason: 'DAG load was not found in environment dev',
      flowId: 'sales',
      input: { bucket: 'mwaa-ops-landing-example', key: 'sales/2026/Q4 report ü+%.csv' },
    });
    expect(JSON.stringify(h.letters)).not.toContain('s3://');
  });

  it('dead-letters a conflict Airflow kept answering for a run that is not ours, never counting it as done', async () => {
    const h = harness(flows, async (_e, req) => {
      if (req.dagId === 'load') throw new UnconfirmedConflictError('refused run with a conflict 4 times');
      return ok(_e, req);
    });
    expect(await processS3Event(sample, h.deps)).toMatchObject({
      triggered: 1,
      alreadyTriggered: 0,
      deadLettered: 1,
    });
    expect(h.letters[0]).toMatchObject({ errorName: 'UnconfirmedConflictError', flowId: 'sales' });
    expect(h.letters[0]?.replayEvent).toEqual({ Records: [sample.Records[0]] });
  });

  it('throws after the batch when a trigger failed retryably, so Lambda retries the event', async () => {
    const h = harness(flows, async (_e, req) => {
      if (req.dagId === 'csv') throw new AirflowServerError('MWAA failed');
      return ok(_e, req);
    });
    await expect(processS3Event(sample, h.deps)).rejects.toBeInstanceOf(RetryableError);
    expect(h.triggers).toHaveLength(2);
  });

  it('dead-letters a record that fails to decode with its bucket, raw key and the record to replay', async () => {
    const h = harness(flows, ok);
    const record = {
      eventName: 'ObjectCreated:Put',
      s3: { bucket: { name: 'b' }, object: { key: '%E0%A4%A' } },
    };
    await processS3Event({ Records: [record] }, h.deps);
    expect(h.letters[0]).toMatchObject({
      errorName: 'ValidationError',
      input: { bucket: 'b', rawKey: '%E0%A4%A' },
      replayEvent: { Records: [record] },
    });
  });

  it('dead-letters a failed trigger of an SQS-wrapped event with the embedded S3 event', async () => {
    const h = harness(flows, async (_e, req) => {
      if (req.dagId === 'load') throw new DagNotFoundError('DAG load was not found in environment dev');
      return ok(_e, req);
    });
    await processS3Event({ Records: [{ eventSource: 'aws:sqs', body: JSON.stringify(sample) }] }, h.deps);
    expect(h.letters[0]?.replayEvent).toEqual({ Records: [sample.Records[0]] });
    expect(h.triggers[0]?.req.anchorTime).toBe('2026-11-26T10:15:30.123Z');
  });

  it('dead-letters a malformed event without calling Airflow', async () => {
    const h = harness(flows, ok);
    expect(await processS3Event({ hello: 'world' }, h.deps)).toMatchObject({ deadLettered: 1 });
    expect(h.letters[0]?.reason).toContain('Malformed S3 event record');
    // Nothing in it is an S3 record, so there is nothing to replay; the operator still sees it.
    expect(h.letters[0]?.input).toMatchObject({ raw: '{"hello":"world"}' });
    expect(h.letters[0]?.replayEvent).toBeUndefined();
    expect(h.triggers).toHaveLength(0);
  });
});
