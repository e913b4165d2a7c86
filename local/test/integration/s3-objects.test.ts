/**
 * The local S3's object API through the SDK v3 client: keys S3 accepts but a filesystem does not
 * (`//`, `.`/`..` segments, segments over 255 bytes, 1024-byte keys) round-trip exactly and never
 * take the cloud down, and versioned buckets behave as S3's versioning does.
 */
import { createHash } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  NoSuchKey,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type LocalCloud, startLocalCloud } from '../../index.ts';

const templatePath = new URL('../../../test/integration/fixtures/cloud-template.yaml', import.meta.url)
  .pathname;

let cloud: LocalCloud;
let s3: S3Client;
/** Versioned, with EventBridge notifications (fixtures/cloud-template.yaml). */
let notified: string;

async function eventually<T>(probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

beforeAll(async () => {
  cloud = await startLocalCloud({ templatePath, clockSpeed: 1000 });
  s3 = new S3Client({
    region: cloud.env.AWS_REGION,
    credentials: {
      accessKeyId: cloud.env.AWS_ACCESS_KEY_ID as string,
      secretAccessKey: cloud.env.AWS_SECRET_ACCESS_KEY as string,
    },
    endpoint: cloud.env.AWS_ENDPOINT_URL_S3,
    forcePathStyle: true,
    maxAttempts: 1,
  });
  notified = cloud.ref('UploadBucket');
  for (const Bucket of ['awkward-keys', 'awkward-copies', 'versions'])
    await s3.send(new CreateBucketCommand({ Bucket }));
}, 30_000);

afterAll(async () => {
  s3?.destroy();
  await cloud?.stop();
});

const text = async (out: { Body?: { transformToString(): Promise<string> } }) =>
  (await out.Body?.transformToString()) ?? '';

/** Keys that a key-to-path store conflates, escapes with, or cannot create. */
const AWKWARD = [
  'a/b',
  'a//b',
  'a/./b',
  'x/../a/b',
  '../outside',
  './dot',
  '/leading',
  'trailing/',
  'seg/'.concat('s'.repeat(250), '/end'),
  'utf8/'.concat('é'.repeat(130)),
  'k'.repeat(1024),
  'sp ace+plus%25?#',
];

describe('Local S3 keys', () => {
  it('round-trips keys with //, ./, ../, long segments and 1024 bytes exactly through Put/Head/Get/List/Copy/Delete', async () => {
    const Bucket = 'awkward-keys';
    for (const Key of AWKWARD) await s3.send(new PutObjectCommand({ Bucket, Key, Body: `body of ${Key}` }));
    for (const Key of AWKWARD) {
      expect(await text(await s3.send(new GetObjectCommand({ Bucket, Key })))).toBe(`body of ${Key}`);
      const head = await s3.send(new HeadObjectCommand({ Bucket, Key }));
      expect(head.ContentLength).toBe(Buffer.byteLength(`body of ${Key}`));
    }
    const listed = await s3.send(new ListObjectsV2Command({ Bucket }));
    // S3 orders keys by their UTF-8 bytes.
    const byBytes = [...AWKWARD].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect(listed.Contents?.map((c) => c.Key)).toEqual(byBytes);
    const delimited = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'a/', Delimiter: '/' }));
    expect(delimited.Contents?.map((c) => c.Key)).toEqual(['a/b']);
    // '.' (0x2E) sorts before '/' (0x2F).
    expect(delimited.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/./', 'a//']);

    for (const Key of AWKWARD) {
      await s3.send(
        new CopyObjectCommand({
          Bucket: 'awkward-copies',
          Key,
          CopySource: `awkward-keys/${encodeURIComponent(Key)}`,
        }),
      );
      expect(await text(await s3.send(new GetObjectCommand({ Bucket: 'awkward-copies', Key })))).toBe(
        `body of ${Key}`,
      );
    }
    for (const Key of AWKWARD) await s3.send(new DeleteObjectCommand({ Bucket, Key }));
    expect((await s3.send(new ListObjectsV2Command({ Bucket }))).KeyCount).toBe(0);
    const deleted = await s3.send(
      new DeleteObjectsCommand({
        Bucket: 'awkward-copies',
        Delete: { Objects: AWKWARD.map((Key) => ({ Key })) },
      }),
    );
    expect(deleted.Deleted?.map((d) => d.Key).sort()).toEqual([...AWKWARD].sort());
    expect((await s3.send(new ListObjectsV2Command({ Bucket: 'awkward-copies' }))).KeyCount).toBe(0);
  });

  it('answers a key over 1024 bytes with KeyTooLongError and keeps serving', async () => {
    const error = await s3
      .send(new PutObjectCommand({ Bucket: 'awkward-keys', Key: 'k'.repeat(1025), Body: 'x' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(S3ServiceException);
    expect((error as S3ServiceException).name).toBe('KeyTooLongError');
    expect((error as S3ServiceException).$metadata.httpStatusCode).toBe(400);
    await s3.send(new PutObjectCommand({ Bucket: 'awkward-keys', Key: 'still/up', Body: 'yes' }));
    expect(await text(await s3.send(new GetObjectCommand({ Bucket: 'awkward-keys', Key: 'still/up' })))).toBe(
      'yes',
    );
  });

  it('names awkward keys exactly in S3 events', async () => {
    const keys = ['eb//double', `eb/${'l'.repeat(300)}`, 'eb/../up'];
    for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: notified, Key, Body: 'x' }));
    for (const key of keys) {
      const event = await eventually(() =>
        cloud.events.events().find((e) => (e.detail as { object?: { key?: string } })?.object?.key === key),
      );
      expect(event).toMatchObject({
        'detail-type': 'Object Created',
        detail: { bucket: { name: notified } },
      });
    }
  });
  it("completes a multipart upload under an awkward key with S3's ETag, and serves byte ranges", async () => {
    const Bucket = 'awkward-keys';
    const Key = `multi//${'m'.repeat(300)}`;
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    const parts = ['first part,', 'second part'];
    const etags: string[] = [];
    for (const [i, Body] of parts.entries()) {
      const out = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: i + 1, Body }));
      etags.push(out.ETag as string);
    }
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key,
        UploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
    );
    const md5s = Buffer.concat(parts.map((p) => createHash('md5').update(p).digest()));
    expect(done.ETag).toBe(`"${createHash('md5').update(md5s).digest('hex')}-2"`);
    expect(done.Key).toBe(Key);
    expect(await text(await s3.send(new GetObjectCommand({ Bucket, Key })))).toBe(parts.join(''));
    const ranged = await s3.send(new GetObjectCommand({ Bucket, Key, Range: 'bytes=6-9' }));
    expect(await text(ranged)).toBe('part');
    expect(ranged.ContentRange).toBe('bytes 6-9/22');
  });
});

describe('Local S3 versioning', () => {
  it('keeps versions, reads them by id, deletes with markers, lists them, and restores by deleting the marker', async () => {
    const Bucket = 'versions';
    const Key = 'doc.txt';
    // Unversioned first: no version ids.
    const plain = await s3.send(new PutObjectCommand({ Bucket, Key: 'before.txt', Body: 'b' }));
    expect(plain.VersionId).toBeUndefined();
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket }))).Status).toBeUndefined();

    await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket }))).Status).toBe('Enabled');
    const v1 = await s3.send(new PutObjectCommand({ Bucket, Key, Body: 'one' }));
    const v2 = await s3.send(new PutObjectCommand({ Bucket, Key, Body: 'two' }));
    expect(v1.VersionId).toMatch(/^[\w.]{32}$/);
    expect(v2.VersionId).toMatch(/^[\w.]{32}$/);
    expect(v2.VersionId).not.toBe(v1.VersionId);

    expect(await text(await s3.send(new GetObjectCommand({ Bucket, Key })))).toBe('two');
    const old = await s3.send(new GetObjectCommand({ Bucket, Key, VersionId: v1.VersionId }));
    expect(await text(old)).toBe('one');
    expect(old.VersionId).toBe(v1.VersionId);
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key, VersionId: v1.VersionId }));
    expect(head).toMatchObject({ VersionId: v1.VersionId, ContentLength: 3 });

    // A copy from an old version.
    const copy = await s3.send(
      new CopyObjectCommand({
        Bucket,
        Key: 'copy.txt',
        CopySource: `${Bucket}/${Key}?versionId=${v1.VersionId}`,
      }),
    );
    expect(copy.CopySourceVersionId).toBe(v1.VersionId);
    expect(await text(await s3.send(new GetObjectCommand({ Bucket, Key: 'copy.txt' })))).toBe('one');

    // DELETE without a version id adds a marker; the object is hidden, its versions stay.
    const deleted = await s3.send(new DeleteObjectCommand({ Bucket, Key }));
    expect(deleted.DeleteMarker).toBe(true);
    expect(deleted.VersionId).toMatch(/^[\w.]{32}$/);
    const hidden = await s3.send(new GetObjectCommand({ Bucket, Key })).catch((e: unknown) => e);
    expect(hidden).toBeInstanceOf(NoSuchKey);
    expect(await text(await s3.send(new GetObjectCommand({ Bucket, Key, VersionId: v2.VersionId })))).toBe(
      'two',
    );
    const listed = await s3.send(new ListObjectsV2Command({ Bucket }));
    expect(listed.Contents?.map((c) => c.Key)).toEqual(['before.txt', 'copy.txt']);

    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket, Prefix: Key }));
    expect(versions.DeleteMarkers).toEqual([
      expect.objectContaining({ Key, VersionId: deleted.VersionId, IsLatest: true }),
    ]);
    expect(versions.Versions?.map((v) => [v.VersionId, v.IsLatest, v.Size])).toEqual([
      [v2.VersionId, false, 3],
      [v1.VersionId, false, 3],
    ]);
    // The unversioned object from before is the null version.
    const before = await s3.send(new ListObjectVersionsCommand({ Bucket, Prefix: 'before' }));
    expect(before.Versions?.map((v) => v.VersionId)).toEqual(['null']);

    // Deleting the marker by id brings the object back; deleting a version by id removes it.
    const unmarked = await s3.send(new DeleteObjectCommand({ Bucket, Key, VersionId: deleted.VersionId }));
    expect(unmarked).toMatchObject({ DeleteMarker: true, VersionId: deleted.VersionId });
    expect(await text(await s3.send(new GetObjectCommand({ Bucket, Key })))).toBe('two');
    await s3.send(new DeleteObjectCommand({ Bucket, Key, VersionId: v1.VersionId }));
    const left = await s3.send(new ListObjectVersionsCommand({ Bucket, Prefix: Key }));
    expect(left.Versions?.map((v) => v.VersionId)).toEqual([v2.VersionId]);
    expect(left.DeleteMarkers).toBeUndefined();
    const gone = await s3
      .send(new GetObjectCommand({ Bucket, Key, VersionId: v1.VersionId }))
      .catch((e: unknown) => e);
    expect((gone as S3ServiceException).name).toBe('NoSuchVersion');
  });

  it('pages ListObjectVersions with key and version-id markers', async () => {
    const Bucket = 'versions';
    const ids: string[] = [];
    for (const body of ['a', 'b', 'c']) {
      ids.push(
        (await s3.send(new PutObjectCommand({ Bucket, Key: 'paged/x', Body: body }))).VersionId as string,
      );
    }
    const first = await s3.send(new ListObjectVersionsCommand({ Bucket, Prefix: 'paged/', MaxKeys: 2 }));
    expect(first.IsTruncated).toBe(true);
    const second = await s3.send(
      new ListObjectVersionsCommand({
        Bucket,
        Prefix: 'paged/',
        KeyMarker: first.NextKeyMarker,
        VersionIdMarker: first.NextVersionIdMarker,
      }),
    );
    expect([...(first.Versions ?? []), ...(second.Versions ?? [])].map((v) => v.VersionId)).toEqual(
      [...ids].reverse(),
    );
    expect(second.IsTruncated).toBe(false);
  });

  it('carries the version id in events and reports delete markers as DeleteMarkerCreated', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: notified, Key: 'eb/versioned.txt', Body: 'v' }));
    const created = await eventually(() =>
      cloud.events
        .events()
        .find((e) => (e.detail as { object?: { key?: string } })?.object?.key === 'eb/versioned.txt'),
    );
    expect(created.detail).toMatchObject({ object: { 'version-id': put.VersionId } });
    const marker = await s3.send(new DeleteObjectCommand({ Bucket: notified, Key: 'eb/versioned.txt' }));
    const removed = await eventually(() =>
      cloud.events.events().find((e) => e['detail-type'] === 'Object Deleted'),
    );
    expect(removed.detail).toMatchObject({
      object: { key: 'eb/versioned.txt', 'version-id': marker.VersionId },
      'deletion-type': 'Delete Marker Created',
    });
  });
});
