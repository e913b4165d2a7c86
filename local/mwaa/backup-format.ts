/**
 * The backup format (docs/backup-format.md, format version 1) as the emulated transfer DAGs write
 * and read it. Written from the document, not shared with the product's
 * functions/shared/backup/: MetadataTransferFunction verifies what this module writes, so a
 * mistake in either implementation (or a gap in the document) fails a test instead of being
 * agreed with by construction. It covers what the emulator's tables need and no more:
 *
 *   layout       backups/<env>/<backupId>/ with environment.json, tables/<t>.jsonl.gz,
 *                active-dags.json and manifest.json (written last: the commit marker)
 *   table files  gzip-compressed JSON Lines, one object per row keyed by column name, every
 *                manifest column present, NULL as null, binary as {"$binary": base64}
 *   manifest     built, parsed and validated; an unknown formatVersion is refused
 *   verification the manifest (environment, backup id), every file's size and SHA-256 of the
 *                stored bytes, row counts and the mandatory tables of `kind: database`
 *   import       dependency order from `references`, and old → new rewriting of references to
 *                generated keys
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** The version the emulated export writes (JSON Lines files only, as in v1). */
export const FORMAT_VERSION = 1;
/** Versions the emulated import reads: v1, and v2 whose history tables may be COPY text files. */
export const READABLE_VERSIONS: readonly number[] = [1, 2];
export const MANIFEST = 'manifest.json';
export const SNAPSHOT = 'environment.json';
export const ACTIVE_DAGS = 'active-dags.json';
/** Every `kind: database` backup holds these. */
export const MANDATORY_TABLES = ['variable', 'connection', 'slot_pool'];

export type Row = Record<string, unknown>;

export interface StoredFile {
  file: string;
  bytes: number;
  sha256: string;
}

export interface TableEntry extends StoredFile {
  columns: string[];
  primaryKey: string[];
  generatedKey?: string;
  references?: Record<string, string>;
  reuseOn?: string[];
  /** v2: `copy` (gzip PostgreSQL COPY text, decoded by `columnTypes`) or `jsonl` (the default). */
  encoding?: 'jsonl' | 'copy';
  columnTypes?: Record<string, string>;
  rows: number;
}

export interface Manifest {
  formatVersion: 1 | 2;
  backupId: string;
  environment: string;
  airflowVersion: string;
  kind: 'database' | 'rest';
  createdAt: string;
  createdBy: { writer: string; executionArn?: string };
  activeDags: string[];
  /** DAGs paused before the export (absent from older backups); the import pauses them. */
  pausedDags?: string[];
  snapshot?: StoredFile;
  tables: Record<string, TableEntry>;
  excluded?: Record<string, string>;
}

/** Which verification step refused the backup. */
export type Refusal =
  | 'not-committed'
  | 'unreadable-manifest'
  | 'unknown-format'
  | 'other-environment'
  | 'other-backup'
  | 'missing-file'
  | 'wrong-size'
  | 'wrong-checksum'
  | 'bad-row-count'
  | 'missing-table'
  | 'not-the-verified-manifest';

export class BackupRefused extends Error {
  override name = 'BackupRefused';
  readonly refusal: Refusal;
  constructor(refusal: Refusal, message: string) {
    super(message);
    this.refusal = refusal;
  }
}

/** The objects of one backup, by name under its prefix. */
export interface BackupObjects {
  readonly prefix: string;
  get(name: string): Promise<Uint8Array | undefined>;
  put(name: string, body: Uint8Array, contentType: string): Promise<void>;
}

/** The backup's objects in S3, written with SSE-KMS as the document asks of every writer. */
export function s3BackupObjects(
  s3: Pick<S3Client, 'send'>,
  location: { bucket: string; prefix: string; kmsKeyId?: string },
): BackupObjects {
  const { bucket, prefix, kmsKeyId } = location;
  return {
    prefix,
    async get(name) {
      try {
        const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}${name}` }));
        return out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
      } catch (error) {
        if ((error as Error).name === 'NoSuchKey') return undefined;
        throw error;
      }
    },
    async put(name, body, contentType) {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `${prefix}${name}`,
          Body: body,
          ContentLength: body.length,
          ContentType: contentType,
          ServerSideEncryption: 'aws:kms',
          ...(kmsKeyId ? { SSEKMSKeyId: kmsKeyId } : {}),
        }),
      );
    },
  };
}

export async function readJson<T>(objects: BackupObjects, name: string): Promise<T | undefined> {
  const body = await objects.get(name);
  return body === undefined ? undefined : (JSON.parse(Buffer.from(body).toString('utf8')) as T);
}

export async function writeJson(objects: BackupObjects, name: string, value: unknown): Promise<void> {
  await objects.put(name, Buffer.from(`${JSON.stringify(value, null, 2)}\n`, 'utf8'), 'application/json');
}

/** Size and SHA-256 (hex) of bytes exactly as stored. */
export function fingerprint(body: Uint8Array): { bytes: number; sha256: string } {
  return { bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') };
}

// ---------------------------------------------------------------------------------------------
// Table files

function encodeValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Uint8Array) return { $binary: Buffer.from(value).toString('base64') };
  if (value instanceof Date) {
    // With offset; microseconds only when the value has a fraction (JS dates carry milliseconds).
    const [seconds, millis = '000'] = value.toISOString().replace('Z', '').split('.');
    return millis === '000' ? `${seconds}+00:00` : `${seconds}.${millis}000+00:00`;
  }
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number' && !Number.isFinite(value))
    throw new Error('A table value is NaN or infinite: JSON has no such number');
  return value;
}

function decodeValue(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    const base64 = (value as Row).$binary;
    if (keys.length === 1 && typeof base64 === 'string') return Buffer.from(base64, 'base64');
  }
  return value;
}

/** The file of one table: rows (already in primary-key order) as gzip-compressed JSON Lines. */
export function encodeTable(
  columns: readonly string[],
  rows: readonly Row[],
): { body: Buffer; rows: number; bytes: number; sha256: string } {
  // JSON escapes newlines inside strings, so each row is exactly one line.
  const text = rows
    .map((row) => `${JSON.stringify(Object.fromEntries(columns.map((c) => [c, encodeValue(row[c])])))}\n`)
    .join('');
  // An empty table is the gzip of zero bytes, never a missing file.
  const body = gzipSync(Buffer.from(text, 'utf8'));
  return { body, rows: rows.length, ...fingerprint(body) };
}

const COPY_ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** A COPY text field (`\N`, backslash escapes) → its text, or null. */
function copyField(field: string): string | null {
  if (field === '\\N') return null;
  return field.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/g, (_, escaped: string) => {
    if (escaped[0] === 'x' && escaped.length > 1)
      return String.fromCharCode(Number.parseInt(escaped.slice(1), 16));
    if (/^[0-7]/.test(escaped)) return String.fromCharCode(Number.parseInt(escaped, 8));
    return COPY_ESCAPES[escaped] ?? escaped;
  });
}

/** `2026-11-26 10:15:30.5+00` → `2026-11-26T10:15:30.500000+00:00` (what a v1 file holds). */
function copyTimestamp(text: string): string {
  const m = /^(\S+) ([\d:]+)(?:\.(\d+))?(?:([+-]\d\d)(?::?(\d\d))?)?$/.exec(text);
  if (!m) throw new Error('A timestamp in a COPY table file is not in ISO form');
  const fraction = m[3] ? `.${m[3].padEnd(6, '0')}` : '';
  return `${m[1]}T${m[2]}${fraction}${m[4] ? `${m[4]}:${m[5] ?? '00'}` : ''}`;
}

function copyValue(text: string | null, type: string): unknown {
  if (text === null) return null;
  if (type === 'bytea') return Buffer.from(text.slice(2), 'hex');
  if (['smallint', 'integer', 'bigint', 'real', 'double precision', 'numeric'].includes(type))
    return Number(text);
  if (type === 'boolean') return text === 't';
  if (type.startsWith('timestamp')) return copyTimestamp(text);
  if (type === 'json' || type === 'jsonb')
    return text.trim() === 'null' ? { $jsonNull: true } : JSON.parse(text);
  return text;
}

/** Rows of a table file of either encoding (v2 `copy` files decoded by their `columnTypes`). */
export function decodeTableFile(
  body: Uint8Array,
  entry: Pick<TableEntry, 'columns' | 'encoding' | 'columnTypes'>,
): Row[] {
  if (entry.encoding !== 'copy') return decodeTable(body, entry.columns);
  const lines = gunzipSync(body).toString('utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const types = entry.columnTypes ?? {};
  return lines.map((line, index) => {
    const fields = line.split('\t');
    if (fields.length !== entry.columns.length)
      throw new Error(
        `Line ${index + 1} of a COPY table file has ${fields.length} fields, not ${entry.columns.length}`,
      );
    return Object.fromEntries(
      entry.columns.map((c, i) => [c, copyValue(copyField(fields[i] as string), types[c] ?? 'text')]),
    );
  });
}

/** Rows back from a table file; every column the manifest lists must be in every row. */
export function decodeTable(body: Uint8Array, columns: readonly string[]): Row[] {
  const lines = gunzipSync(body).toString('utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((line, index) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new Error(`Line ${index + 1} of a table file is not JSON`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new Error(`Line ${index + 1} of a table file is not a JSON object`);
    const missing = columns.filter((c) => !Object.hasOwn(parsed, c));
    if (missing.length) throw new Error(`Line ${index + 1} of a table file lacks ${missing.join(', ')}`);
    return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, decodeValue(v)]));
  });
}

// ---------------------------------------------------------------------------------------------
// manifest.json

const SHA256_HEX = /^[0-9a-f]{64}$/;
const TABLE_COLUMN = /^[^.]+\.[^.]+$/;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isNames = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** The problem with a file entry (`{file, bytes, sha256}`), if any. */
function fileProblem(entry: Record<string, unknown>): string | undefined {
  const file = entry.file;
  if (typeof file !== 'string' || file === '' || file.startsWith('/') || file.split('/').includes('..'))
    return 'file must name a file inside the backup';
  if (!isCount(entry.bytes)) return 'bytes must be a non-negative integer';
  if (typeof entry.sha256 !== 'string' || !SHA256_HEX.test(entry.sha256))
    return 'sha256 must be 64 lowercase hexadecimal digits';
  return undefined;
}

function tableProblem(entry: Record<string, unknown>): string | undefined {
  const problem = fileProblem(entry);
  if (problem) return problem;
  if (!isNames(entry.columns) || entry.columns.length === 0) return 'columns must list column names';
  if (!isNames(entry.primaryKey)) return 'primaryKey must list column names';
  if (entry.generatedKey !== undefined && typeof entry.generatedKey !== 'string')
    return 'generatedKey must be a column name';
  if (entry.references !== undefined) {
    const refs = entry.references;
    if (!isRecord(refs) || !Object.values(refs).every((r) => typeof r === 'string' && TABLE_COLUMN.test(r)))
      return 'references must map columns to "table.column"';
  }
  if (entry.reuseOn !== undefined && (!isNames(entry.reuseOn) || entry.generatedKey === undefined))
    return 'reuseOn must list columns, and only beside a generatedKey';
  return undefined;
}

/** v2's `encoding` / `columnTypes` (v1 defines neither). */
function encodingProblem(version: unknown, entry: Record<string, unknown>): string | undefined {
  if (entry.encoding !== undefined) {
    if (version === 1) return 'encoding is not part of format version 1';
    if (entry.encoding !== 'jsonl' && entry.encoding !== 'copy') return 'encoding is neither jsonl nor copy';
  }
  const types = entry.columnTypes;
  if (types !== undefined && (!isRecord(types) || !Object.values(types).every((t) => typeof t === 'string')))
    return 'columnTypes must map columns to type names';
  if (entry.encoding === 'copy' && types === undefined) return 'a copy file needs columnTypes';
  return undefined;
}

/** manifest.json text → a manifest safe to walk, or BackupRefused. */
export function readManifest(text: string): Manifest {
  const unreadable = (why: string): never => {
    throw new BackupRefused('unreadable-manifest', `manifest.json cannot be used: ${why}`);
  };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return unreadable('it is not JSON');
  }
  if (!isRecord(value)) return unreadable('it is not a JSON object');
  if (!READABLE_VERSIONS.includes(value.formatVersion as number))
    throw new BackupRefused(
      'unknown-format',
      `manifest.json is format version ${JSON.stringify(value.formatVersion)}; the local import DAG reads versions ${READABLE_VERSIONS.join(', ')}`,
    );
  for (const field of ['backupId', 'environment', 'airflowVersion', 'createdAt']) {
    if (typeof value[field] !== 'string' || value[field] === '') unreadable(`${field} is not a string`);
  }
  if (value.kind !== 'database' && value.kind !== 'rest') unreadable('kind is neither database nor rest');
  if (!isRecord(value.createdBy) || typeof value.createdBy.writer !== 'string')
    unreadable('createdBy.writer is not a string');
  if (!isNames(value.activeDags)) unreadable('activeDags is not a list of DAG ids');
  if (value.pausedDags !== undefined && !isNames(value.pausedDags))
    unreadable('pausedDags is not a list of DAG ids');
  if (value.snapshot !== undefined) {
    const problem = isRecord(value.snapshot) ? fileProblem(value.snapshot) : 'it is not an object';
    if (problem) unreadable(`snapshot: ${problem}`);
  }
  if (!isRecord(value.tables)) return unreadable('tables is not an object');
  for (const [name, entry] of Object.entries(value.tables)) {
    if (!isRecord(entry)) return unreadable(`tables.${name} is not an object`);
    if (entry.rows !== undefined && !isCount(entry.rows))
      throw new BackupRefused('bad-row-count', `manifest.json: tables.${name}.rows is not a row count`);
    const problem =
      entry.rows === undefined
        ? 'rows is missing'
        : (tableProblem(entry) ?? encodingProblem(value.formatVersion, entry));
    if (problem) unreadable(`tables.${name}: ${problem}`);
  }
  if (value.excluded !== undefined && !isRecord(value.excluded)) unreadable('excluded is not an object');
  return value as unknown as Manifest;
}

/** How a table is described before its file is written. */
export interface TableSpec {
  columns: string[];
  primaryKey: string[];
  generatedKey?: string;
  references?: Record<string, string>;
}

/** Encode and store one table file; returns its manifest entry. */
export async function writeTable(
  objects: BackupObjects,
  table: string,
  spec: TableSpec,
  rows: readonly Row[],
): Promise<TableEntry> {
  const file = encodeTable(spec.columns, rows);
  const entry: TableEntry = {
    file: `tables/${table}.jsonl.gz`,
    columns: [...spec.columns],
    primaryKey: [...spec.primaryKey],
    ...(spec.generatedKey ? { generatedKey: spec.generatedKey } : {}),
    ...(spec.references && Object.keys(spec.references).length ? { references: { ...spec.references } } : {}),
    rows: file.rows,
    bytes: file.bytes,
    sha256: file.sha256,
  };
  await objects.put(entry.file, file.body, 'application/gzip');
  return entry;
}

/** A format-1 manifest from what the writer knows; `createdAt` as an ISO-8601 UTC instant. */
export function newManifest(
  fields: Omit<Manifest, 'formatVersion' | 'createdAt'> & { createdAt: Date },
): Manifest {
  const { createdAt, ...rest } = fields;
  return { formatVersion: FORMAT_VERSION, ...rest, createdAt: createdAt.toISOString() };
}

/** Write the manifest: last, because its presence is what commits the backup. */
export const commitBackup = (objects: BackupObjects, manifest: Manifest) =>
  writeJson(objects, MANIFEST, manifest);

/** Row counts per table: what answers and outputs carry instead of values. */
export const rowCounts = (manifest: Pick<Manifest, 'tables'>): Record<string, number> =>
  Object.fromEntries(Object.entries(manifest.tables).map(([name, entry]) => [name, entry.rows]));

// ---------------------------------------------------------------------------------------------
// Verification and import

async function checkedFile(objects: BackupObjects, label: string, entry: StoredFile): Promise<Uint8Array> {
  const body = await objects.get(entry.file);
  const where = `${label} (${objects.prefix}${entry.file})`;
  if (body === undefined) throw new BackupRefused('missing-file', `${where} is missing`);
  const actual = fingerprint(body);
  if (actual.bytes !== entry.bytes)
    throw new BackupRefused(
      'wrong-size',
      `${where} is ${actual.bytes} bytes; the manifest says ${entry.bytes}`,
    );
  if (actual.sha256 !== entry.sha256)
    throw new BackupRefused('wrong-checksum', `${where} does not have the SHA-256 the manifest records`);
  return body;
}

/**
 * The document's "Verification", in its order: the manifest exists, parses, is format 1 and names
 * the expected environment and backup; every file it lists has its size and SHA-256; a database
 * backup holds the mandatory tables. Returns the manifest and the verified bytes of each table.
 * With `manifestSha256` (the digest the workflow recorded when it verified the backup), the
 * manifest bytes read here must have it, before anything else: the same bytes are then parsed.
 */
export async function verifyBackup(
  objects: BackupObjects,
  expected: { environment: string; backupId: string; manifestSha256?: string | undefined },
): Promise<{ manifest: Manifest; tables: Map<string, Uint8Array> }> {
  const raw = await objects.get(MANIFEST);
  if (raw === undefined)
    throw new BackupRefused(
      'not-committed',
      `${objects.prefix}${MANIFEST} does not exist: the backup is incomplete`,
    );
  if (expected.manifestSha256 !== undefined && fingerprint(raw).sha256 !== expected.manifestSha256)
    throw new BackupRefused(
      'not-the-verified-manifest',
      `${objects.prefix}${MANIFEST} is not the manifest the workflow verified (conf.backup.manifestSha256): it was rewritten after VerifyBackup; nothing was restored`,
    );
  const manifest = readManifest(Buffer.from(raw).toString('utf8'));
  if (manifest.environment !== expected.environment)
    throw new BackupRefused(
      'other-environment',
      `The backup is of environment ${manifest.environment}, not ${expected.environment}`,
    );
  if (manifest.backupId !== expected.backupId)
    throw new BackupRefused(
      'other-backup',
      `The manifest is of backup ${manifest.backupId}, not ${expected.backupId}`,
    );
  const tables = new Map<string, Uint8Array>();
  for (const [name, entry] of Object.entries(manifest.tables))
    tables.set(name, await checkedFile(objects, `table ${name}`, entry));
  if (manifest.snapshot) await checkedFile(objects, 'the snapshot', manifest.snapshot);
  if (manifest.kind === 'database') {
    const missing = MANDATORY_TABLES.filter((t) => !(t in manifest.tables));
    if (missing.length) throw new BackupRefused('missing-table', `The backup lacks ${missing.join(', ')}`);
  }
  return { manifest, tables };
}

/** The table a `table.column` reference points at. */
const referencedTable = (reference: string) => reference.slice(0, reference.indexOf('.'));

/**
 * Tables in an order where every table comes after the tables it references (manifest order
 * otherwise). References to tables the backup does not hold are left to rewriteReferences.
 */
export function importOrder(tables: Record<string, Pick<TableEntry, 'references'>>): string[] {
  const pending = Object.keys(tables);
  const order: string[] = [];
  while (pending.length) {
    const ready = pending.find((name) =>
      Object.values(tables[name]?.references ?? {})
        .map(referencedTable)
        .every((target) => target === name || !pending.includes(target)),
    );
    if (ready === undefined) throw new Error(`Tables reference each other in a cycle: ${pending.join(', ')}`);
    order.push(ready);
    pending.splice(pending.indexOf(ready), 1);
  }
  return order;
}

/** Per referenced table: the generated key in the backup → the key the target gave the row. */
export type KeyMaps = Map<string, Map<unknown, unknown>>;

/**
 * A row with each reference to a generated key replaced by the target's new key. A reference the
 * backup cannot resolve is an error: kept as it is, it would point at an unrelated row.
 */
export function rewriteReferences(
  table: string,
  entry: Pick<TableEntry, 'references'>,
  row: Row,
  keys: KeyMaps,
): Row {
  const out = { ...row };
  for (const [column, reference] of Object.entries(entry.references ?? {})) {
    const old = out[column];
    if (old === null || old === undefined) continue;
    const mapped = keys.get(referencedTable(reference))?.get(old);
    if (mapped === undefined)
      throw new Error(
        `${table}.${column} points at ${reference} ${String(old)}, which the backup does not hold`,
      );
    out[column] = mapped;
  }
  return out;
}
