/**
 * S3: s3rver in a temp directory behind a thin proxy. The proxy is where the local cloud adds
 * what s3rver lacks: fault injection, aws-chunked request bodies (SDK v3's default for streamed
 * uploads), continuation-token listings that do not need OpenSSL's legacy DES, DeleteObjects
 * notifications, and S3 event records normalised to the shape real S3 sends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyFault } from '../core/fault-response.ts';
import { requestId, xmlEscape } from '../core/http.ts';
import type { LocalBucket, Targets } from '../core/model.ts';
import type { EmulatorHandle, ServiceContext } from '../core/service.ts';
import {
  notificationsFor,
  type ObjectChange,
  type S3EventName,
  s3EventBridgeEntry,
  s3EventRecord,
} from './events.ts';
import { s3Operation } from './operations.ts';

interface S3rverObject {
  key: string;
  size: number;
  lastModifiedDate: Date;
  metadata: Record<string, string>;
}
interface S3rverStore {
  getBucket(name: string): Promise<unknown>;
  getMetadata(bucket: string, key: string): Promise<Record<string, string>>;
  listObjects(
    bucket: string,
    options: { prefix?: string; delimiter?: string; startAfter?: string; maxKeys?: number },
  ): Promise<{ objects: S3rverObject[]; commonPrefixes: string[]; isTruncated: boolean }>;
}
/** The part of s3rver's event we read (its shape is close to, but not, S3's). */
interface S3rverEvent {
  Records: Array<{
    eventName?: string;
    s3?: { bucket?: { name?: string }; object?: { key?: string; size?: number; eTag?: string } };
  }>;
}
interface S3rverInstance {
  store: S3rverStore;
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  on(event: 'event', listener: (event: S3rverEvent) => void): void;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

// s3rver is CommonJS without types; loaded with the module so startLocalCloud does not pay for it.
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;

export interface S3Options {
  buckets: LocalBucket[];
  targets: Targets;
}

export interface S3Emulator extends EmulatorHandle {
  /** Where s3rver keeps the objects (removed on close). */
  directory: string;
}

/** Operations that create a version (and a delete marker) on a versioned bucket. */
const VERSIONED_WRITES = new Set([
  'PutObject',
  'PostObject',
  'CopyObject',
  'CompleteMultipartUpload',
  'DeleteObject',
]);

/** S3 version ids are 32 URL-safe characters. */
const newVersionId = () =>
  Array.from(
    crypto.getRandomValues(new Uint8Array(32)),
    (b) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._'[b % 64],
  ).join('');

const CREATED_BY: Record<string, S3EventName> = {
  PutObject: 'ObjectCreated:Put',
  PostObject: 'ObjectCreated:Post',
  CopyObject: 'ObjectCreated:Copy',
  CompleteMultipartUpload: 'ObjectCreated:CompleteMultipartUpload',
};

export async function startS3(ctx: ServiceContext, options: S3Options): Promise<S3Emulator> {
  const directory = mkdtempSync(join(tmpdir(), 'mwaa-ops-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    resetOnClose: true,
    // The proxy rewrites aws-chunked bodies, which invalidates the signature s3rver would check.
    allowMismatchedSignatures: true,
    configureBuckets: options.buckets.map((bucket) => ({ name: bucket.name })),
  });
  const upstream = await server.run();
  const buckets = new Map(options.buckets.map((bucket) => [bucket.name, bucket]));
  // s3rver's events do not say which operation caused them: remember it per in-flight object.
  const inFlight = new Map<string, { operation: string; versionId?: string }>();
  let sequence = 0;
  const nextSequencer = () => {
    sequence += 1;
    return (BigInt(ctx.clock.now()) * 1000000n + BigInt(sequence))
      .toString(16)
      .toUpperCase()
      .padStart(18, '0');
  };

  const notify = (change: ObjectChange) => {
    const bucket = buckets.get(change.bucket);
    if (!bucket) return;
    const sequencer = nextSequencer();
    const reqId = requestId().replace(/-/g, '').slice(0, 16).toUpperCase();
    for (const notification of notificationsFor(bucket, change)) {
      const record = s3EventRecord(change, {
        region: ctx.region,
        accountId: ctx.accountId,
        time: ctx.clock.date(),
        sequencer,
        requestId: reqId,
        configurationId: `${bucket.logicalId}-${notification.functionLogicalId}`,
      });
      ctx.log(
        's3',
        `${change.eventName} s3://${change.bucket}/${change.key} → ${notification.functionLogicalId}`,
      );
      options.targets
        .invokeFunction(notification.functionLogicalId, { Records: [record] }, { async: true })
        .catch((error: unknown) => {
          ctx.log('s3', `notification to ${notification.functionLogicalId} failed: ${String(error)}`);
        });
    }
    if (bucket.eventBridge) {
      options.targets
        .putEvents([s3EventBridgeEntry(change, { accountId: ctx.accountId, sequencer, requestId: reqId })])
        .catch((error: unknown) => ctx.log('s3', `EventBridge notification failed: ${String(error)}`));
    }
  };

  server.on('event', (event) => {
    const record = event.Records[0];
    if (!record) return;
    const bucket = String(record.s3?.bucket?.name);
    const key = String(record.s3?.object?.key);
    const pending = inFlight.get(`${bucket}/${key}`);
    const operation =
      pending?.operation ??
      (String(record.eventName).startsWith('ObjectRemoved') ? 'DeleteObject' : 'PutObject');
    const removed = operation === 'DeleteObject';
    // A plain DELETE on a versioned bucket only adds a delete marker on S3.
    const eventName: S3EventName = removed
      ? buckets.get(bucket)?.versioned
        ? 'ObjectRemoved:DeleteMarkerCreated'
        : 'ObjectRemoved:Delete'
      : (CREATED_BY[operation] ?? 'ObjectCreated:Put');
    const change: ObjectChange = { bucket, key, eventName, sourceIp: '127.0.0.1', operation };
    if (typeof record.s3?.object?.size === 'number') change.size = record.s3.object.size;
    if (typeof record.s3?.object?.eTag === 'string') change.eTag = record.s3.object.eTag;
    if (pending?.versionId) change.versionId = pending.versionId;
    if (removed || change.eTag !== undefined) {
      notify(change);
      return;
    }
    // s3rver leaves the ETag out of copy events; S3 includes it.
    server.store
      .getMetadata(bucket, key)
      .then((metadata) => {
        if (metadata.etag) change.eTag = metadata.etag.replace(/"/g, '');
      })
      .catch(() => {})
      .finally(() => notify(change));
  });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET';
    const op = s3Operation(method, req.url ?? '/', req.headers);
    const resource = `/${op.bucket ?? ''}${op.key ? `/${op.key}` : ''}`;
    const outcome = await applyFault(ctx.faults.take('s3', op.operation), res, (fault) =>
      sendS3Error(res, method, fault.status, fault.error, fault.message, resource),
    );
    if (outcome === 'handled') {
      req.resume();
      return;
    }
    if (op.operation === 'ListObjectsV2' && op.bucket) {
      req.resume();
      await listObjectsV2(server.store, op.bucket, new URL(req.url ?? '/', 'http://local').searchParams, res);
      return;
    }
    await forward(req, res, op);
  };

  const forward = async (req: IncomingMessage, res: ServerResponse, op: ReturnType<typeof s3Operation>) => {
    const headers: Record<string, string | string[] | undefined> = { ...req.headers };
    const chunked =
      /aws-chunked/.test(String(headers['content-encoding'] ?? '')) ||
      String(headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-');
    let body: Buffer | undefined;
    if (chunked) {
      body = decodeAwsChunked(await readBody(req));
      const encodings = String(headers['content-encoding'] ?? '')
        .split(',')
        .map((e) => e.trim())
        .filter((e) => e && e !== 'aws-chunked');
      if (encodings.length) headers['content-encoding'] = encodings.join(',');
      else delete headers['content-encoding'];
      for (const name of ['x-amz-decoded-content-length', 'x-amz-trailer', 'transfer-encoding'])
        delete headers[name];
      headers['content-length'] = String(body.length);
      headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
    }
    const objectId = op.bucket && op.key ? `${op.bucket}/${op.key}` : undefined;
    // s3rver keeps no versions; on a versioned bucket the proxy names each write's version, so
    // the response header and the event agree (a GET by that VersionId returns the latest object).
    const versionId =
      op.bucket && buckets.get(op.bucket)?.versioned && VERSIONED_WRITES.has(op.operation)
        ? newVersionId()
        : undefined;
    const entry = { operation: op.operation, ...(versionId ? { versionId } : {}) };
    if (objectId) inFlight.set(objectId, entry);
    const done = () => {
      if (objectId && inFlight.get(objectId) === entry) inFlight.delete(objectId);
    };
    const responseHeaders = (upstreamRes: IncomingMessage) =>
      versionId && (upstreamRes.statusCode ?? 500) < 300
        ? { ...upstreamRes.headers, 'x-amz-version-id': versionId }
        : upstreamRes.headers;
    await new Promise<void>((resolve) => {
      const upstreamReq = request(
        { host: '127.0.0.1', port: upstream.port, method: req.method, path: req.url, headers },
        (upstreamRes) => {
          if (op.operation === 'DeleteObjects' && op.bucket) {
            // s3rver emits no event for DeleteObjects; S3 sends one per deleted key.
            readBody(upstreamRes).then((payload) => {
              res.writeHead(upstreamRes.statusCode ?? 500, upstreamRes.headers);
              res.end(payload);
              if ((upstreamRes.statusCode ?? 500) < 300) {
                for (const key of deletedKeys(payload.toString('utf8'))) {
                  notify({
                    bucket: op.bucket as string,
                    key,
                    eventName: 'ObjectRemoved:Delete',
                    sourceIp: '127.0.0.1',
                    operation: 'DeleteObjects',
                  });
                }
              }
              resolve();
            }, resolve);
            return;
          }
          res.writeHead(upstreamRes.statusCode ?? 500, responseHeaders(upstreamRes));
          upstreamRes.pipe(res);
          upstreamRes.on('end', () => {
            done();
            resolve();
          });
          upstreamRes.on('error', () => resolve());
        },
      );
      upstreamReq.on('error', (error) => {
        done();
        if (!res.headersSent) sendS3Error(res, req.method ?? 'GET', 500, 'InternalError', String(error), '/');
        resolve();
      });
      if (body) upstreamReq.end(body);
      else req.pipe(upstreamReq);
    });
  };

  const front = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendS3Error(res, req.method ?? 'GET', 500, 'InternalError', String(error), '/');
      else res.end();
    });
  });
  front.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
  ctx.log('s3', `S3 (s3rver) on ${url}`, { buckets: options.buckets.map((b) => b.name) });

  let closed: Promise<void> | undefined;
  return {
    url,
    directory,
    close() {
      closed ??= (async () => {
        front.closeAllConnections();
        await new Promise<void>((resolve) => front.close(() => resolve()));
        await server.close().catch(() => {});
        rmSync(directory, { recursive: true, force: true });
      })();
      return closed;
    },
  };
}

function readBody(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** aws-chunked: `<hex size>[;chunk-signature=…]\r\n<data>\r\n` … `0\r\n<trailers>\r\n\r\n`. */
export function decodeAwsChunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let pos = 0;
  while (pos < body.length) {
    const lineEnd = body.indexOf('\r\n', pos);
    if (lineEnd < 0) break;
    const size = Number.parseInt(body.subarray(pos, lineEnd).toString('latin1').split(';')[0] ?? '', 16);
    if (!Number.isFinite(size) || size === 0) break;
    pos = lineEnd + 2;
    parts.push(body.subarray(pos, pos + size));
    pos += size + 2;
  }
  return Buffer.concat(parts);
}

const unescapeXml = (text: string) =>
  text.replace(/&(lt|gt|amp|apos|quot|#x?[0-9a-fA-F]+);/g, (entity, name: string) => {
    const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' };
    if (named[name]) return named[name];
    const code = name.startsWith('#x')
      ? Number.parseInt(name.slice(2), 16)
      : Number.parseInt(name.slice(1), 10);
    return Number.isFinite(code) ? String.fromCodePoint(code) : entity;
  });

function deletedKeys(xml: string): string[] {
  return [...xml.matchAll(/<Deleted>[\s\S]*?<Key>([\s\S]*?)<\/Key>[\s\S]*?<\/Deleted>/g)].map((m) =>
    unescapeXml(m[1] ?? ''),
  );
}

/** S3's REST-XML error; HEAD responses carry no body, so the SDK names the error from the status. */
export function sendS3Error(
  res: ServerResponse,
  method: string,
  status: number,
  code: string,
  message: string,
  resource: string,
) {
  const id = requestId().replace(/-/g, '').slice(0, 16).toUpperCase();
  res.writeHead(status, { 'content-type': 'application/xml', 'x-amz-request-id': id, 'x-amz-id-2': id });
  if (method.toUpperCase() === 'HEAD') {
    res.end();
    return;
  }
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message>` +
      `<Resource>${xmlEscape(resource)}</Resource><RequestId>${id}</RequestId><HostId>${id}</HostId></Error>`,
  );
}

const encodeToken = (key: string) => Buffer.from(JSON.stringify({ k: key })).toString('base64');
const decodeToken = (token: string): string | undefined => {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { k?: unknown };
    return typeof parsed.k === 'string' ? parsed.k : undefined;
  } catch {
    return undefined;
  }
};

/**
 * ListObjectsV2 served from s3rver's store: s3rver encrypts continuation tokens with DES, which
 * OpenSSL 3 only offers through `--openssl-legacy-provider`; our tokens are opaque base64.
 */
async function listObjectsV2(
  store: S3rverStore,
  bucket: string,
  query: URLSearchParams,
  res: ServerResponse,
) {
  if (!(await store.getBucket(bucket))) {
    sendS3Error(res, 'GET', 404, 'NoSuchBucket', 'The specified bucket does not exist', `/${bucket}`);
    return;
  }
  const rawMax = query.get('max-keys');
  const maxKeys = rawMax === null ? 1000 : Number(rawMax);
  if (!Number.isInteger(maxKeys) || maxKeys < 0) {
    sendS3Error(
      res,
      'GET',
      400,
      'InvalidArgument',
      'Provided max-keys not an integer or within integer range',
      `/${bucket}`,
    );
    return;
  }
  const token = query.get('continuation-token');
  const tokenKey = token === null ? undefined : decodeToken(token);
  if (token !== null && tokenKey === undefined) {
    sendS3Error(
      res,
      'GET',
      400,
      'InvalidArgument',
      'The continuation token provided is incorrect',
      `/${bucket}`,
    );
    return;
  }
  const prefix = query.get('prefix') ?? '';
  const delimiter = query.get('delimiter') ?? '';
  const startAfter = tokenKey ?? query.get('start-after') ?? '';
  const result =
    maxKeys === 0
      ? { objects: [], commonPrefixes: [], isTruncated: false }
      : await store.listObjects(bucket, {
          prefix,
          delimiter,
          startAfter,
          maxKeys: Math.min(1000, maxKeys),
        });
  const urlEncoded = query.get('encoding-type') === 'url';
  const enc = (text: string) => xmlEscape(urlEncoded ? encodeURIComponent(text).replace(/%2F/g, '/') : text);
  const last = result.objects.at(-1)?.key;
  const parts = [
    '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
    `<Name>${xmlEscape(bucket)}</Name><Prefix>${enc(prefix)}</Prefix>`,
    token === null && query.get('start-after')
      ? `<StartAfter>${enc(query.get('start-after') ?? '')}</StartAfter>`
      : '',
    token !== null ? `<ContinuationToken>${xmlEscape(token)}</ContinuationToken>` : '',
    `<KeyCount>${result.objects.length + result.commonPrefixes.length}</KeyCount><MaxKeys>${rawMax ?? 1000}</MaxKeys>`,
    delimiter ? `<Delimiter>${enc(delimiter)}</Delimiter>` : '',
    urlEncoded ? '<EncodingType>url</EncodingType>' : '',
    `<IsTruncated>${result.isTruncated}</IsTruncated>`,
    result.isTruncated && last !== undefined
      ? `<NextContinuationToken>${encodeToken(last)}</NextContinuationToken>`
      : '',
    ...result.objects.map(
      (o) =>
        `<Contents><Key>${enc(o.key)}</Key><LastModified>${o.lastModifiedDate.toISOString()}</LastModified>` +
        `<ETag>${xmlEscape(o.metadata.etag ?? '')}</ETag><Size>${o.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
    ),
    ...result.commonPrefixes.map((p) => `<CommonPrefixes><Prefix>${enc(p)}</Prefix></CommonPrefixes>`),
    '</ListBucketResult>',
  ];
  res.writeHead(200, {
    'content-type': 'application/xml',
    'x-amz-request-id': requestId().replace(/-/g, '').slice(0, 16),
  });
  res.end(parts.join(''));
}
