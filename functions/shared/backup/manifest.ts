/**
 * manifest.json: the commit marker of a backup (docs/backup-format.md "manifest.json").
 * `parseManifest` is the validator every reader goes through: a manifest it accepts is safe to
 * walk (types checked), and one from an unknown format version is refused.
 */
import { BackupVerificationError } from './errors.ts';
import type { TableFile } from './table-file.ts';

/** The version `buildManifest` writes (the TypeScript writer writes JSON Lines only, valid in v1). */
export const FORMAT_VERSION = 1;
/** Versions `parseManifest` accepts: v1 (JSON Lines) and v2 (adds COPY text table files). */
export const READABLE_FORMAT_VERSIONS = [1, 2] as const;
/** How a table file encodes its rows (v2's `tables.<t>.encoding`; v1 files are all `jsonl`). */
export type TableEncoding = 'jsonl' | 'copy';
/** Tables every `kind: database` backup must hold. */
export const MANDATORY_TABLES = ['variable', 'connection', 'slot_pool'] as const;

export type BackupKind = 'database' | 'rest';

export interface FileEntry {
  file: string;
  bytes: number;
  sha256: string;
}

export interface TableEntry extends FileEntry {
  columns: string[];
  primaryKey: string[];
  generatedKey?: string;
  references?: Record<string, string>;
  /** With generatedKey: columns on which an equal target row is reused (read by the 2.x import DAG). */
  reuseOn?: string[];
  /** v2: `copy` (gzip PostgreSQL COPY text) or `jsonl`; absent means `jsonl`. */
  encoding?: TableEncoding;
  /** v2, `copy` files: column → PostgreSQL type name (`format_type`), how values are decoded. */
  columnTypes?: Record<string, string>;
  rows: number;
}

export interface Manifest {
  formatVersion: 1 | 2;
  backupId: string;
  environment: string;
  airflowVersion: string;
  kind: BackupKind;
  createdAt: string;
  createdBy: { writer: string; executionArn?: string };
  activeDags: string[];
  /**
   * DAGs that were paused before the export (absent from backups written before it existed):
   * a restore pauses them, so pause states travel both ways whatever the target's default.
   */
  pausedDags?: string[];
  snapshot?: FileEntry;
  tables: Record<string, TableEntry>;
  excluded?: Record<string, string>;
}

/** How a table is described before its file is written. */
export interface TableSpec {
  columns: string[];
  primaryKey: string[];
  generatedKey?: string;
  references?: Record<string, string>;
}

/** `tables/<table>.jsonl.gz` */
export const tableFileName = (table: string) => `tables/${table}.jsonl.gz`;

/** The manifest entry of a written table file. */
export function tableEntry(table: string, spec: TableSpec, file: TableFile): TableEntry {
  return {
    file: tableFileName(table),
    columns: [...spec.columns],
    primaryKey: [...spec.primaryKey],
    ...(spec.generatedKey === undefined ? {} : { generatedKey: spec.generatedKey }),
    ...(spec.references === undefined || Object.keys(spec.references).length === 0
      ? {}
      : { references: { ...spec.references } }),
    rows: file.rows,
    bytes: file.bytes,
    sha256: file.sha256,
  };
}

export function buildManifest(
  input: Omit<Manifest, 'formatVersion' | 'createdAt'> & { createdAt?: Date },
): Manifest {
  const { createdAt, ...rest } = input;
  return {
    formatVersion: FORMAT_VERSION,
    ...rest,
    createdAt: (createdAt ?? new Date()).toISOString(),
  };
}

/** Row counts per table: what token answers and workflow outputs carry (never values). */
export function rowCounts(manifest: Pick<Manifest, 'tables'>): Record<string, number> {
  return Object.fromEntries(Object.entries(manifest.tables).map(([name, entry]) => [name, entry.rows]));
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);
const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');
const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0;
const SHA256 = /^[0-9a-f]{64}$/;

function invalid(message: string): never {
  throw new BackupVerificationError('manifest-invalid', `manifest.json is invalid: ${message}`);
}

function checkFileEntry(where: string, value: Record<string, unknown>): void {
  if (
    typeof value.file !== 'string' ||
    value.file === '' ||
    value.file.startsWith('/') ||
    value.file.includes('..')
  )
    invalid(`${where}.file must be a relative file name`);
  if (!isCount(value.bytes)) invalid(`${where}.bytes must be a non-negative integer`);
  if (typeof value.sha256 !== 'string' || !SHA256.test(value.sha256))
    invalid(`${where}.sha256 must be 64 lowercase hex digits`);
}

/**
 * Parse and validate manifest text. Throws BackupVerificationError with reason
 * `manifest-invalid`, `format-version` or `invalid-row-count`.
 */
export function parseManifest(text: string): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    invalid('not JSON');
  }
  if (!isObject(value)) invalid('not a JSON object');
  const version = value.formatVersion;
  if (!(READABLE_FORMAT_VERSIONS as readonly unknown[]).includes(version)) {
    throw new BackupVerificationError(
      'format-version',
      `manifest.json has formatVersion ${JSON.stringify(version)}; this reader knows ${READABLE_FORMAT_VERSIONS.join(', ')}`,
    );
  }
  for (const field of ['backupId', 'environment', 'airflowVersion', 'createdAt'] as const) {
    if (typeof value[field] !== 'string' || value[field] === '')
      invalid(`${field} must be a non-empty string`);
  }
  if (value.kind !== 'database' && value.kind !== 'rest') invalid('kind must be "database" or "rest"');
  if (!isObject(value.createdBy) || typeof value.createdBy.writer !== 'string')
    invalid('createdBy.writer must be a string');
  if (!isStringArray(value.activeDags)) invalid('activeDags must be a list of DAG ids');
  if (value.pausedDags !== undefined && !isStringArray(value.pausedDags))
    invalid('pausedDags must be a list of DAG ids');
  if (value.snapshot !== undefined) {
    if (!isObject(value.snapshot)) invalid('snapshot must be an object');
    checkFileEntry('snapshot', value.snapshot);
  }
  if (!isObject(value.tables)) invalid('tables must be an object');
  for (const [name, entry] of Object.entries(value.tables)) {
    if (!isObject(entry)) invalid(`tables.${name} must be an object`);
    checkFileEntry(`tables.${name}`, entry);
    if (!isStringArray(entry.columns) || entry.columns.length === 0)
      invalid(`tables.${name}.columns must list column names`);
    if (!isStringArray(entry.primaryKey)) invalid(`tables.${name}.primaryKey must list column names`);
    if (entry.generatedKey !== undefined && typeof entry.generatedKey !== 'string')
      invalid(`tables.${name}.generatedKey must be a column name`);
    if (
      entry.references !== undefined &&
      (!isObject(entry.references) ||
        !Object.values(entry.references).every(
          (ref) => typeof ref === 'string' && /^[^.]+\.[^.]+$/.test(ref),
        ))
    )
      invalid(`tables.${name}.references must map columns to "table.column"`);
    if (
      entry.reuseOn !== undefined &&
      (!isStringArray(entry.reuseOn) || typeof entry.generatedKey !== 'string')
    )
      invalid(`tables.${name}.reuseOn must list column names, beside a generatedKey`);
    if (entry.encoding !== undefined) {
      if (version === 1) invalid(`tables.${name}.encoding is not part of format v1`);
      if (entry.encoding !== 'jsonl' && entry.encoding !== 'copy')
        invalid(`tables.${name}.encoding must be "jsonl" or "copy"`);
    }
    if (
      entry.columnTypes !== undefined &&
      (!isObject(entry.columnTypes) ||
        !Object.values(entry.columnTypes).every((type) => typeof type === 'string'))
    )
      invalid(`tables.${name}.columnTypes must map columns to type names`);
    if (entry.encoding === 'copy' && entry.columnTypes === undefined)
      invalid(`tables.${name}.columnTypes is required for a copy file`);
    if (!isCount(entry.rows)) {
      throw new BackupVerificationError(
        'invalid-row-count',
        `manifest.json: tables.${name}.rows must be a non-negative integer`,
        { context: { table: name } },
      );
    }
  }
  if (value.excluded !== undefined && !isObject(value.excluded)) invalid('excluded must be an object');
  return value as unknown as Manifest;
}
