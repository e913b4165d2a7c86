/**
 * Backup values (docs/backup-format.md "Table files") → archive values. Pure: the Parquet
 * writer gets plain JS values of the column's kind, timestamps as microseconds since the epoch
 * (bigint), so the microseconds Airflow stores survive (a Date would keep milliseconds only).
 */
import type { Row } from '../shared/backup/index.ts';
import { ArchiveRowError } from './errors.ts';
import type { ArchiveColumn, ArchiveTable } from './schema.ts';

export type ArchiveValue = string | number | boolean | bigint | null;

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * An ISO-8601 timestamp as microseconds since the epoch (UTC). Text without an offset is UTC:
 * that is how Airflow stores `timestamp without time zone` columns. Undefined when not a timestamp.
 */
export function timestampMicros(text: string): bigint | undefined {
  const m = ISO.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, fraction = '', zone = 'Z'] = m;
  const millis = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(millis)) return undefined;
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    offsetMinutes =
      (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0')) * (zone[0] === '-' ? -1 : 1);
  }
  // Nanoseconds beyond the sixth digit are dropped: Airflow's columns hold microseconds.
  const micros = BigInt(fraction.padEnd(6, '0').slice(0, 6));
  return (BigInt(millis) - BigInt(offsetMinutes) * 60_000n) * 1000n + micros;
}

/** `YYYY-MM-DD` (UTC) of a microsecond timestamp: the `run_date` partition value. */
export function utcDate(micros: bigint): string {
  return new Date(Number(micros / 1000n)).toISOString().slice(0, 10);
}

/** Runs with no date at all (no logical date, run_after, queue or start time) land here. */
export const UNDATED_RUN_DATE = '1970-01-01';

function fail(table: string, column: string, position: number, problem: string): never {
  throw new ArchiveRowError(`${table} row ${position}: column ${column} ${problem}`, {
    context: { table, column, position },
  });
}

function convert(table: string, column: ArchiveColumn, value: unknown, position: number): ArchiveValue {
  if (value === null || value === undefined) {
    if (!column.nullable) fail(table, column.name, position, 'is empty but required');
    return null;
  }
  switch (column.kind) {
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      return fail(table, column.name, position, 'is not text');
    case 'int32':
      if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) <= 2 ** 31 - 1)
        return value;
      return fail(table, column.name, position, 'is not a 32-bit integer');
    case 'double':
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      return fail(table, column.name, position, 'is not a number');
    case 'boolean':
      if (typeof value === 'boolean') return value;
      // SQLite-backed metadata (and some drivers) store booleans as 0/1.
      if (value === 0 || value === 1) return value === 1;
      return fail(table, column.name, position, 'is not a boolean');
    case 'timestamp': {
      const micros = typeof value === 'string' ? timestampMicros(value) : undefined;
      if (micros === undefined) fail(table, column.name, position, 'is not an ISO-8601 timestamp');
      return micros;
    }
  }
}

/** One backup row as archive values, in the table's column order. `position` is 1-based. */
export function archiveRow(table: ArchiveTable, row: Row, position: number): ArchiveValue[] {
  return table.columns.map((column) =>
    convert(table.name, column, column.from ? column.from(row) : row[column.name], position),
  );
}

/** The date a DAG run is filed under: its logical date, else when it was due, queued or started. */
export function runDateOf(row: Row): string {
  for (const field of ['logical_date', 'execution_date', 'run_after', 'queued_at', 'start_date']) {
    const value = row[field];
    if (typeof value === 'string') {
      const micros = timestampMicros(value);
      if (micros !== undefined) return utcDate(micros);
    }
  }
  return UNDATED_RUN_DATE;
}
