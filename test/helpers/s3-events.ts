/**
 * One S3 event notification record as S3 sends it to Lambda (event version 2.1). `key` is used
 * as given: S3 URL-encodes keys (spaces as `+`), so pass `s3EventKey(key)` for a real key, or a
 * raw string to test what a handler does with a key that does not decode.
 */
export function s3Record(bucket: string, key: string, sequencer: string) {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: 'us-east-1',
    eventTime: '2026-11-26T10:00:00.000Z',
    eventName: 'ObjectCreated:Put',
    s3: {
      s3SchemaVersion: '1.0',
      bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
      object: { key, size: 3, eTag: 'abc', sequencer },
    },
  };
}

/** A key as S3 writes it into event notifications. */
export const s3EventKey = (key: string) => encodeURIComponent(key).replace(/%20/g, '+');
