/**
 * Row encoding of backup table files (docs/backup-format.md "Table files"): one JSON object per
 * line, keyed by column name, every manifest column present, NULL as `null`, timestamps as
 * ISO-8601 with offset, binary as `{"$binary": "<base64>"}`.
 */
import { BackupFormatError } from './errors.ts';

export type Row = Record<string, unknown>;

export const BINARY_TAG = '$binary';

/** `2026-11-26T10:15:30.123Z` → `2026-11-26T10:15:30.123000+00:00` (microseconds only when non-zero). */
export function isoTimestamp(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new BackupFormatError('Invalid date value');
  const text = date.toISOString();
  const millis = text.slice(20, 23);
  const base = text.slice(0, 19);
  return millis === '000' ? `${base}+00:00` : `${base}.${millis}000+00:00`;
}

/** One column value as its JSON Lines representation. */
export function encodeValue(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return isoTimestamp(value);
  if (value instanceof Uint8Array) return { [BINARY_TAG]: Buffer.from(value).toString('base64') };
  if (typeof value === 'bigint') {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER))
      throw new BackupFormatError('Integer value outside the safe JSON range');
    return Number(value);
  }
  if (typeof value === 'number' && !Number.isFinite(value))
    throw new BackupFormatError('NaN and Infinity are not JSON numbers');
  return value;
}

/** A value read back from a file: `{"$binary": …}` becomes a Buffer, anything else stays as it is. */
export function decodeValue(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    const tagged = (value as Record<string, unknown>)[BINARY_TAG];
    if (keys.length === 1 && typeof tagged === 'string') return Buffer.from(tagged, 'base64');
  }
  return value;
}

/** One row as one line (with its trailing newline); only the given columns, in their order. */
export function encodeRow(columns: readonly string[], row: Row): string {
  const out: Row = {};
  for (const column of columns) out[column] = encodeValue(row[column]);
  // JSON.stringify escapes newlines inside strings, so a row is always exactly one line.
  return `${JSON.stringify(out)}\n`;
}

/** Parse one line back into a row with decoded values; every listed column must be present. */
export function decodeRow(line: string, columns?: readonly string[]): Row {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (cause) {
    throw new BackupFormatError('A table file line is not JSON', { cause });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new BackupFormatError('A table file line is not a JSON object');
  const row: Row = {};
  for (const [key, value] of Object.entries(parsed)) row[key] = decodeValue(value);
  for (const column of columns ?? []) {
    if (!(column in row)) throw new BackupFormatError(`A row lacks the column ${column}`);
  }
  return row;
}
