/**
 * SNS state: topics, subscriptions and every published message, plus fan-out to Lambda and SQS
 * subscribers in the shapes AWS delivers (the Lambda `Records[].Sns` event, the SQS
 * notification envelope or the raw message).
 */

import type { LocalTopic, Targets } from '../core/model.ts';
import type { ServiceContext } from '../core/service.ts';
import {
  compileEventPattern,
  type EventPattern,
  InvalidEventPatternError,
} from '../eventbridge/event-pattern.ts';
import { invalidParameter, subscriptionNotFound, topicNotFound } from './errors.ts';

export interface MessageAttribute {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}

export interface PublishInput {
  topicArn: string;
  message: string;
  subject?: string;
  messageStructure?: string;
  messageAttributes?: Record<string, MessageAttribute>;
}

export interface PublishedMessage {
  messageId: string;
  topicArn: string;
  message: string;
  subject?: string;
  timestamp: string;
  messageAttributes: Record<string, MessageAttribute>;
}

export interface Subscription {
  subscriptionArn: string;
  topicArn: string;
  protocol: string;
  endpoint: string;
  attributes: Record<string, string>;
  confirmed: boolean;
  /** Compiled `FilterPolicy` (scope MessageAttributes, the default). */
  filter?: EventPattern;
}

const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
const TOPIC_ARN = /^arn:aws[\w-]*:sns:[a-z0-9-]+:\d{12}:([A-Za-z0-9_.-]+)$/;
const MAX_MESSAGE_BYTES = 262_144;

/** Message attributes as a filter policy sees them: numbers as numbers, string arrays as arrays. */
function filterView(attributes: Record<string, MessageAttribute>): Record<string, unknown> {
  const view: Record<string, unknown> = {};
  for (const [name, attribute] of Object.entries(attributes)) {
    const text = attribute.StringValue;
    if (text === undefined) continue;
    if (attribute.DataType.startsWith('Number')) view[name] = Number(text);
    else if (attribute.DataType.startsWith('String.Array')) {
      try {
        view[name] = JSON.parse(text);
      } catch {
        view[name] = text;
      }
    } else view[name] = text;
  }
  return view;
}

export class TopicStore {
  readonly topics = new Map<string, { name: string; arn: string }>();
  readonly subscriptions = new Map<string, Subscription>();
  readonly published: PublishedMessage[] = [];
  private readonly ctx: ServiceContext;
  private readonly targets: Targets;

  constructor(ctx: ServiceContext, targets: Targets, topics: LocalTopic[]) {
    this.ctx = ctx;
    this.targets = targets;
    for (const topic of topics) this.topics.set(topic.arn, { name: topic.name, arn: topic.arn });
    for (const topic of topics) {
      for (const sub of topic.subscriptions ?? []) {
        const attributes: Record<string, string> = {};
        if (sub.rawMessageDelivery) attributes.RawMessageDelivery = 'true';
        if (sub.filterPolicy) attributes.FilterPolicy = JSON.stringify(sub.filterPolicy);
        this.subscribe(topic.arn, sub.protocol, sub.endpoint, attributes);
      }
    }
  }

  createTopic(name: string | undefined): string {
    if (!name || !TOPIC_NAME.test(name)) throw invalidParameter('Topic Name');
    const arn = `arn:aws:sns:${this.ctx.region}:${this.ctx.accountId}:${name}`;
    if (!this.topics.has(arn)) this.topics.set(arn, { name, arn });
    return arn;
  }

  deleteTopic(arn: string | undefined): void {
    this.requireTopic(arn);
    this.topics.delete(arn as string);
    for (const [key, sub] of this.subscriptions) if (sub.topicArn === arn) this.subscriptions.delete(key);
  }

  requireTopic(arn: string | undefined): { name: string; arn: string } {
    if (!arn) throw invalidParameter('TopicArn');
    if (!TOPIC_ARN.test(arn)) throw invalidParameter('TopicArn');
    const topic = this.topics.get(arn);
    if (!topic) throw topicNotFound();
    return topic;
  }

  subscribe(
    topicArn: string | undefined,
    protocol: string | undefined,
    endpoint: string | undefined,
    attributes: Record<string, string>,
  ) {
    const topic = this.requireTopic(topicArn);
    const known = ['lambda', 'sqs', 'http', 'https', 'email', 'email-json', 'sms', 'application', 'firehose'];
    if (!protocol || !known.includes(protocol)) throw invalidParameter(`Invalid protocol type: ${protocol}`);
    if (!endpoint) throw invalidParameter('Endpoint');
    for (const sub of this.subscriptions.values()) {
      if (sub.topicArn === topic.arn && sub.protocol === protocol && sub.endpoint === endpoint) return sub;
    }
    let filter: EventPattern | undefined;
    if (attributes.FilterPolicy !== undefined) {
      try {
        filter = compileEventPattern(attributes.FilterPolicy);
      } catch (error) {
        if (error instanceof InvalidEventPatternError)
          throw invalidParameter(`FilterPolicy: ${error.message}`);
        throw error;
      }
    }
    const sub: Subscription = {
      ...(filter ? { filter } : {}),
      subscriptionArn: `${topic.arn}:${crypto.randomUUID()}`,
      topicArn: topic.arn,
      protocol,
      endpoint,
      attributes,
      // Lambda and SQS subscriptions need no confirmation; the others would wait for one.
      confirmed: protocol === 'lambda' || protocol === 'sqs',
    };
    this.subscriptions.set(sub.subscriptionArn, sub);
    return sub;
  }

  unsubscribe(subscriptionArn: string | undefined): void {
    if (!subscriptionArn) throw invalidParameter('SubscriptionArn');
    if (!this.subscriptions.delete(subscriptionArn)) {
      throw subscriptionNotFound();
    }
  }

  publish(input: PublishInput): string {
    const topic = this.requireTopic(input.topicArn);
    const { message, subject } = input;
    if (!message) throw invalidParameter('Empty message');
    if (Buffer.byteLength(message) > MAX_MESSAGE_BYTES) throw invalidParameter('Message too long');
    if (
      subject !== undefined &&
      (subject.length === 0 || subject.length > 100 || /[^\x20-\x7e]/.test(subject))
    ) {
      throw invalidParameter('Subject');
    }
    let perProtocol: Record<string, unknown> | undefined;
    if (input.messageStructure !== undefined) {
      if (input.messageStructure !== 'json') throw invalidParameter('MessageStructure');
      try {
        perProtocol = JSON.parse(message);
      } catch {
        perProtocol = undefined;
      }
      if (typeof perProtocol?.default !== 'string') {
        throw invalidParameter('Message Structure - No default entry in JSON message body');
      }
    }
    const messageAttributes = input.messageAttributes ?? {};
    for (const [name, attribute] of Object.entries(messageAttributes)) {
      if (!attribute.DataType || !/^(String|Number|Binary|String\.Array)(\..+)?$/.test(attribute.DataType)) {
        throw invalidParameter(`Message attribute '${name}' has an invalid message attribute type`);
      }
      if (attribute.StringValue === undefined && attribute.BinaryValue === undefined) {
        throw invalidParameter(
          `The message attribute '${name}' must contain non-empty message attribute value`,
        );
      }
    }
    const record: PublishedMessage = {
      messageId: crypto.randomUUID(),
      topicArn: topic.arn,
      message,
      timestamp: this.ctx.clock.date().toISOString(),
      messageAttributes,
      ...(subject === undefined ? {} : { subject }),
    };
    this.published.push(record);
    this.ctx.log('sns', 'Publish', { topicArn: topic.arn, messageId: record.messageId });
    for (const sub of this.subscriptions.values()) {
      if (sub.topicArn !== topic.arn || !sub.confirmed) continue;
      if (sub.filter && !sub.filter.matches(filterView(messageAttributes))) continue;
      const body = String(perProtocol?.[sub.protocol] ?? perProtocol?.default ?? message);
      this.deliver(sub, { ...record, message: body }).catch((error: unknown) =>
        this.ctx.log('sns', 'delivery failed', {
          subscriptionArn: sub.subscriptionArn,
          error: String(error),
        }),
      );
    }
    return record.messageId;
  }

  private async deliver(sub: Subscription, message: PublishedMessage): Promise<void> {
    const notification = {
      Type: 'Notification',
      MessageId: message.messageId,
      TopicArn: message.topicArn,
      Subject: message.subject ?? null,
      Message: message.message,
      Timestamp: message.timestamp,
      SignatureVersion: '1',
      Signature: 'LOCAL',
      SigningCertURL: `https://sns.${this.ctx.region}.amazonaws.com/SimpleNotificationService-local.pem`,
      UnsubscribeURL: `https://sns.${this.ctx.region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${sub.subscriptionArn}`,
      MessageAttributes: Object.fromEntries(
        Object.entries(message.messageAttributes).map(([name, a]) => [
          name,
          { Type: a.DataType, Value: a.StringValue ?? a.BinaryValue },
        ]),
      ),
    };
    if (sub.protocol === 'lambda') {
      const { SigningCertURL, UnsubscribeURL, ...rest } = notification;
      await this.targets.invokeFunction(
        sub.endpoint,
        {
          Records: [
            {
              EventSource: 'aws:sns',
              EventVersion: '1.0',
              EventSubscriptionArn: sub.subscriptionArn,
              Sns: { ...rest, SigningCertUrl: SigningCertURL, UnsubscribeUrl: UnsubscribeURL },
            },
          ],
        },
        { async: true },
      );
    } else if (sub.protocol === 'sqs') {
      const raw = sub.attributes.RawMessageDelivery === 'true';
      await this.targets.sendMessage(sub.endpoint, raw ? message.message : JSON.stringify(notification));
    }
  }
}
