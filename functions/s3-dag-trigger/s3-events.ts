/**
 * Turn what S3 delivers into object references with decoded keys.
 *
 * Shapes: S3 event notifications (`Records[]`, keys URL-encoded with spaces as `+`), EventBridge
 * `Object Created` events (keys not encoded), and either of them wrapped by SQS (`body`) or SNS
 * (`Sns.Message`, also SNS delivered to SQS without raw delivery). The `s3:TestEvent` S3 sends
 * when a notification is configured is recognised and ignored. Anything else is malformed.
 *
 * Every record carries `replay`: the smallest S3-shaped event that re-drives just that record
 * (the original record as S3 sent it, key still encoded; the embedded S3 event of an SQS/SNS
 * message). A dead letter stores it, so `mwaa-ops dlq replay` can invoke the function again.
 */
import type { S3ObjectRef } from '../shared/flows/conf.ts';

export type ParsedRecord =
  | { kind: 'object'; object: S3ObjectRef; replay: unknown }
  | { kind: 'ignored'; reason: string; bucket?: string; key?: string }
  | {
      kind: 'malformed';
      reason: string;
      index: number;
      /** What could be read of the record, for the operator and for a replay. */
      bucket?: string;
      rawKey?: string;
      replay?: unknown;
      /** The undecodable text of an SQS/SNS message (cut to a size a dead letter can hold). */
      raw?: string;
    };

export interface ParsedEvent {
  shape: 's3-notification' | 'eventbridge' | 's3-test-event' | 'sqs' | 'sns' | 'unknown';
  records: ParsedRecord[];
}

/** Undecodable message text kept in a dead letter (SQS messages hold 256 KiB). */
const MAX_RAW_CHARS = 64 * 1024;

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
  const replay = { Records: [record] };
  if (!isObject(record) || !isObject(record.s3)) {
    return { kind: 'malformed', reason: 'record has no s3 section', index, replay };
  }
  const eventName = optionalString(record.eventName) ?? '';
  const bucket = isObject(record.s3.bucket) ? optionalString(record.s3.bucket.name) : undefined;
  const object = isObject(record.s3.object) ? record.s3.object : undefined;
  const rawKey = object ? optionalString(object.key) : undefined;
  if (!bucket || !object || rawKey === undefined) {
    return {
      kind: 'malformed',
      reason: 'record lacks s3.bucket.name or s3.object.key',
      index,
      replay,
      ...(bucket === undefined ? {} : { bucket }),
      ...(rawKey === undefined ? {} : { rawKey }),
    };
  }
  let key: string;
  try {
    key = decodeS3Key(rawKey);
  } catch {
    return {
      kind: 'malformed',
      reason: 's3.object.key is not valid URL encoding',
      index,
      bucket,
      rawKey,
      replay,
    };
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
    replay,
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
      replay: event,
      ...(bucket === undefined ? {} : { bucket }),
      ...(key === undefined ? {} : { rawKey: key }),
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
    replay: event,
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

/** The event as text for a dead letter, when nothing in it can be read as an S3 record. */
const rawText = (event: unknown) => (JSON.stringify(event) ?? String(event)).slice(0, MAX_RAW_CHARS);

export function parseS3Event(event: unknown): ParsedEvent {
  if (!isObject(event)) {
    return {
      shape: 'unknown',
      records: [{ kind: 'malformed', reason: 'event is not a JSON object', index: 0, raw: rawText(event) }],
    };
  }
  if (event.Event === 's3:TestEvent') {
    return { shape: 's3-test-event', records: [] };
  }
  if (Array.isArray(event.Records)) {
    const first = event.Records[0];
    if (isObject(first) && first.eventSource === 'aws:sqs') {
      return { shape: 'sqs', records: event.Records.flatMap((r, i) => unwrapSqs(r, i)) };
    }
    if (isObject(first) && first.EventSource === 'aws:sns') {
      return { shape: 'sns', records: event.Records.flatMap((r, i) => unwrapSns(r, i)) };
    }
    return { shape: 's3-notification', records: event.Records.map(parseNotificationRecord) };
  }
  if (event.source === 'aws.s3') {
    return { shape: 'eventbridge', records: [parseEventBridge(event)] };
  }
  return {
    shape: 'unknown',
    records: [
      {
        kind: 'malformed',
        reason: 'not an S3 notification or EventBridge S3 event',
        index: 0,
        raw: rawText(event),
      },
    ],
  };
}

/** The records of an S3 event (notification or EventBridge) found inside a wrapper. */
function embedded(text: unknown, index: number, wrapper: string): ParsedRecord[] {
  if (typeof text !== 'string') {
    return [{ kind: 'malformed', reason: `${wrapper} has no message text`, index }];
  }
  let inner: unknown;
  try {
    inner = JSON.parse(text);
  } catch {
    return [
      { kind: 'malformed', reason: `${wrapper} is not JSON`, index, raw: text.slice(0, MAX_RAW_CHARS) },
    ];
  }
  // SNS delivered to SQS without raw message delivery: the S3 event is the envelope's Message.
  if (isObject(inner) && inner.Type === 'Notification' && typeof inner.Message === 'string') {
    return embedded(inner.Message, index, `${wrapper} SNS Message`);
  }
  const parsed = parseS3Event(inner);
  if (parsed.shape === 'sqs' || parsed.shape === 'sns' || parsed.shape === 'unknown') {
    return [
      {
        kind: 'malformed',
        reason: `${wrapper} does not hold an S3 event`,
        index,
        raw: text.slice(0, MAX_RAW_CHARS),
      },
    ];
  }
  return parsed.records.map((record) => (record.kind === 'malformed' ? { ...record, index } : record));
}

function unwrapSqs(record: unknown, index: number): ParsedRecord[] {
  return embedded(isObject(record) ? record.body : undefined, index, 'SQS message body');
}

function unwrapSns(record: unknown, index: number): ParsedRecord[] {
  const sns = isObject(record) && isObject(record.Sns) ? record.Sns : undefined;
  return embedded(sns?.Message, index, 'SNS message');
}
