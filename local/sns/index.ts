/**
 * SNS emulator (awsQuery): Publish, CreateTopic, DeleteTopic, ListTopics, Subscribe,
 * Unsubscribe, ListSubscriptionsByTopic. Published messages are recorded for tests and fanned
 * out to Lambda/SQS subscriptions through `Targets`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  parseQueryBody,
  type QueryParams,
  queryMap,
  sendQueryResult,
  type XmlValue,
} from '../core/aws-query.ts';
import { applyFault } from '../core/fault-response.ts';
import { sendQueryError, startServer } from '../core/http.ts';
import type { LocalTopic, Targets } from '../core/model.ts';
import type { EmulatorHandle, ServiceContext } from '../core/service.ts';
import { ServiceError } from '../core/service-error.ts';
import { type MessageAttribute, TopicStore } from './topics.ts';

const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';

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

  const operations: Record<string, (params: QueryParams) => Record<string, XmlValue> | undefined> = {
    Publish(params) {
      const attributes = queryMap(params, 'MessageAttributes', 'Name', 'Value');
      const messageId = store.publish({
        topicArn: params.TopicArn ?? params.TargetArn ?? '',
        message: params.Message ?? '',
        subject: params.Subject,
        messageStructure: params.MessageStructure,
        messageAttributes: Object.fromEntries(
          Object.entries(attributes).map(([name, value]) => [name, value as unknown as MessageAttribute]),
        ),
      });
      return { MessageId: messageId };
    },
    CreateTopic: (params) => ({ TopicArn: store.createTopic(params.Name) }),
    DeleteTopic(params) {
      store.deleteTopic(params.TopicArn);
      return undefined;
    },
    ListTopics: () => ({ Topics: [...store.topics.values()].map((topic) => ({ TopicArn: topic.arn })) }),
    Subscribe(params) {
      const attributes = Object.fromEntries(
        Object.entries(queryMap(params, 'Attributes')).map(([key, value]) => [key, value[''] ?? '']),
      );
      const sub = store.subscribe(params.TopicArn, params.Protocol, params.Endpoint, attributes);
      const pending = !sub.confirmed && params.ReturnSubscriptionArn !== 'true';
      return { SubscriptionArn: pending ? 'pending confirmation' : sub.subscriptionArn };
    },
    Unsubscribe(params) {
      store.unsubscribe(params.SubscriptionArn);
      return undefined;
    },
    ListSubscriptionsByTopic(params) {
      const topic = store.requireTopic(params.TopicArn);
      const subs = [...store.subscriptions.values()].filter((sub) => sub.topicArn === topic.arn);
      return {
        Subscriptions: subs.map((sub) => ({
          SubscriptionArn: sub.confirmed ? sub.subscriptionArn : 'PendingConfirmation',
          Owner: ctx.accountId,
          Protocol: sub.protocol,
          Endpoint: sub.endpoint,
          TopicArn: sub.topicArn,
        })),
      };
    },
  };

  async function handle(_req: IncomingMessage, res: ServerResponse, body: Buffer) {
    const params = parseQueryBody(body);
    const action = params.Action ?? '';
    const faulted = await applyFault(ctx.faults.take('sns', action), res, (fault) =>
      sendQueryError(res, fault.status, fault.error, fault.message),
    );
    if (faulted === 'handled') return;
    try {
      const operation = operations[action];
      if (!operation) throw new ServiceError('InvalidAction', `Operation ${action} is not supported.`);
      sendQueryResult(res, action, XMLNS, operation(params));
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      sendQueryError(res, error.status, error.code, error.message, error.sender);
    }
  }

  const server = await startServer(handle);
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
