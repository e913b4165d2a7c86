/**
 * What `mwaa-ops dlq` needs from AWS: the trigger dead-letter queue (SQS) and Lambda `Invoke` to
 * re-drive a message through the function that wrote it. Behind a small interface so the
 * command is tested with fakes; the SDK adapter is used against AWS and the local cloud.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { sdkConfig } from './clients.ts';
import type { CliContext } from './context.ts';
import { stackOutputs } from './stack-outputs.ts';

export interface QueuedMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
}

export type InvokeOutcome = { ok: true; payload: unknown } | { ok: false; error: string };

export interface DeadLetterQueueOps {
  /**
   * Up to `max` distinct messages, oldest first as SQS hands them out. SQS has no peek: the
   * messages received stay invisible to other readers for `holdSeconds`, then reappear.
   */
  receive(max: number, holdSeconds: number): Promise<QueuedMessage[]>;
  delete(message: QueuedMessage): Promise<void>;
  /** Invoke a function (by stack output name or ARN) synchronously with `event`. */
  invoke(target: { output: string } | { arn: string }, event: unknown): Promise<InvokeOutcome>;
}

export type DeadLetterQueueOpsFactory = (context: CliContext) => DeadLetterQueueOps;

export const sdkDeadLetterQueueOps: DeadLetterQueueOpsFactory = (context) => {
  const output = stackOutputs(context);
  const sqs = new SQSClient(sdkConfig(context, 'SQS'));
  const lambda = new LambdaClient(sdkConfig(context, 'LAMBDA'));
  const queueUrl = () => output('TriggerDeadLetterQueueUrl');

  return {
    async receive(max, holdSeconds) {
      const url = await queueUrl();
      const seen = new Map<string, QueuedMessage>();
      while (seen.size < max) {
        const out = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: url,
            MaxNumberOfMessages: Math.min(10, max - seen.size),
            VisibilityTimeout: holdSeconds,
            // A short long-poll asks every SQS server, so an empty answer means an empty queue.
            WaitTimeSeconds: 1,
          }),
        );
        const fresh = (out.Messages ?? []).filter((m) => m.MessageId && !seen.has(m.MessageId));
        if (fresh.length === 0) break;
        for (const m of fresh) {
          seen.set(m.MessageId as string, {
            messageId: m.MessageId as string,
            receiptHandle: m.ReceiptHandle ?? '',
            body: m.Body ?? '',
          });
        }
      }
      return [...seen.values()];
    },
    async delete(message) {
      await sqs.send(
        new DeleteMessageCommand({ QueueUrl: await queueUrl(), ReceiptHandle: message.receiptHandle }),
      );
    },
    async invoke(target, event) {
      const name = 'arn' in target ? target.arn : await output(target.output);
      const out = await lambda.send(
        new InvokeCommand({
          FunctionName: name,
          InvocationType: 'RequestResponse',
          Payload: new TextEncoder().encode(JSON.stringify(event)),
        }),
      );
      const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
      let payload: unknown = text;
      try {
        payload = text === '' ? undefined : JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      if (out.FunctionError) {
        const error = payload as { errorType?: string; errorMessage?: string } | undefined;
        return {
          ok: false,
          error: `${error?.errorType ?? out.FunctionError}: ${error?.errorMessage ?? 'the function failed'}`,
        };
      }
      return { ok: true, payload };
    },
  };
};
