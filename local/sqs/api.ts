/**
 * The SQS wire API (awsJson 1.0, `X-Amz-Target: AmazonSQS.<Operation>`): CreateQueue,
 * GetQueueUrl, ListQueues, DeleteQueue, SendMessage, ReceiveMessage (with short long-polls on the
 * emulated clock), DeleteMessage, GetQueueAttributes, PurgeQueue, translated to the queue store.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { applyFault } from '../core/fault-response.ts';
import { sendJson } from '../core/http.ts';
import type { ServiceContext } from '../core/service.ts';
import { ServiceError } from '../core/service-error.ts';
import {
  invalidAttributeValue,
  invalidParameterValue,
  sendSqsError,
  serializationException,
  unsupportedOperation,
} from './errors.ts';
import type { SqsAttributeValue } from './md5.ts';
import type { Queue, QueueStore, StoredMessage } from './model.ts';

type Input = Record<string, unknown>;
type Operation = (input: Input) => Promise<unknown> | unknown;

const str = (value: unknown) => (typeof value === 'string' ? value : undefined);

function intParam(input: Input, name: string, fallback: number, min: number, max: number): number {
  const value = input[name];
  if (value === undefined || value === null) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw invalidParameterValue(
      `Value ${String(value)} for parameter ${name} is invalid. Reason: Must be between ${min} and ${max}, if provided.`,
    );
  }
  return n;
}

function queueAttributes(store: QueueStore, queue: Queue, names: string[]): Record<string, string> {
  const counts = store.counts(queue);
  const all: Record<string, string> = {
    ...queue.attributes,
    QueueArn: queue.arn,
    ApproximateNumberOfMessages: String(counts.visible),
    ApproximateNumberOfMessagesNotVisible: String(counts.inFlight),
    ApproximateNumberOfMessagesDelayed: String(counts.delayed),
    CreatedTimestamp: String(Math.floor(queue.createdTimestamp / 1000)),
    LastModifiedTimestamp: String(Math.floor(queue.createdTimestamp / 1000)),
  };
  if (names.includes('All')) return all;
  return Object.fromEntries(
    names.filter((name) => all[name] !== undefined).map((name) => [name, all[name] as string]),
  );
}

function renderMessage(message: StoredMessage, systemNames: string[], attributeNames: string[]) {
  const system: Record<string, string> = {
    SenderId: 'AIDALOCALCLOUDUSER000',
    SentTimestamp: String(message.sentTimestamp),
    ApproximateReceiveCount: String(message.receiveCount),
    ApproximateFirstReceiveTimestamp: String(message.firstReceiveTimestamp ?? message.sentTimestamp),
  };
  const wantAll = systemNames.includes('All');
  const attributes = Object.fromEntries(
    Object.entries(system).filter(([name]) => wantAll || systemNames.includes(name)),
  );
  const wanted = (name: string) =>
    attributeNames.some(
      (pattern) =>
        pattern === 'All' ||
        pattern === '.*' ||
        pattern === name ||
        (pattern.endsWith('.*') && name.startsWith(pattern.slice(0, -1))),
    );
  const messageAttributes = Object.fromEntries(
    Object.entries(message.messageAttributes).filter(([name]) => wanted(name)),
  );
  const hasAttributes = Object.keys(messageAttributes).length > 0;
  return {
    MessageId: message.messageId,
    ReceiptHandle: message.receiptHandle,
    MD5OfBody: message.md5OfBody,
    Body: message.body,
    ...(Object.keys(attributes).length > 0 ? { Attributes: attributes } : {}),
    ...(hasAttributes
      ? { MessageAttributes: messageAttributes, MD5OfMessageAttributes: message.md5OfMessageAttributes }
      : {}),
  };
}

/** The HTTP handler: faults injected for `sqs`/<Operation> first, then the operation. */
export function sqsApi(ctx: ServiceContext, store: QueueStore) {
  const operations: Record<string, Operation> = {
    CreateQueue(input) {
      const attributes = (input.Attributes ?? {}) as Record<string, string>;
      if (attributes.RedrivePolicy !== undefined) {
        try {
          JSON.parse(attributes.RedrivePolicy);
        } catch {
          throw invalidAttributeValue(
            'Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid JSON map.',
          );
        }
      }
      return { QueueUrl: store.create(str(input.QueueName), attributes).url };
    },
    GetQueueUrl: (input) => ({ QueueUrl: store.byNameOrThrow(str(input.QueueName)).url }),
    ListQueues: (input) => ({ QueueUrls: store.list(str(input.QueueNamePrefix)).map((queue) => queue.url) }),
    DeleteQueue(input) {
      store.delete(store.byUrl(str(input.QueueUrl)));
      return {};
    },
    SendMessage(input) {
      const queue = store.byUrl(str(input.QueueUrl));
      const delay = input.DelaySeconds === undefined ? undefined : Number(input.DelaySeconds);
      const message = store.send(
        queue,
        str(input.MessageBody),
        (input.MessageAttributes ?? {}) as Record<string, SqsAttributeValue>,
        delay,
      );
      return {
        MessageId: message.messageId,
        MD5OfMessageBody: message.md5OfBody,
        ...(message.md5OfMessageAttributes ? { MD5OfMessageAttributes: message.md5OfMessageAttributes } : {}),
      };
    },
    async ReceiveMessage(input) {
      const queue = store.byUrl(str(input.QueueUrl));
      const max = intParam(input, 'MaxNumberOfMessages', 1, 1, 10);
      const visibility = intParam(
        input,
        'VisibilityTimeout',
        Number(queue.attributes.VisibilityTimeout),
        0,
        43_200,
      );
      const wait = intParam(
        input,
        'WaitTimeSeconds',
        Number(queue.attributes.ReceiveMessageWaitTimeSeconds),
        0,
        20,
      );
      const deadline = ctx.clock.now() + wait * 1000;
      let messages = store.receive(queue, max, visibility);
      while (messages.length === 0 && ctx.clock.now() < deadline) {
        await store.waitForMessage(deadline - ctx.clock.now());
        messages = store.receive(queue, max, visibility);
      }
      const systemNames = [
        ...((input.AttributeNames ?? []) as string[]),
        ...((input.MessageSystemAttributeNames ?? []) as string[]),
      ];
      const attributeNames = (input.MessageAttributeNames ?? []) as string[];
      return { Messages: messages.map((message) => renderMessage(message, systemNames, attributeNames)) };
    },
    DeleteMessage(input) {
      store.deleteMessage(store.byUrl(str(input.QueueUrl)), str(input.ReceiptHandle));
      return {};
    },
    GetQueueAttributes(input) {
      const queue = store.byUrl(str(input.QueueUrl));
      const names = (input.AttributeNames ?? []) as string[];
      return { Attributes: queueAttributes(store, queue, names) };
    },
    PurgeQueue(input) {
      store.purge(store.byUrl(str(input.QueueUrl)));
      return {};
    },
  };

  return async function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith('AmazonSQS.') ? target.slice('AmazonSQS.'.length) : '';
    const faulted = await applyFault(ctx.faults.take('sqs', operation), res, (fault) =>
      sendSqsError(res, fault.status, fault.error, fault.message),
    );
    if (faulted === 'handled') return;
    try {
      const run = operations[operation];
      if (!run) throw unsupportedOperation(operation || target);
      let input: Input;
      try {
        input = body.length > 0 ? (JSON.parse(body.toString()) as Input) : {};
      } catch {
        throw serializationException();
      }
      sendJson(res, 200, await run(input));
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      sendSqsError(res, error.status, error.code, error.message, error.sender);
    }
  };
}
