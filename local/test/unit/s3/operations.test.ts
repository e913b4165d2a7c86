import { describe, expect, it } from '@jest/globals';
import {
  decodeS3EventKey,
  encodeS3EventKey,
  eventMatches,
  notificationsFor,
  s3EventRecord,
} from '../../../s3/events.ts';
import { decodeAwsChunked } from '../../../s3/index.ts';
import { s3Operation } from '../../../s3/operations.ts';

describe('local/s3: event keys', () => {
  it.each([
    ['dir/a file ü+%.txt', 'dir/a+file+%C3%BC%2B%25.txt'],
    ['plain/key-1_2.3~x.csv', 'plain/key-1_2.3~x.csv'],
    ['x=1&y=(2)!', 'x%3D1%26y%3D%282%29%21'],
    ['2024-01-01T00:00:00Z', '2024-01-01T00%3A00%3A00Z'],
  ])('encodes %j as S3 does', (key, encoded) => {
    expect(encodeS3EventKey(key)).toBe(encoded);
    expect(decodeS3EventKey(encoded)).toBe(key);
  });
});

describe('local/s3: notification matching', () => {
  const bucket = {
    logicalId: 'B',
    name: 'b',
    arn: 'arn:aws:s3:::b',
    eventBridge: false,
    versioned: false,
    notifications: [
      { events: ['s3:ObjectCreated:*'], prefix: 'in/', suffix: '.csv', functionLogicalId: 'Csv' },
      { events: ['s3:ObjectRemoved:Delete'], functionLogicalId: 'Gone' },
    ],
  };
  const change = (key: string, eventName: 'ObjectCreated:Put' | 'ObjectRemoved:Delete') => ({
    bucket: 'b',
    key,
    eventName,
    sourceIp: '127.0.0.1',
    operation: 'PutObject',
  });

  it('matches event name wildcards and filters on the decoded key', () => {
    expect(eventMatches('s3:ObjectCreated:*', 'ObjectCreated:CompleteMultipartUpload')).toBe(true);
    expect(eventMatches('s3:ObjectCreated:Put', 'ObjectCreated:Post')).toBe(false);
    expect(
      notificationsFor(bucket, change('in/a b.csv', 'ObjectCreated:Put')).map((n) => n.functionLogicalId),
    ).toEqual(['Csv']);
    expect(notificationsFor(bucket, change('out/a.csv', 'ObjectCreated:Put'))).toEqual([]);
    expect(
      notificationsFor(bucket, change('in/a.csv', 'ObjectRemoved:Delete')).map((n) => n.functionLogicalId),
    ).toEqual(['Gone']);
  });

  it('builds the record real S3 sends', () => {
    const record = s3EventRecord(
      { ...change('in/a b.csv', 'ObjectCreated:Put'), size: 3, eTag: 'abc' },
      {
        region: 'eu-west-1',
        accountId: '000000000000',
        time: new Date(0),
        sequencer: '00AB',
        configurationId: 'cfg',
        requestId: 'REQ',
      },
    );
    expect(record).toMatchObject({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'eu-west-1',
      eventTime: '1970-01-01T00:00:00.000Z',
      eventName: 'ObjectCreated:Put',
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'cfg',
        bucket: { name: 'b', arn: 'arn:aws:s3:::b' },
        object: { key: 'in/a+b.csv', size: 3, eTag: 'abc', sequencer: '00AB' },
      },
    });
  });
});

describe('local/s3: operations', () => {
  it.each([
    ['GET', '/', {}, 'ListBuckets'],
    ['GET', '/b?list-type=2&prefix=x', {}, 'ListObjectsV2'],
    ['GET', '/b', {}, 'ListObjects'],
    ['POST', '/b?delete', {}, 'DeleteObjects'],
    ['PUT', '/b/k', {}, 'PutObject'],
    ['PUT', '/b/k', { 'x-amz-copy-source': '/b/j' }, 'CopyObject'],
    ['PUT', '/b/k?partNumber=1&uploadId=u', {}, 'UploadPart'],
    ['POST', '/b/k?uploads', {}, 'CreateMultipartUpload'],
    ['POST', '/b/k?uploadId=u', {}, 'CompleteMultipartUpload'],
    ['HEAD', '/b/a%20b', {}, 'HeadObject'],
    ['DELETE', '/b/k', {}, 'DeleteObject'],
    ['GET', '/b/k?tagging', {}, 'GetObjectTagging'],
  ])('%s %s %j is %s', (method, url, headers, operation) => {
    expect(s3Operation(method, url, headers).operation).toBe(operation);
  });

  it('decodes the bucket and key', () => {
    expect(s3Operation('GET', '/b/dir/a%20file%20%C3%BC.txt', {})).toEqual({
      operation: 'GetObject',
      bucket: 'b',
      key: 'dir/a file ü.txt',
    });
  });
});

describe('local/s3: aws-chunked bodies', () => {
  it('strips chunk framing, signatures and trailers', () => {
    const body = Buffer.from(
      '5;chunk-signature=abc\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n',
    );
    expect(decodeAwsChunked(body).toString()).toBe('hello world');
  });
});
