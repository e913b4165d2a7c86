/**
 * The S3 object API of the local S3, served from ObjectStore (model.ts) rather than from
 * s3rver: Put/Get/Head/Copy/Delete(Objects), listings (V1, V2, versions), bucket versioning and
 * multipart uploads. Every error is an S3 error response for that request; none escapes.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { xmlEscape } from '../core/http.ts';
import { S3Failure, type sendS3Error } from './errors.ts';
import type { ObjectChange, S3EventName } from './events.ts';
import { compareKeys, MAX_KEY_BYTES, type ObjectStore, type ObjectVersion } from './model.ts';
import type { S3Request } from './operations.ts';

/** Operations this module answers; everything else goes to s3rver. */
export const OBJECT_OPERATIONS = new Set([
  'PutObject',
  'GetObject',
  'HeadObject',
  'CopyObject',
  'DeleteObject',
  'DeleteObjects',
  'ListObjects',
  'ListObjectsV2',
  'ListObjectVersions',
  'GetBucketVersioning',
  'PutBucketVersioning',
  'CreateMultipartUpload',
  'UploadPart',
  'CompleteMultipartUpload',
  'AbortMultipartUpload',
]);

export interface ObjectApiDeps {
  store: ObjectStore;
  bucketExists(bucket: string): Promise<boolean>;
  notify(change: ObjectChange): void;
  sendError: typeof sendS3Error;
  requestId(): string;
}

/** Headers kept with an object and sent back on GET/HEAD. */
const STORED_HEADERS = [
  'content-type',
  'content-encoding',
  'content-disposition',
  'content-language',
  'cache-control',
  'expires',
  'x-amz-server-side-encryption',
  'x-amz-server-side-encryption-aws-kms-key-id',
  'x-amz-storage-class',
  'x-amz-website-redirect-location',
];

const noSuchKey = () => new S3Failure(404, 'NoSuchKey', 'The specified key does not exist.');

interface Upload {
  bucket: string;
  key: string;
  headers: Record<string, string>;
  parts: Map<number, Buffer>;
}

export function createObjectApi(deps: ObjectApiDeps) {
  const uploads = new Map<string, Upload>();
  const { store } = deps;

  const storedHeaders = (req: IncomingMessage): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value !== 'string') continue;
      if (STORED_HEADERS.includes(name) || name.startsWith('x-amz-meta-')) out[name] = value;
    }
    out['content-type'] ??= 'binary/octet-stream';
    return out;
  };

  const versionHeader = (bucket: string, version: ObjectVersion): Record<string, string> =>
    store.versioning(bucket) === 'Unversioned' ? {} : { 'x-amz-version-id': version.versionId };

  const changed = (bucket: string, version: ObjectVersion, eventName: S3EventName, operation: string) => {
    const change: ObjectChange = { bucket, key: version.key, eventName, sourceIp: '127.0.0.1', operation };
    if (!version.deleteMarker) {
      change.size = version.size;
      change.eTag = version.etag.replace(/"/g, '');
    }
    if (store.versioning(bucket) !== 'Unversioned') change.versionId = version.versionId;
    deps.notify(change);
  };

  const xml = (res: ServerResponse, body: string, headers: Record<string, string> = {}, status = 200) => {
    res.writeHead(status, {
      'content-type': 'application/xml',
      'x-amz-request-id': deps.requestId(),
      ...headers,
    });
    res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
  };
  const empty = (res: ServerResponse, status: number, headers: Record<string, string>) => {
    res.writeHead(status, { 'x-amz-request-id': deps.requestId(), ...headers });
    res.end();
  };

  /** Read a version for GET/HEAD/copy, with S3's answers for markers and unknown versions. */
  const readable = (bucket: string, key: string, versionId: string | null, method: string): ObjectVersion => {
    const version = store.get(bucket, key, versionId ?? undefined);
    if (!version) {
      if (versionId !== null && store.get(bucket, key))
        throw new S3Failure(404, 'NoSuchVersion', 'The specified version does not exist.');
      throw versionId !== null
        ? new S3Failure(404, 'NoSuchVersion', 'The specified version does not exist.')
        : noSuchKey();
    }
    if (version.deleteMarker) {
      // S3: the current version is a marker → 404; a marker asked for by id → 405.
      throw Object.assign(
        versionId === null
          ? noSuchKey()
          : new S3Failure(
              405,
              'MethodNotAllowed',
              `The specified method is not allowed against this resource.`,
            ),
        { markerHeaders: { 'x-amz-delete-marker': 'true', 'x-amz-version-id': version.versionId, method } },
      );
    }
    return version;
  };

  async function getObject(
    req: IncomingMessage,
    res: ServerResponse,
    bucket: string,
    key: string,
    query: URLSearchParams,
    head: boolean,
  ) {
    const version = readable(bucket, key, query.get('versionId'), req.method ?? 'GET');
    const headers: Record<string, string> = {
      ...version.headers,
      etag: version.etag,
      'last-modified': version.lastModified.toUTCString(),
      'accept-ranges': 'bytes',
      ...versionHeader(bucket, version),
    };
    const range = /^bytes=(\d*)-(\d*)$/.exec(String(req.headers.range ?? ''));
    if (range && version.size > 0) {
      const start = range[1] === '' ? Math.max(0, version.size - Number(range[2])) : Number(range[1]);
      const end =
        range[1] === '' || range[2] === '' ? version.size - 1 : Math.min(Number(range[2]), version.size - 1);
      if (start > end || start >= version.size)
        throw new S3Failure(416, 'InvalidRange', 'The requested range is not satisfiable');
      const body = head ? Buffer.alloc(0) : (await store.body(version)).subarray(start, end + 1);
      res.writeHead(206, {
        ...headers,
        'content-range': `bytes ${start}-${end}/${version.size}`,
        'content-length': String(end - start + 1),
        'x-amz-request-id': deps.requestId(),
      });
      res.end(body);
      return;
    }
    res.writeHead(200, {
      ...headers,
      'content-length': String(version.size),
      'x-amz-request-id': deps.requestId(),
    });
    res.end(head ? undefined : await store.body(version));
  }

  async function putObject(
    req: IncomingMessage,
    res: ServerResponse,
    bucket: string,
    key: string,
    body: Buffer,
  ) {
    const version = await store.put(bucket, key, body, storedHeaders(req));
    empty(res, 200, { etag: version.etag, ...versionHeader(bucket, version) });
    changed(bucket, version, 'ObjectCreated:Put', 'PutObject');
  }

  async function copyObject(req: IncomingMessage, res: ServerResponse, bucket: string, key: string) {
    const raw = String(req.headers['x-amz-copy-source'] ?? '');
    const [pathPart, queryPart] = raw.split('?', 2);
    const source = decodeURIComponent(String(pathPart).replace(/^\//, ''));
    const slash = source.indexOf('/');
    if (slash < 1)
      throw new S3Failure(
        400,
        'InvalidArgument',
        'Copy Source must mention the source bucket and key: sourcebucket/sourcekey',
      );
    const srcBucket = source.slice(0, slash);
    const srcKey = source.slice(slash + 1);
    if (!(await deps.bucketExists(srcBucket)))
      throw new S3Failure(404, 'NoSuchBucket', 'The specified bucket does not exist');
    const srcVersionId = new URLSearchParams(queryPart ?? '').get('versionId');
    const src = readable(srcBucket, srcKey, srcVersionId, 'GET');
    const replace = String(req.headers['x-amz-metadata-directive'] ?? 'COPY').toUpperCase() === 'REPLACE';
    const version = await store.put(
      bucket,
      key,
      await store.body(src),
      replace ? storedHeaders(req) : src.headers,
    );
    xml(
      res,
      `<CopyObjectResult><LastModified>${version.lastModified.toISOString()}</LastModified><ETag>${xmlEscape(version.etag)}</ETag></CopyObjectResult>`,
      {
        ...versionHeader(bucket, version),
        ...(store.versioning(srcBucket) !== 'Unversioned'
          ? { 'x-amz-copy-source-version-id': src.versionId }
          : {}),
      },
    );
    changed(bucket, version, 'ObjectCreated:Copy', 'CopyObject');
  }

  /** One key's deletion, as DeleteObject and each DeleteObjects entry do it. */
  async function deleteOne(bucket: string, key: string, versionId: string | null, operation: string) {
    if (versionId !== null) {
      const gone = await store.deleteVersion(bucket, key, versionId);
      if (gone) changed(bucket, gone, 'ObjectRemoved:Delete', operation);
      return { versionId, deleteMarker: gone?.deleteMarker ?? false };
    }
    const existed = store.get(bucket, key);
    const marker = await store.deleteCurrent(bucket, key);
    if (marker) {
      changed(bucket, marker, 'ObjectRemoved:DeleteMarkerCreated', operation);
      return { markerVersionId: marker.versionId, deleteMarker: true };
    }
    // S3 answers 204 for a key that never existed, and says nothing about it.
    if (existed) changed(bucket, existed, 'ObjectRemoved:Delete', operation);
    return { deleteMarker: false };
  }

  async function deleteObject(res: ServerResponse, bucket: string, key: string, query: URLSearchParams) {
    const outcome = await deleteOne(bucket, key, query.get('versionId'), 'DeleteObject');
    const headers: Record<string, string> = {};
    if (outcome.deleteMarker) headers['x-amz-delete-marker'] = 'true';
    const id = outcome.versionId ?? outcome.markerVersionId;
    if (id !== undefined) headers['x-amz-version-id'] = id;
    empty(res, 204, headers);
  }

  async function deleteObjects(res: ServerResponse, bucket: string, body: Buffer) {
    const text = body.toString('utf8');
    const quiet = /<Quiet>\s*true\s*<\/Quiet>/i.test(text);
    const entries = [...text.matchAll(/<Object>([\s\S]*?)<\/Object>/g)].map((m) => ({
      key: unescapeXml(/<Key>([\s\S]*?)<\/Key>/.exec(m[1] ?? '')?.[1] ?? ''),
      versionId: /<VersionId>([\s\S]*?)<\/VersionId>/.exec(m[1] ?? '')?.[1] ?? null,
    }));
    const results: string[] = [];
    for (const entry of entries) {
      const outcome = await deleteOne(bucket, entry.key, entry.versionId, 'DeleteObjects');
      if (quiet) continue;
      results.push(
        `<Deleted><Key>${xmlEscape(entry.key)}</Key>` +
          (entry.versionId !== null ? `<VersionId>${xmlEscape(entry.versionId)}</VersionId>` : '') +
          (outcome.deleteMarker ? '<DeleteMarker>true</DeleteMarker>' : '') +
          (outcome.markerVersionId !== undefined
            ? `<DeleteMarkerVersionId>${xmlEscape(outcome.markerVersionId)}</DeleteMarkerVersionId>`
            : '') +
          '</Deleted>',
      );
    }
    xml(
      res,
      `<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${results.join('')}</DeleteResult>`,
    );
  }

  /** Keys and common prefixes after `after`, as ListObjects(V2) and ListObjectVersions group them. */
  function group<T extends { key: string }>(items: T[], prefix: string, delimiter: string) {
    const out: Array<{ prefix: string } | { item: T }> = [];
    let lastPrefix: string | undefined;
    for (const item of items) {
      if (!item.key.startsWith(prefix)) continue;
      const at = delimiter ? item.key.indexOf(delimiter, prefix.length) : -1;
      if (at >= 0) {
        const common = item.key.slice(0, at + delimiter.length);
        if (common !== lastPrefix) out.push({ prefix: common });
        lastPrefix = common;
        continue;
      }
      out.push({ item });
    }
    return out;
  }

  function maxKeysOf(query: URLSearchParams): number {
    const raw = query.get('max-keys');
    const max = raw === null ? 1000 : Number(raw);
    if (!Number.isInteger(max) || max < 0)
      throw new S3Failure(400, 'InvalidArgument', 'Provided max-keys not an integer or within integer range');
    return Math.min(max, 1000);
  }

  function listObjects(res: ServerResponse, bucket: string, query: URLSearchParams, v2: boolean) {
    const maxKeys = maxKeysOf(query);
    const prefix = query.get('prefix') ?? '';
    const delimiter = query.get('delimiter') ?? '';
    const token = query.get('continuation-token');
    let after = v2 ? (query.get('start-after') ?? '') : (query.get('marker') ?? '');
    if (v2 && token !== null) {
      const decoded = decodeToken(token);
      if (decoded === undefined)
        throw new S3Failure(400, 'InvalidArgument', 'The continuation token provided is incorrect');
      after = decoded;
    }
    const urlEncoded = query.get('encoding-type') === 'url';
    const enc = (text: string) =>
      xmlEscape(urlEncoded ? encodeURIComponent(text).replace(/%2F/g, '/') : text);
    const grouped = group(store.current(bucket), prefix, delimiter).filter(
      (g) => compareKeys('prefix' in g ? g.prefix : g.item.key, after) > 0,
    );
    const page = grouped.slice(0, maxKeys);
    const truncated = grouped.length > page.length;
    const lastEntry = page.at(-1);
    const last = lastEntry ? ('prefix' in lastEntry ? lastEntry.prefix : lastEntry.item.key) : undefined;
    const contents = page.flatMap((g) =>
      'item' in g
        ? [
            `<Contents><Key>${enc(g.item.key)}</Key><LastModified>${g.item.lastModified.toISOString()}</LastModified>` +
              `<ETag>${xmlEscape(g.item.etag)}</ETag><Size>${g.item.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
          ]
        : [],
    );
    const prefixes = page.flatMap((g) =>
      'prefix' in g ? [`<CommonPrefixes><Prefix>${enc(g.prefix)}</Prefix></CommonPrefixes>`] : [],
    );
    const head = [
      `<Name>${xmlEscape(bucket)}</Name><Prefix>${enc(prefix)}</Prefix>`,
      v2
        ? (token === null && query.get('start-after') ? `<StartAfter>${enc(after)}</StartAfter>` : '') +
          (token !== null ? `<ContinuationToken>${xmlEscape(token)}</ContinuationToken>` : '') +
          `<KeyCount>${page.length}</KeyCount>`
        : `<Marker>${enc(query.get('marker') ?? '')}</Marker>`,
      `<MaxKeys>${query.get('max-keys') ?? 1000}</MaxKeys>`,
      delimiter ? `<Delimiter>${enc(delimiter)}</Delimiter>` : '',
      urlEncoded ? '<EncodingType>url</EncodingType>' : '',
      `<IsTruncated>${truncated}</IsTruncated>`,
      truncated && last !== undefined
        ? v2
          ? `<NextContinuationToken>${encodeToken(last)}</NextContinuationToken>`
          : delimiter
            ? `<NextMarker>${enc(last)}</NextMarker>`
            : ''
        : '',
    ];
    xml(
      res,
      `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${head.join('')}${contents.join('')}${prefixes.join('')}</ListBucketResult>`,
    );
  }

  function listObjectVersions(res: ServerResponse, bucket: string, query: URLSearchParams) {
    const maxKeys = maxKeysOf(query);
    const prefix = query.get('prefix') ?? '';
    const delimiter = query.get('delimiter') ?? '';
    const keyMarker = query.get('key-marker') ?? '';
    const versionMarker = query.get('version-id-marker') ?? '';
    const all = store
      .entries(bucket)
      .flatMap(([, versions]) => versions.map((v, i) => ({ key: v.key, version: v, latest: i === 0 })));
    // After the markers: keys past key-marker, or the versions of key-marker after version-id-marker.
    let started = keyMarker === '';
    const rest = all.filter((entry) => {
      if (started) return true;
      const order = compareKeys(entry.key, keyMarker);
      if (order < 0) return false;
      if (order > 0 || versionMarker === '') {
        started = order > 0;
        return order > 0;
      }
      if (entry.version.versionId === versionMarker) started = true;
      return false;
    });
    const grouped = group(rest, prefix, delimiter);
    const page = grouped.slice(0, maxKeys);
    const truncated = grouped.length > page.length;
    const last = page.at(-1);
    const body = page.map((g) => {
      if ('prefix' in g) return `<CommonPrefixes><Prefix>${xmlEscape(g.prefix)}</Prefix></CommonPrefixes>`;
      const v = g.item.version;
      const common =
        `<Key>${xmlEscape(v.key)}</Key><VersionId>${xmlEscape(v.versionId)}</VersionId><IsLatest>${g.item.latest}</IsLatest>` +
        `<LastModified>${v.lastModified.toISOString()}</LastModified>`;
      return v.deleteMarker
        ? `<DeleteMarker>${common}</DeleteMarker>`
        : `<Version>${common}<ETag>${xmlEscape(v.etag)}</ETag><Size>${v.size}</Size><StorageClass>STANDARD</StorageClass></Version>`;
    });
    const next =
      truncated && last
        ? 'prefix' in last
          ? `<NextKeyMarker>${xmlEscape(last.prefix)}</NextKeyMarker>`
          : `<NextKeyMarker>${xmlEscape(last.item.key)}</NextKeyMarker><NextVersionIdMarker>${xmlEscape(last.item.version.versionId)}</NextVersionIdMarker>`
        : '';
    xml(
      res,
      `<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xmlEscape(bucket)}</Name><Prefix>${xmlEscape(prefix)}</Prefix>` +
        `<KeyMarker>${xmlEscape(keyMarker)}</KeyMarker><VersionIdMarker>${xmlEscape(versionMarker)}</VersionIdMarker>` +
        `<MaxKeys>${query.get('max-keys') ?? 1000}</MaxKeys>${delimiter ? `<Delimiter>${xmlEscape(delimiter)}</Delimiter>` : ''}` +
        `<IsTruncated>${truncated}</IsTruncated>${next}${body.join('')}</ListVersionsResult>`,
    );
  }

  function putBucketVersioning(res: ServerResponse, bucket: string, body: Buffer) {
    const status = /<Status>\s*(\w+)\s*<\/Status>/.exec(body.toString('utf8'))?.[1];
    if (status !== 'Enabled' && status !== 'Suspended')
      throw new S3Failure(
        400,
        'MalformedXML',
        'The XML you provided was not well-formed or did not validate against our published schema',
      );
    store.setVersioning(bucket, status);
    empty(res, 200, {});
  }

  function getBucketVersioning(res: ServerResponse, bucket: string) {
    const status = store.versioning(bucket);
    xml(
      res,
      `<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${status === 'Unversioned' ? '' : `<Status>${status}</Status>`}</VersioningConfiguration>`,
    );
  }

  function createUpload(req: IncomingMessage, res: ServerResponse, bucket: string, key: string) {
    const uploadId = randomBytes(24).toString('base64url');
    uploads.set(uploadId, { bucket, key, headers: storedHeaders(req), parts: new Map() });
    xml(
      res,
      `<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${xmlEscape(bucket)}</Bucket>` +
        `<Key>${xmlEscape(key)}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`,
    );
  }

  const uploadOf = (bucket: string, key: string, query: URLSearchParams): [string, Upload] => {
    const id = query.get('uploadId') ?? '';
    const upload = uploads.get(id);
    if (!upload || upload.bucket !== bucket || upload.key !== key)
      throw new S3Failure(404, 'NoSuchUpload', 'The specified upload does not exist.');
    return [id, upload];
  };

  function uploadPart(
    res: ServerResponse,
    bucket: string,
    key: string,
    query: URLSearchParams,
    body: Buffer,
  ) {
    const [, upload] = uploadOf(bucket, key, query);
    const part = Number(query.get('partNumber'));
    if (!Number.isInteger(part) || part < 1 || part > 10000)
      throw new S3Failure(
        400,
        'InvalidArgument',
        'Part number must be an integer between 1 and 10000, inclusive',
      );
    upload.parts.set(part, body);
    empty(res, 200, { etag: `"${createHash('md5').update(body).digest('hex')}"` });
  }

  async function completeUpload(
    res: ServerResponse,
    bucket: string,
    key: string,
    query: URLSearchParams,
    body: Buffer,
  ) {
    const [id, upload] = uploadOf(bucket, key, query);
    const wanted = [...body.toString('utf8').matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map((m) =>
      Number(m[1]),
    );
    const parts = wanted.map((n) => upload.parts.get(n));
    if (!wanted.length || parts.some((p) => p === undefined))
      throw new S3Failure(400, 'InvalidPart', 'One or more of the specified parts could not be found.');
    const content = Buffer.concat(parts as Buffer[]);
    const version = await store.put(bucket, key, content, upload.headers);
    // S3's multipart ETag: md5 of the parts' md5s, then -<number of parts>.
    const partsMd5 = createHash('md5');
    for (const part of parts as Buffer[]) partsMd5.update(createHash('md5').update(part).digest());
    version.etag = `"${partsMd5.digest('hex')}-${parts.length}"`;
    uploads.delete(id);
    xml(
      res,
      `<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Location>/${xmlEscape(bucket)}/${xmlEscape(key)}</Location>` +
        `<Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><ETag>${xmlEscape(version.etag)}</ETag></CompleteMultipartUploadResult>`,
      versionHeader(bucket, version),
    );
    changed(bucket, version, 'ObjectCreated:CompleteMultipartUpload', 'CompleteMultipartUpload');
  }

  function abortUpload(res: ServerResponse, bucket: string, key: string, query: URLSearchParams) {
    const [id] = uploadOf(bucket, key, query);
    uploads.delete(id);
    empty(res, 204, {});
  }

  /** Answer one object-API request (`op.operation` in OBJECT_OPERATIONS). */
  return async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    op: S3Request,
    body: Buffer,
  ): Promise<void> {
    const method = req.method ?? 'GET';
    const bucket = op.bucket ?? '';
    const key = op.key ?? '';
    const resource = `/${bucket}${key ? `/${key}` : ''}`;
    const query = new URL(req.url ?? '/', 'http://local').searchParams;
    try {
      if (!(await deps.bucketExists(bucket)))
        throw new S3Failure(404, 'NoSuchBucket', 'The specified bucket does not exist');
      if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES)
        throw new S3Failure(400, 'KeyTooLongError', 'Your key is too long');
      switch (op.operation) {
        case 'PutObject':
          return await putObject(req, res, bucket, key, body);
        case 'GetObject':
          return await getObject(req, res, bucket, key, query, false);
        case 'HeadObject':
          return await getObject(req, res, bucket, key, query, true);
        case 'CopyObject':
          return await copyObject(req, res, bucket, key);
        case 'DeleteObject':
          return await deleteObject(res, bucket, key, query);
        case 'DeleteObjects':
          return await deleteObjects(res, bucket, body);
        case 'ListObjects':
          return listObjects(res, bucket, query, false);
        case 'ListObjectsV2':
          return listObjects(res, bucket, query, true);
        case 'ListObjectVersions':
          return listObjectVersions(res, bucket, query);
        case 'GetBucketVersioning':
          return getBucketVersioning(res, bucket);
        case 'PutBucketVersioning':
          return putBucketVersioning(res, bucket, body);
        case 'CreateMultipartUpload':
          return createUpload(req, res, bucket, key);
        case 'UploadPart':
          return uploadPart(res, bucket, key, query, body);
        case 'CompleteMultipartUpload':
          return await completeUpload(res, bucket, key, query, body);
        case 'AbortMultipartUpload':
          return abortUpload(res, bucket, key, query);
        default:
          throw new S3Failure(501, 'NotImplemented', `${op.operation} is not implemented by the local S3`);
      }
    } catch (error) {
      if (res.headersSent) {
        res.end();
        return;
      }
      const failure =
        error instanceof S3Failure
          ? error
          : new S3Failure(500, 'InternalError', `We encountered an internal error: ${String(error)}`);
      const marker = (error as { markerHeaders?: Record<string, string> }).markerHeaders;
      if (marker) {
        res.setHeader('x-amz-delete-marker', marker['x-amz-delete-marker'] ?? 'true');
        if (marker['x-amz-version-id']) res.setHeader('x-amz-version-id', marker['x-amz-version-id']);
      }
      deps.sendError(res, method, failure.status, failure.code, failure.message, resource);
    }
  };
}

export const encodeToken = (key: string) => Buffer.from(JSON.stringify({ k: key })).toString('base64');
export const decodeToken = (token: string): string | undefined => {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { k?: unknown };
    return typeof parsed.k === 'string' ? parsed.k : undefined;
  } catch {
    return undefined;
  }
};

export const unescapeXml = (text: string) =>
  text.replace(/&(lt|gt|amp|apos|quot|#x?[0-9a-fA-F]+);/g, (entity, name: string) => {
    const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' };
    if (named[name]) return named[name];
    const code = name.startsWith('#x')
      ? Number.parseInt(name.slice(2), 16)
      : Number.parseInt(name.slice(1), 10);
    return Number.isFinite(code) ? String.fromCodePoint(code) : entity;
  });
