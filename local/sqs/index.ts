/**
 * SQS emulator (awsJson 1.0, `X-Amz-Target: AmazonSQS.<Operation>`), enough for dead-letter
 * queues: CreateQueue, GetQueueUrl, ListQueues, DeleteQueue, SendMessage, ReceiveMessage (with
 * short long-polls on the emulated clock), DeleteMessage, GetQueueAttributes, PurgeQueue.
 * Queue URLs are `<endpoint>/<account>/<name>`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { applyFault } from '../core/fault-response.ts';
import { sendJson, startServer } from '../core/http.ts';
import type { LocalQueue } from '../core/model.ts';
import type { EmulatorHandle, ServiceContext } from '../core/service.ts';
import { ServiceError } from '../core/service-error.ts';
import { sendSqsError } from './errors.ts';
import type { SqsAttributeValue } from './md5.ts';
import { invalidParameterValue, type Queue, QueueStore, type StoredMessage } from './queues.ts';

export interface SqsHandle extends EmulatorHandle {
  /** Put a message on a queue in-process (for `Targets.sendMessage`); string attributes only. */
  send(queueArn: string, body: string, attributes?: Record<string, string>): void;
  /** Every message on a queue right now, visible or in flight, oldest first. */
  messages(queueArn: string): Array<{ body: string; attributes: Record<string, string> }>;
}

type Input = Record<string, unknown>;

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

/**
 * Start the SQS emulator with the template's queues.
 *
 * @example
 * const sqs = await startSqs(ctx, { queues: model.queues });
 * sqs.send(dlqArn, '{"failed":true}');
 * sqs.messages(dlqArn); // [{ body: '{"failed":true}', attributes: {} }]
 */
export async function startSqs(ctx: ServiceContext, options: { queues: LocalQueue[] }): Promise<SqsHandle> {
  const store = new QueueStore(ctx.clock, ctx.region, ctx.accountId);

  const operations: Record<string, (input: Input) => Promise<unknown> | unknown> = {
    CreateQueue(input) {
      const attributes = (input.Attributes ?? {}) as Record<string, string>;
      if (attributes.RedrivePolicy !== undefined) {
        try {
          JSON.parse(attributes.RedrivePolicy);
        } catch {
          throw new ServiceError(
            'InvalidAttributeValue',
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

  async function handle(req: IncomingMessage, res: ServerResponse, body: Buffer) {
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith('AmazonSQS.') ? target.slice('AmazonSQS.'.length) : '';
    const faulted = await applyFault(ctx.faults.take('sqs', operation), res, (fault) =>
      sendSqsError(res, fault.status, fault.error, fault.message),
    );
    if (faulted === 'handled') return;
    try {
      const run = operations[operation];
      if (!run)
        throw new ServiceError('UnsupportedOperation', `Operation ${operation || target} is not supported.`);
      let input: Input;
      try {
        input = body.length > 0 ? (JSON.parse(body.toString()) as Input) : {};
      } catch {
        throw new ServiceError('SerializationException', 'Request body is not valid JSON.');
      }
      sendJson(res, 200, await run(input));
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      sendSqsError(res, error.status, error.code, error.message, error.sender);
    }
  }

  const server = await startServer(handle);
  store.baseUrl = server.url;
  for (const queue of options.queues) {
    const created = store.create(queue.name);
    if (created.arn !== queue.arn)
      ctx.log('sqs', 'queue ARN differs from the model', { model: queue.arn, local: created.arn });
  }
  return {
    url: server.url,
    close: server.close,
    send(queueArn, body, attributes = {}) {
      const values = Object.fromEntries(
        Object.entries(attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
      );
      store.send(store.byArn(queueArn), body, values);
    },
    messages: (queueArn) =>
      store.byArn(queueArn).messages.map((message) => ({
        body: message.body,
        attributes: Object.fromEntries(
          Object.entries(message.messageAttributes).map(([name, value]) => [
            name,
            value.StringValue ?? value.BinaryValue ?? '',
          ]),
        ),
      })),
  };
}
