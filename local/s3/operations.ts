/** Which S3 API operation a path-style REST request is, from its method, path and query. */

export interface S3Request {
  operation: string;
  bucket?: string;
  key?: string;
}

export function s3Operation(
  method: string,
  url: string,
  headers: Record<string, string | string[] | undefined>,
): S3Request {
  // Not `new URL(url).pathname`: it resolves `.`/`..` segments, and they are part of S3 keys.
  const queryAt = url.indexOf('?');
  const pathname = queryAt < 0 ? url : url.slice(0, queryAt);
  const q = new URLSearchParams(queryAt < 0 ? '' : url.slice(queryAt + 1));
  const segments = pathname.split('/');
  const bucket = segments[1] ? decodeURIComponent(segments[1]) : undefined;
  const rawKey = segments.slice(2).join('/');
  const key = rawKey ? decodeURIComponent(rawKey) : undefined;
  const m = method.toUpperCase();
  const base = { ...(bucket ? { bucket } : {}), ...(key ? { key } : {}) };
  if (!bucket) return { operation: 'ListBuckets' };
  if (!key) {
    const sub = (name: string, get: string, put: string, del?: string) =>
      q.has(name) ? (m === 'GET' ? get : m === 'PUT' ? put : (del ?? put)) : undefined;
    const named =
      sub('cors', 'GetBucketCors', 'PutBucketCors', 'DeleteBucketCors') ??
      sub('website', 'GetBucketWebsite', 'PutBucketWebsite', 'DeleteBucketWebsite') ??
      sub('versioning', 'GetBucketVersioning', 'PutBucketVersioning') ??
      sub('tagging', 'GetBucketTagging', 'PutBucketTagging', 'DeleteBucketTagging') ??
      sub('policy', 'GetBucketPolicy', 'PutBucketPolicy', 'DeleteBucketPolicy') ??
      sub('notification', 'GetBucketNotificationConfiguration', 'PutBucketNotificationConfiguration') ??
      sub('acl', 'GetBucketAcl', 'PutBucketAcl');
    if (named) return { operation: named, ...base };
    if (m === 'GET') {
      if (q.has('location')) return { operation: 'GetBucketLocation', ...base };
      if (q.has('uploads')) return { operation: 'ListMultipartUploads', ...base };
      if (q.has('versions')) return { operation: 'ListObjectVersions', ...base };
      return { operation: q.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects', ...base };
    }
    if (m === 'HEAD') return { operation: 'HeadBucket', ...base };
    if (m === 'PUT') return { operation: 'CreateBucket', ...base };
    if (m === 'DELETE') return { operation: 'DeleteBucket', ...base };
    if (m === 'POST' && q.has('delete')) return { operation: 'DeleteObjects', ...base };
    return { operation: 'PostObject', ...base };
  }
  const copySource = headers['x-amz-copy-source'] !== undefined;
  switch (m) {
    case 'GET':
      if (q.has('tagging')) return { operation: 'GetObjectTagging', ...base };
      if (q.has('acl')) return { operation: 'GetObjectAcl', ...base };
      if (q.has('uploadId')) return { operation: 'ListParts', ...base };
      return { operation: 'GetObject', ...base };
    case 'HEAD':
      return { operation: 'HeadObject', ...base };
    case 'PUT':
      if (q.has('uploadId')) return { operation: copySource ? 'UploadPartCopy' : 'UploadPart', ...base };
      if (q.has('tagging')) return { operation: 'PutObjectTagging', ...base };
      if (q.has('acl')) return { operation: 'PutObjectAcl', ...base };
      return { operation: copySource ? 'CopyObject' : 'PutObject', ...base };
    case 'DELETE':
      if (q.has('uploadId')) return { operation: 'AbortMultipartUpload', ...base };
      if (q.has('tagging')) return { operation: 'DeleteObjectTagging', ...base };
      return { operation: 'DeleteObject', ...base };
    case 'POST':
      if (q.has('uploads')) return { operation: 'CreateMultipartUpload', ...base };
      if (q.has('uploadId')) return { operation: 'CompleteMultipartUpload', ...base };
      if (q.has('restore')) return { operation: 'RestoreObject', ...base };
      if (q.has('select')) return { operation: 'SelectObjectContent', ...base };
      return { operation: 'PostObject', ...base };
    default:
      return { operation: 'Unknown', ...base };
  }
}
