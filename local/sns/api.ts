/**
 * The SNS wire API (awsQuery): Publish, CreateTopic, DeleteTopic, ListTopics, Subscribe,
 * Unsubscribe, ListSubscriptionsByTopic, each a thin translation to the topic store.
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
import { sendQueryError } from '../core/http.ts';
import type { ServiceContext } from '../core/service.ts';
import { ServiceError } from '../core/service-error.ts';
import { invalidAction } from './errors.ts';
import type { MessageAttribute, TopicStore } from './model.ts';

const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';

type Operation = (params: QueryParams) => Record<string, XmlValue> | undefined;

function operations(ctx: ServiceContext, store: TopicStore): Record<string, Operation> {
  return {
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
}

/** The HTTP handler: faults injected for `sns`/<Action> first, then the operation. */
export function snsApi(ctx: ServiceContext, store: TopicStore) {
  const byAction = operations(ctx, store);
  return async function handle(_req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const params = parseQueryBody(body);
    const action = params.Action ?? '';
    const faulted = await applyFault(ctx.faults.take('sns', action), res, (fault) =>
      sendQueryError(res, fault.status, fault.error, fault.message),
    );
    if (faulted === 'handled') return;
    try {
      const operation = byAction[action];
      if (!operation) throw invalidAction(action);
      sendQueryResult(res, action, XMLNS, operation(params));
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      sendQueryError(res, error.status, error.code, error.message, error.sender);
    }
  };
}
