/**
 * SQS emulator, enough for dead-letter queues: starts the wire API (api.ts) over the queue store
 * (model.ts). Queue URLs are `<endpoint>/<account>/<name>`.
 */
import { startServer } from '../core/http.ts';
import type { LocalQueue } from '../core/model.ts';
import type { EmulatorHandle, ServiceContext } from '../core/service.ts';
import { sqsApi } from './api.ts';
import { QueueStore } from './model.ts';

export interface SqsHandle extends EmulatorHandle {
  /** Put a message on a queue in-process (for `Targets.sendMessage`); string attributes only. */
  send(queueArn: string, body: string, attributes?: Record<string, string>): void;
  /** Every message on a queue right now, visible or in flight, oldest first. */
  messages(queueArn: string): Array<{ body: string; attributes: Record<string, string> }>;
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

  const server = await startServer(sqsApi(ctx, store));
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
