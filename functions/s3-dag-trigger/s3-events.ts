/**
 * Turn what S3 delivers into object references with decoded keys.
 *
 * Two shapes arrive: S3 event notifications (`Records[]`, keys URL-encoded with spaces as `+`)
 * and EventBridge `Object Created` events (keys not encoded). The `s3:TestEvent` S3 sends when a
 * notification is configured is recognised and ignored. Anything else is malformed.
 */
import type { S3ObjectRef } from '../shared/flows/conf.ts';

export type ParsedRecord =
  | { kind: 'object'; object: S3ObjectRef }
  | { kind: 'ignored'; reason: string; bucket?: string; key?: string }
  | { kind: 'malformed'; reason: string; index: number };

export interface ParsedEvent {
  shape: 's3-notification' | 'eventbridge' | 's3-test-event' | 'unknown';
  records: ParsedRecord[];
}

/** S3 encodes keys in notifications like an HTML form: `+` is a space, `%XX` a byte. */
export function decodeS3Key(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '));
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const optionalString = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
const optionalNumber = (value: unknown) =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

function parseNotificationRecord(record: unknown, index: number): ParsedRecord {
  if (!isObject(record) || !isObject(record.s3)) {
    return { kind: 'malformed', reason: 'record has no s3 section', index };
  }
  const eventName = optionalString(record.eventName) ?? '';
  const bucket = isObject(record.s3.bucket) ? optionalString(record.s3.bucket.name) : undefined;
  const object = isObject(record.s3.object) ? record.s3.object : undefined;
  const rawKey = object ? optionalString(object.key) : undefined;
  if (!bucket || !object || rawKey === undefined) {
    return { kind: 'malformed', reason: 'record lacks s3.bucket.name or s3.object.key', index };
  }
  let key: string;
  try {
    key = decodeS3Key(rawKey);
  } catch {
    return { kind: 'malformed', reason: 's3.object.key is not valid URL encoding', index };
  }
  if (!eventName.startsWith('ObjectCreated:')) {
    return {
      kind: 'ignored',
      reason: `event ${eventName || '(none)'} is not an object creation`,
      bucket,
      key,
    };
  }
  return {
    kind: 'object',
    object: {
      bucket,
      key,
      size: optionalNumber(object.size),
      etag: optionalString(object.eTag),
      versionId: optionalString(object.versionId),
      sequencer: optionalString(object.sequencer),
      eventTime: optionalString(record.eventTime),
      eventName,
    },
  };
}

function parseEventBridge(event: Record<string, unknown>): ParsedRecord {
  const detail = isObject(event.detail) ? event.detail : undefined;
  const bucket = detail && isObject(detail.bucket) ? optionalString(detail.bucket.name) : undefined;
  const object = detail && isObject(detail.object) ? detail.object : undefined;
  const key = object ? optionalString(object.key) : undefined;
  if (!bucket || !object || key === undefined) {
    return {
      kind: 'malformed',
      reason: 'EventBridge event lacks detail.bucket.name or detail.object.key',
      index: 0,
    };
  }
  if (event['detail-type'] !== 'Object Created') {
    return {
      kind: 'ignored',
      reason: `EventBridge ${String(event['detail-type'])} is not an object creation`,
      bucket,
      key,
    };
  }
  return {
    kind: 'object',
    object: {
      bucket,
      key,
      size: optionalNumber(object.size),
      etag: optionalString(object.etag),
      versionId: optionalString(object['version-id']),
      sequencer: optionalString(object.sequencer),
      eventTime: optionalString(event.time),
      eventName: `ObjectCreated:${optionalString(detail?.reason) ?? 'PutObject'}`,
    },
  };
}

export function parseS3Event(event: unknown): ParsedEvent {
  if (!isObject(event)) {
    return {
      shape: 'unknown',
      records: [{ kind: 'malformed', reason: 'event is not a JSON object', index: 0 }],
    };
  }
  if (event.Event === 's3:TestEvent') {
    return { shape: 's3-test-event', records: [] };
  }
  if (Array.isArray(event.Records)) {
    return { shape: 's3-notification', records: event.Records.map(parseNotificationRecord) };
  }
  if (event.source === 'aws.s3') {
    return { shape: 'eventbridge', records: [parseEventBridge(event)] };
  }
  return {
    shape: 'unknown',
    records: [{ kind: 'malformed', reason: 'not an S3 notification or EventBridge S3 event', index: 0 }],
  };
}
