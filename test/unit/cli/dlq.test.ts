import { describe, expect, it } from '@jest/globals';
import { deadLetteredAgain, describeOutcome, replayPlan, summarize } from '../../../cli/dlq-messages.ts';
import { runCliCaptured } from '../../helpers/cli-run.ts';

const letter = {
  reason: 'DAG load_sales was not found in environment data-dev',
  errorName: 'DagNotFoundError',
  source: 'S3DagTriggerFunction',
  flowId: 'daily-sales',
  input: { bucket: 'b', key: 'sales/x.csv' },
  replayEvent: { Records: [{ s3: { bucket: { name: 'b' }, object: { key: 'sales/x.csv' } } }] },
  failedAt: '2026-11-26T10:15:31.002Z',
};

const destination = {
  version: '1.0',
  timestamp: '2026-11-26T10:20:00.000Z',
  requestContext: {
    requestId: 'r-1',
    functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:mwaa-ops-S3DagTriggerFunction-X:$LATEST',
    condition: 'RetriesExhausted',
    approximateInvokeCount: 3,
  },
  requestPayload: { Records: [{ s3: {} }] },
  responsePayload: { errorType: 'RetryableError', errorMessage: '1 trigger(s) failed with retryable errors' },
};

describe('dead-letter messages', () => {
  it('re-drive a trigger function’s letter through the function named by its source', () => {
    expect(replayPlan(JSON.stringify(letter))).toEqual({
      replayable: true,
      function: { output: 'S3DagTriggerFunctionArn' },
      event: letter.replayEvent,
    });
    expect(
      replayPlan(
        JSON.stringify({ ...letter, source: 'ScheduledDagTriggerFunction', replayEvent: { flowId: 'x' } }),
      ),
    ).toMatchObject({ function: { output: 'ScheduledDagTriggerFunctionArn' } });
  });

  it('re-drive a Lambda destination record with its original event through its function ARN', () => {
    expect(replayPlan(JSON.stringify(destination))).toEqual({
      replayable: true,
      function: { arn: destination.requestContext.functionArn },
      event: destination.requestPayload,
    });
    expect(summarize('m-2', JSON.stringify(destination))).toEqual({
      messageId: 'm-2',
      kind: 'lambda-destination',
      reason: 'RetriesExhausted: 1 trigger(s) failed with retryable errors',
      errorName: 'RetryableError',
      source: 'mwaa-ops-S3DagTriggerFunction-X',
      failedAt: '2026-11-26T10:20:00.000Z',
      replayable: true,
    });
  });

  it('say why a message cannot be replayed', () => {
    expect(replayPlan('not json')).toEqual({ replayable: false, why: 'the message is not a JSON object' });
    const { replayEvent: _dropped, ...old } = letter;
    expect(replayPlan(JSON.stringify(old))).toMatchObject({ replayable: false });
    expect(replayPlan(JSON.stringify({ ...letter, source: 'Other' }))).toMatchObject({
      why: 'Other is not a trigger function',
    });
    expect(summarize('m-3', JSON.stringify(old))).toMatchObject({ kind: 'trigger', replayable: false });
  });

  it('describe what the replayed invocation answered', () => {
    expect(describeOutcome({ objects: 1, triggered: 1, alreadyTriggered: 0 })).toBe('triggered 1');
    expect(describeOutcome({ outcome: 'already-exists', runId: 'sched__x__m__20261126T060000Z' })).toBe(
      'already-exists sched__x__m__20261126T060000Z',
    );
    expect(deadLetteredAgain({ deadLettered: 1 })).toBe(true);
    expect(deadLetteredAgain({ outcome: 'dead-lettered' })).toBe(true);
    expect(deadLetteredAgain({ triggered: 1, deadLettered: 0 })).toBe(false);
  });
});

describe('mwaa-ops dlq replay', () => {
  function fakeQueue(messages: Array<{ messageId: string; body: string }>, fail = false) {
    const deleted: string[] = [];
    const invoked: unknown[] = [];
    return {
      deleted,
      invoked,
      dlq: () => ({
        receive: async () => messages.map((m) => ({ ...m, receiptHandle: `h-${m.messageId}` })),
        delete: async (m: { messageId: string }) => void deleted.push(m.messageId),
        invoke: async (target: unknown, event: unknown) => {
          invoked.push({ target, event });
          return fail
            ? { ok: false as const, error: 'RetryableError: still failing' }
            : { ok: true as const, payload: { triggered: 1 } };
        },
      }),
    };
  }

  it('deletes a message only after its replay succeeded, and keeps the ones that failed', async () => {
    const ok = fakeQueue([{ messageId: 'm-1', body: JSON.stringify(letter) }]);
    const done = await runCliCaptured(['dlq', 'replay', '--all'], { dlq: ok.dlq });
    expect(done).toEqual({ code: 0, stdout: 'm-1  replayed: triggered 1 (deleted)\n', stderr: '' });
    expect(ok.deleted).toEqual(['m-1']);

    const failing = fakeQueue([{ messageId: 'm-1', body: JSON.stringify(letter) }], true);
    const failed = await runCliCaptured(['dlq', 'replay', 'm-1'], { dlq: failing.dlq });
    expect(failed.code).toBe(1);
    expect(failed.stdout).toBe('m-1  failed: RetryableError: still failing\n');
    expect(failed.stderr).toContain('ReplayFailedError');
    expect(failing.deleted).toEqual([]);

    const kept = fakeQueue([{ messageId: 'm-1', body: JSON.stringify(letter) }]);
    await runCliCaptured(['dlq', 'replay', '--all', '--keep'], { dlq: kept.dlq });
    expect(kept.deleted).toEqual([]);
  });

  it('skips what it cannot replay and insists on message ids or --all', async () => {
    const queue = fakeQueue([{ messageId: 'm-9', body: '{}' }]);
    const out = await runCliCaptured(['dlq', 'replay', '--all'], { dlq: queue.dlq });
    expect(out.stdout).toBe('m-9  skipped: the message names no source function\n');
    expect(queue.invoked).toEqual([]);
    expect((await runCliCaptured(['dlq', 'replay'], { dlq: queue.dlq })).code).toBe(2);
    expect((await runCliCaptured(['dlq', 'replay', 'm-9', '--all'], { dlq: queue.dlq })).code).toBe(2);
  });
});
