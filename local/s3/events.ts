/**
 * S3 event notifications as real S3 sends them. s3rver emits something close, but with raw keys,
 * a malformed bucket ARN, a fixed region and the wrong name for multipart completions; these
 * functions build the record from the facts instead (NOTES.md, "s3rver").
 */
import { createHash } from 'node:crypto';
import type { LocalBucket } from '../core/model.ts';

/**
 * Object keys in S3 event records are URL-encoded the way S3 does it: like
 * `encodeURIComponent`, but `/` stays as it is, a space becomes `+` and `!'()` are escaped.
 */
export function encodeS3EventKey(key: string): string {
  return encodeURIComponent(key)
    .replace(/%2F/g, '/')
    .replace(/%20/g, '+')
    .replace(/[!'()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The inverse, as handlers do it: `decodeURIComponent(key.replace(/\+/g, ' '))`. */
export function decodeS3EventKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

export type S3EventName =
  | 'ObjectCreated:Put'
  | 'ObjectCreated:Post'
  | 'ObjectCreated:Copy'
  | 'ObjectCreated:CompleteMultipartUpload'
  | 'ObjectRemoved:Delete'
  | 'ObjectRemoved:DeleteMarkerCreated';

export interface ObjectChange {
  bucket: string;
  key: string;
  eventName: S3EventName;
  size?: number;
  eTag?: string;
  versionId?: string;
  sourceIp: string;
  /** The API operation that made the change (EventBridge `reason`). */
  operation: string;
}

/** Does `eventName` (e.g. ObjectCreated:Put) match a configured `s3:ObjectCreated:*` pattern? */
export function eventMatches(pattern: string, eventName: string): boolean {
  const wanted = pattern.replace(/^s3:/, '');
  if (wanted.endsWith(':*')) return eventName.startsWith(wanted.slice(0, -1));
  return wanted === eventName;
}

export function notificationsFor(bucket: LocalBucket, change: ObjectChange): LocalBucket['notifications'] {
  return bucket.notifications.filter(
    (n) =>
      n.events.some((pattern) => eventMatches(pattern, change.eventName)) &&
      (n.prefix === undefined || change.key.startsWith(n.prefix)) &&
      (n.suffix === undefined || change.key.endsWith(n.suffix)),
  );
}

const hex = (bytes: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase();

/** One Lambda-bound S3 event (`{ Records: [record] }`). */
export function s3EventRecord(
  change: ObjectChange,
  context: {
    region: string;
    accountId: string;
    time: Date;
    sequencer: string;
    configurationId: string;
    requestId: string;
  },
) {
  const object: Record<string, unknown> = { key: encodeS3EventKey(change.key) };
  if (change.eventName.startsWith('ObjectCreated')) {
    object.size = change.size ?? 0;
    if (change.eTag !== undefined) object.eTag = change.eTag;
  }
  if (change.versionId !== undefined) object.versionId = change.versionId;
  object.sequencer = context.sequencer;
  const principal = `AWS:AIDA${createHash('sha256').update(context.accountId).digest('hex').slice(0, 17).toUpperCase()}`;
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: context.region,
    eventTime: context.time.toISOString(),
    eventName: change.eventName,
    userIdentity: { principalId: principal },
    requestParameters: { sourceIPAddress: change.sourceIp },
    responseElements: { 'x-amz-request-id': context.requestId, 'x-amz-id-2': `${hex(24)}/${hex(16)}` },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: context.configurationId,
      bucket: {
        name: change.bucket,
        ownerIdentity: {
          principalId: `A${createHash('sha256').update(`owner/${context.accountId}`).digest('hex').slice(0, 13).toUpperCase()}`,
        },
        arn: `arn:aws:s3:::${change.bucket}`,
      },
      object,
    },
  };
}

/** The EventBridge entry S3 sends for a bucket with EventBridge notifications enabled. */
export function s3EventBridgeEntry(
  change: ObjectChange,
  context: { accountId: string; sequencer: string; requestId: string },
): { Source: string; DetailType: string; Detail: string; Resources: string[] } {
  const created = change.eventName.startsWith('ObjectCreated');
  const object: Record<string, unknown> = { key: change.key };
  if (created) {
    object.size = change.size ?? 0;
    if (change.eTag !== undefined) object.etag = change.eTag;
  }
  if (change.versionId !== undefined) object['version-id'] = change.versionId;
  object.sequencer = context.sequencer;
  const detail: Record<string, unknown> = {
    version: '0',
    bucket: { name: change.bucket },
    object,
    'request-id': context.requestId,
    requester: context.accountId,
    'source-ip-address': change.sourceIp,
    reason: change.operation,
  };
  if (!created)
    detail['deletion-type'] =
      change.eventName === 'ObjectRemoved:DeleteMarkerCreated'
        ? 'Delete Marker Created'
        : 'Permanently Deleted';
  return {
    Source: 'aws.s3',
    DetailType: created ? 'Object Created' : 'Object Deleted',
    Detail: JSON.stringify(detail),
    Resources: [`arn:aws:s3:::${change.bucket}`],
  };
}
