/**
 * The backup's S3 objects behind a small interface, so the verifier, the transfer function and
 * the local export/import DAGs share one adapter and unit tests can use a Map.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** Objects of one backup, addressed by their name under the backup prefix. */
export interface BackupStore {
  readonly bucket: string;
  readonly prefix: string;
  /** The object's bytes, or undefined when it does not exist. */
  get(name: string): Promise<Uint8Array | undefined>;
  put(name: string, body: Uint8Array | string, contentType?: string): Promise<void>;
}

export interface S3BackupStoreOptions {
  s3: Pick<S3Client, 'send'>;
  bucket: string;
  prefix: string;
  /** KMS key for SSE-KMS; the bucket default enforces it, writers set it explicitly too. */
  kmsKeyId?: string;
}

export function createS3BackupStore(options: S3BackupStoreOptions): BackupStore {
  const { s3, bucket, prefix } = options;
  return {
    bucket,
    prefix,
    async get(name) {
      try {
        const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: prefix + name }));
        return out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
      } catch (error) {
        const code = (error as { name?: string }).name;
        if (code === 'NoSuchKey' || code === 'NotFound') return undefined;
        throw error;
      }
    },
    async put(name, body, contentType = 'application/octet-stream') {
      const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: prefix + name,
          Body: bytes,
          ContentLength: bytes.length,
          ContentType: contentType,
          ServerSideEncryption: 'aws:kms',
          ...(options.kmsKeyId ? { SSEKMSKeyId: options.kmsKeyId } : {}),
        }),
      );
    },
  };
}

/** An in-memory store (unit tests, dry runs). */
export function createMemoryBackupStore(
  bucket = 'memory',
  prefix = '',
): BackupStore & {
  objects: Map<string, Uint8Array>;
} {
  const objects = new Map<string, Uint8Array>();
  return {
    bucket,
    prefix,
    objects,
    get: async (name) => objects.get(name),
    put: async (name, body) => {
      objects.set(name, typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body));
    },
  };
}

export async function getJson<T = unknown>(store: BackupStore, name: string): Promise<T | undefined> {
  const bytes = await store.get(name);
  return bytes === undefined ? undefined : (JSON.parse(Buffer.from(bytes).toString('utf8')) as T);
}

export async function putJson(store: BackupStore, name: string, value: unknown): Promise<Uint8Array> {
  const body = Buffer.from(`${JSON.stringify(value, null, 2)}\n`, 'utf8');
  await store.put(name, body, 'application/json');
  return body;
}
