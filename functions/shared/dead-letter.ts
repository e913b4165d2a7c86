/**
 * The dead-letter queue: where a record that cannot be routed or triggered goes, with the
 * reason, so nothing is silently dropped. Messages carry what identifies the input (bucket,
 * key, flow id), the error, and `replayEvent`: the event that re-drives the input through the
 * same function (`mwaa-ops dlq replay`), which is safe because run ids are deterministic. Never
 * conf values or credentials: a schedule's replay names the schedule, whose conf the flow holds.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

export interface DeadLetter {
  /** What failed, in words an operator can act on. */
  reason: string;
  /** The error class name, e.g. DagNotFoundError. */
  errorName: string;
  /** Which function sent it. */
  source: string;
  flowId?: string;
  environment?: string;
  dagId?: string;
  /** The input that failed, reduced to identifying fields. */
  input: Record<string, unknown>;
  /**
   * The event to invoke `source` with to try this input again (an S3 event holding just the
   * record, as S3 sent it; a schedule tick without conf). Absent when nothing could be read.
   */
  replayEvent?: unknown;
}

export interface DeadLetterSink {
  send(letter: DeadLetter): Promise<void>;
}

export function createSqsDeadLetterSink(
  sqs: Pick<SQSClient, 'send'>,
  queueUrl: string,
  now = () => new Date(),
): DeadLetterSink {
  return {
    async send(letter) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: JSON.stringify({ ...letter, failedAt: now().toISOString() }),
          MessageAttributes: {
            errorName: { DataType: 'String', StringValue: letter.errorName },
            source: { DataType: 'String', StringValue: letter.source },
          },
        }),
      );
    },
  };
}
