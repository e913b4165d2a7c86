/** Template support for S3: AWS::S3::Bucket and SAM `S3` event sources (see local/template/support.ts). */
import type { LocalBucket } from '../core/model.ts';
import { TemplateError } from '../template/errors.ts';
import { functionByArnOrName, isObject, type TemplateSupport } from '../template/support.ts';

function keyFilter(filter: unknown): { prefix?: string; suffix?: string } {
  const rules =
    isObject(filter) && isObject(filter.S3Key) && Array.isArray(filter.S3Key.Rules) ? filter.S3Key.Rules : [];
  const out: { prefix?: string; suffix?: string } = {};
  for (const rule of rules) {
    if (!isObject(rule)) continue;
    const name = String(rule.Name).toLowerCase();
    if (name === 'prefix' || name === 'suffix') out[name] = String(rule.Value);
  }
  return out;
}

export const s3Template: TemplateSupport = {
  service: 's3',
  resources: {
    'AWS::S3::Bucket'({ logicalId, id, rawProps, resolve, model, links, debug }) {
      const props = resolve(rawProps) as Record<string, unknown>;
      const notification = isObject(props.NotificationConfiguration) ? props.NotificationConfiguration : {};
      const bucket: LocalBucket = {
        logicalId,
        name: id.ref,
        arn: id.attrs.Arn as string,
        notifications: [],
        eventBridge: isObject(notification.EventBridgeConfiguration)
          ? notification.EventBridgeConfiguration.EventBridgeEnabled !== false &&
            notification.EventBridgeConfiguration.EventBridgeEnabled !== 'false'
          : false,
        versioned:
          isObject(props.VersioningConfiguration) && props.VersioningConfiguration.Status === 'Enabled',
      };
      for (const config of Array.isArray(notification.LambdaConfigurations)
        ? notification.LambdaConfigurations
        : []) {
        if (!isObject(config)) continue;
        // Functions may not be built yet: remember the ARN and map it to a logical id in link().
        links.notifications.push({
          bucket: logicalId,
          notification: {
            events: [String(config.Event)],
            ...keyFilter(config.Filter),
            functionLogicalId: String(config.Function),
          },
        });
      }
      for (const key of ['QueueConfigurations', 'TopicConfigurations']) {
        if (notification[key] !== undefined) debug(`${logicalId}: ${key} are not emulated; ignored`);
      }
      model.buckets.push(bucket);
    },
  },
  eventSources: {
    S3({ logicalId, ownerId, kind, rawEvent, props, links }) {
      if (kind !== 'function') return;
      const raw = isObject(rawEvent.Properties) ? rawEvent.Properties.Bucket : undefined;
      const bucketId = isObject(raw) && typeof raw.Ref === 'string' ? raw.Ref : undefined;
      if (!bucketId)
        throw new TemplateError(
          `${logicalId}: an S3 event's Bucket must be !Ref to a bucket in this template`,
        );
      const list = Array.isArray(props.Events) ? props.Events.map(String) : [String(props.Events)];
      links.notifications.push({
        bucket: bucketId,
        notification: { events: list, ...keyFilter(props.Filter), functionLogicalId: ownerId },
      });
    },
  },
  link({ model, links, isActive }) {
    for (const { bucket, notification } of links.notifications) {
      const target = model.buckets.find((b) => b.logicalId === bucket);
      if (!target) {
        throw new TemplateError(
          `S3 notification refers to bucket ${bucket}, which is not ${isActive(bucket) ? 'a bucket' : 'declared'}`,
        );
      }
      const fnId = functionByArnOrName(model, notification.functionLogicalId);
      if (!fnId)
        throw new TemplateError(
          `${bucket}: notification target ${notification.functionLogicalId} is not a function of this template`,
        );
      target.notifications.push({ ...notification, functionLogicalId: fnId });
    }
  },
};
