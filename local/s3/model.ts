/**
 * The objects of the local S3, with versions. s3rver stored each object at a path made from its
 * key, so `a//b` and `a/b` (and `a/./b`, `x/../a/b`) were one file, `../` escaped the bucket and
 * a segment over 255 bytes failed with ENAMETOOLONG on an unhandled stream error, which took the
 * whole process down. Here a key is only ever a map key: bodies live in files named by a random
 * id, so any key S3 accepts (up to 1024 bytes of UTF-8) round-trips exactly.
 *
 * Versioning follows S3: a bucket is unversioned, Enabled or Suspended. Unversioned and Suspended
 * writes replace the `null` version; Enabled writes add a version with a fresh id; a DELETE
 * without a version id adds a delete marker on a versioned bucket, and one with a version id
 * removes that version for good.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export type VersioningStatus = 'Unversioned' | 'Enabled' | 'Suspended';

/** S3's limit on a key: 1024 bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024;

export interface ObjectVersion {
  key: string;
  /** `null` for the version an unversioned or suspended bucket writes. */
  versionId: string;
  deleteMarker: boolean;
  lastModified: Date;
  size: number;
  /** Quoted, as S3 sends it. */
  etag: string;
  /** content-type, content-encoding, x-amz-meta-*, ... as response headers. */
  headers: Record<string, string>;
  blob?: string;
}

const VERSION_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._';

/** S3 version ids: 32 characters of letters, digits, `.` and `_`. */
function newVersionId(): string {
  return Array.from(randomBytes(32), (b) => VERSION_ID_ALPHABET[b % 64]).join('');
}

/** S3 orders keys by their UTF-8 bytes, which is not JavaScript's UTF-16 order. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export class ObjectStore {
  readonly #blobs: string;
  readonly #now: () => Date;
  /** bucket → key → versions, newest first. */
  readonly #buckets = new Map<string, Map<string, ObjectVersion[]>>();
  readonly #versioning = new Map<string, VersioningStatus>();

  constructor(directory: string, now: () => Date) {
    this.#blobs = join(directory, 'blobs');
    mkdirSync(this.#blobs, { recursive: true });
    this.#now = now;
  }

  versioning(bucket: string): VersioningStatus {
    return this.#versioning.get(bucket) ?? 'Unversioned';
  }

  setVersioning(bucket: string, status: 'Enabled' | 'Suspended'): void {
    this.#versioning.set(bucket, status);
  }

  #objects(bucket: string): Map<string, ObjectVersion[]> {
    let objects = this.#buckets.get(bucket);
    if (!objects) {
      objects = new Map();
      this.#buckets.set(bucket, objects);
    }
    return objects;
  }

  /** A version by id, or the current one (which may be a delete marker). */
  get(bucket: string, key: string, versionId?: string): ObjectVersion | undefined {
    const versions = this.#buckets.get(bucket)?.get(key);
    if (!versions) return undefined;
    return versionId === undefined ? versions[0] : versions.find((v) => v.versionId === versionId);
  }

  body(version: ObjectVersion): Promise<Buffer> {
    return version.blob ? readFile(join(this.#blobs, version.blob)) : Promise.resolve(Buffer.alloc(0));
  }

  async put(
    bucket: string,
    key: string,
    body: Buffer,
    headers: Record<string, string>,
  ): Promise<ObjectVersion> {
    const blob = randomBytes(16).toString('hex');
    await writeFile(join(this.#blobs, blob), body);
    const version: ObjectVersion = {
      key,
      versionId: this.versioning(bucket) === 'Enabled' ? newVersionId() : 'null',
      deleteMarker: false,
      lastModified: this.#now(),
      size: body.length,
      etag: `"${createHash('md5').update(body).digest('hex')}"`,
      headers,
      blob,
    };
    await this.#add(bucket, version);
    return version;
  }

  /** DELETE without a version id: a delete marker on a versioned bucket, else gone. */
  async deleteCurrent(bucket: string, key: string): Promise<ObjectVersion | undefined> {
    const status = this.versioning(bucket);
    if (status === 'Unversioned') {
      const versions = this.#buckets.get(bucket)?.get(key) ?? [];
      this.#buckets.get(bucket)?.delete(key);
      await Promise.all(versions.map((v) => this.#drop(v)));
      return undefined;
    }
    const marker: ObjectVersion = {
      key,
      versionId: status === 'Enabled' ? newVersionId() : 'null',
      deleteMarker: true,
      lastModified: this.#now(),
      size: 0,
      etag: '',
      headers: {},
    };
    await this.#add(bucket, marker);
    return marker;
  }

  /** DELETE with a version id: that version (object or marker) is gone for good. */
  async deleteVersion(bucket: string, key: string, versionId: string): Promise<ObjectVersion | undefined> {
    const objects = this.#buckets.get(bucket);
    const versions = objects?.get(key);
    const found = versions?.find((v) => v.versionId === versionId);
    if (!objects || !versions || !found) return undefined;
    const rest = versions.filter((v) => v !== found);
    if (rest.length) objects.set(key, rest);
    else objects.delete(key);
    await this.#drop(found);
    return found;
  }

  /** Every key with its versions (newest first), in S3's key order. */
  entries(bucket: string): Array<[string, ObjectVersion[]]> {
    return [...(this.#buckets.get(bucket)?.entries() ?? [])].sort(([a], [b]) => compareKeys(a, b));
  }

  /** The keys whose current version is an object, in S3's key order. */
  current(bucket: string): ObjectVersion[] {
    return this.entries(bucket)
      .map(([, versions]) => versions[0])
      .filter((v): v is ObjectVersion => v !== undefined && !v.deleteMarker);
  }

  async #add(bucket: string, version: ObjectVersion): Promise<void> {
    const objects = this.#objects(bucket);
    const versions = objects.get(version.key) ?? [];
    // A null version is replaced, never stacked (unversioned and suspended buckets).
    const replaced = version.versionId === 'null' ? versions.filter((v) => v.versionId === 'null') : [];
    objects.set(version.key, [version, ...versions.filter((v) => !replaced.includes(v))]);
    await Promise.all(replaced.map((v) => this.#drop(v)));
  }

  async #drop(version: ObjectVersion): Promise<void> {
    if (version.blob) await rm(join(this.#blobs, version.blob), { force: true });
  }
}
