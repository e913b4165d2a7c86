/**
 * SNS emulator: starts the wire API (api.ts) over the topic store (model.ts). Published messages
 * are recorded for tests and fanned out to Lambda/SQS subscriptions through `Targets`.
 */

import { startServer } from '../core/http.ts';
import type { LocalTopic, Targets } from '../core/model.ts';
import type { EmulatorHandle, ServiceContext } from '../core/service.ts';
import { ServiceError } from '../core/service-error.ts';
import { snsApi } from './api.ts';
import { type MessageAttribute, TopicStore } from './model.ts';

export interface SnsMessage {
  topicArn: string;
  message: string;
  subject?: string;
  timestamp: string;
  messageId: string;
  messageAttributes: Record<string, MessageAttribute>;
}

export interface SnsHandle extends EmulatorHandle {
  /** Messages published so far (to one topic, or all), oldest first. */
  messages(topicArn?: string): SnsMessage[];
  /**
   * Publish in-process (for `Targets.publish`), as the Publish API would: faults injected for
   * `sns`/`Publish` apply, and errors are thrown as `ServiceError`. Returns the MessageId.
   */
  publish(topicArn: string, message: string, subject?: string): Promise<string>;
}

/**
 * Start the SNS emulator with the template's topics (and their subscriptions).
 *
 * @example
 * const sns = await startSns(ctx, { topics: model.topics, targets });
 * await new SNSClient({ endpoint: sns.url, ... }).send(new PublishCommand({ TopicArn, Message: 'hi' }));
 * sns.messages(TopicArn); // [{ topicArn, message: 'hi', ... }]
 */
export async function startSns(
  ctx: ServiceContext,
  options: { topics: LocalTopic[]; targets: Targets },
): Promise<SnsHandle> {
  const store = new TopicStore(ctx, options.targets, options.topics);

  const server = await startServer(snsApi(ctx, store));
  return {
    url: server.url,
    close: server.close,
    messages: (topicArn) =>
      store.published
        .filter((message) => topicArn === undefined || message.topicArn === topicArn)
        .map((message) => ({ ...message })),
    async publish(topicArn, message, subject) {
      const fault = ctx.faults.take('sns', 'Publish');
      if (fault && fault.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      if (fault && fault.error !== 'Latency')
        throw new ServiceError(fault.error, fault.message, fault.status);
      return store.publish({ topicArn, message, ...(subject === undefined ? {} : { subject }) });
    },
  };
}
