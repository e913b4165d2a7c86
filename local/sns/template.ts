/** Template support for SNS: topics, subscriptions and SAM `SNS` event sources. */
import type { LocalTopic } from '../core/model.ts';
import { isObject, type Json, type TemplateSupport } from '../template/support.ts';

export const snsTemplate: TemplateSupport = {
  service: 'sns',
  resources: {
    'AWS::SNS::Topic'({ logicalId, id, rawProps, resolve, model }) {
      const props = resolve(rawProps) as Json;
      const topic: LocalTopic = {
        logicalId,
        name: id.attrs.TopicName as string,
        arn: id.ref,
        subscriptions: [],
      };
      for (const sub of Array.isArray(props.Subscription) ? props.Subscription : []) {
        if (isObject(sub))
          topic.subscriptions?.push({ protocol: String(sub.Protocol), endpoint: String(sub.Endpoint) });
      }
      model.topics.push(topic);
    },
    'AWS::SNS::Subscription'({ rawProps, resolve, links }) {
      const props = resolve(rawProps) as Json;
      const filterPolicy =
        typeof props.FilterPolicy === 'string' ? JSON.parse(props.FilterPolicy) : props.FilterPolicy;
      links.subscriptions.push({
        topicArn: String(props.TopicArn),
        subscription: {
          protocol: String(props.Protocol),
          endpoint: String(props.Endpoint),
          ...(isObject(filterPolicy) ? { filterPolicy } : {}),
          ...(props.RawMessageDelivery !== undefined
            ? { rawMessageDelivery: props.RawMessageDelivery === true || props.RawMessageDelivery === 'true' }
            : {}),
        },
      });
    },
  },
  eventSources: {
    SNS({ kind, ownerArn, props, links }) {
      if (kind !== 'function') return;
      links.subscriptions.push({
        topicArn: String(props.Topic),
        subscription: {
          protocol: 'lambda',
          endpoint: ownerArn,
          ...(isObject(props.FilterPolicy) ? { filterPolicy: props.FilterPolicy } : {}),
        },
      });
    },
  },
  link({ model, links, debug }) {
    for (const { topicArn, subscription } of links.subscriptions) {
      const topic = model.topics.find((t) => t.arn === topicArn);
      if (topic) topic.subscriptions?.push(subscription);
      else debug(`subscription to ${topicArn} ignored: the topic is not in this template`);
    }
  },
};
