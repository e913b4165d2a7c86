/**
 * S3: a proxy that answers the object API itself (api.ts over model.ts: exact
 * keys, versions, listings, multipart) and hands bucket-level requests to s3rver in a temp
 * directory. It also adds fault injection, aws-chunked request bodies (SDK v3's default for
 * streamed uploads) and S3 event records in the shape real S3 sends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyFault } from '../core/fault-response.ts';
import { requestId } from '../core/http.ts';
import type { LocalBucket, Targets } from '../core/model.ts';
import type { EmulatorHandle, ServiceContext } from '../core/service.ts';
import { createObjectApi, OBJECT_OPERATIONS } from './api.ts';
import { sendS3Error } from './errors.ts';
import { notificationsFor, type ObjectChange, s3EventBridgeEntry, s3EventRecord } from './events.ts';
import { ObjectStore } from './model.ts';
import { s3Operation } from './operations.ts';

interface S3rverStore {
  getBucket(name: string): Promise<unknown>;
}
interface S3rverInstance {
  store: S3rverStore;
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
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

export async function startS3(ctx: ServiceContext, options: S3Options): Promise<S3Emulator> {
  const directory = mkdtempSync(join(tmpdir(), 'mwaa-ops-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: join(directory, 's3rver'),
    resetOnClose: true,
    // The proxy rewrites aws-chunked bodies, which invalidates the signature s3rver would check.
    allowMismatchedSignatures: true,
    configureBuckets: options.buckets.map((bucket) => ({ name: bucket.name })),
  });
  const upstream = await server.run();
  const buckets = new Map(options.buckets.map((bucket) => [bucket.name, bucket]));
  // Objects never reach s3rver (model.ts says why); it keeps buckets and their settings.
  const store = new ObjectStore(directory, () => ctx.clock.date());
  for (const bucket of options.buckets) if (bucket.versioned) store.setVersioning(bucket.name, 'Enabled');
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

  const objectApi = createObjectApi({
    store,
    bucketExists: async (name) => Boolean(await server.store.getBucket(name)),
    notify,
    sendError: sendS3Error,
    requestId: () => requestId().replace(/-/g, '').slice(0, 16).toUpperCase(),
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
    if (op.bucket && OBJECT_OPERATIONS.has(op.operation)) {
      const raw = await readBody(req);
      await objectApi(req, res, op, isAwsChunked(req.headers) ? decodeAwsChunked(raw) : raw);
      return;
    }
    await forward(req, res);
  };

  /** Bucket-level requests s3rver still answers (CreateBucket, HeadBucket, CORS, ...). */
  const forward = async (req: IncomingMessage, res: ServerResponse) => {
    await new Promise<void>((resolve) => {
      const upstreamReq = request(
        { host: '127.0.0.1', port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (upstreamRes) => {
          res.writeHead(upstreamRes.statusCode ?? 500, upstreamRes.headers);
          upstreamRes.pipe(res);
          upstreamRes.on('end', () => resolve());
          upstreamRes.on('error', () => resolve());
        },
      );
      upstreamReq.on('error', (error) => {
        if (!res.headersSent) sendS3Error(res, req.method ?? 'GET', 500, 'InternalError', String(error), '/');
        resolve();
      });
      req.pipe(upstreamReq);
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

/** SDK v3 streams uploads as aws-chunked unless told otherwise (NOTES.md). */
function isAwsChunked(headers: IncomingMessage['headers']): boolean {
  return (
    /aws-chunked/.test(String(headers['content-encoding'] ?? '')) ||
    String(headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-')
  );
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
