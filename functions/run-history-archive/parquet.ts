/**
 * Parquet encoding of archive rows with hyparquet-writer (pure JavaScript, no native or WASM
 * part, ~0.9 MB with its hyparquet dependency). The library is loaded with `import()` the first
 * time a file is written, so it costs the function's cold start nothing (functions/shared/lazy.ts).
 *
 * The schema is spelled out, not inferred: inference from the data would make a column's type
 * and nullability depend on which rows a backup happens to hold.
 */
import type { SchemaElement } from 'hyparquet-writer';
import { once } from '../shared/lazy.ts';
import type { ArchiveTable, ColumnKind } from './schema.ts';
import type { ArchiveValue } from './values.ts';

const library = once(() => import('hyparquet-writer'));

const ELEMENTS: Record<ColumnKind, Omit<SchemaElement, 'name' | 'repetition_type'>> = {
  string: { type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } },
  int32: { type: 'INT32' },
  double: { type: 'DOUBLE' },
  boolean: { type: 'BOOLEAN' },
  // UTC instants in microseconds: Athena reads it as `timestamp`, pyarrow as timestamp[us, tz=UTC].
  timestamp: {
    type: 'INT64',
    converted_type: 'TIMESTAMP_MICROS',
    logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
  },
};

/** The Parquet schema of an archive table (root first, then one leaf per column). */
export function parquetSchema(table: ArchiveTable): SchemaElement[] {
  return [
    { name: 'schema', num_children: table.columns.length },
    ...table.columns.map(
      (column): SchemaElement => ({
        name: column.name,
        ...ELEMENTS[column.kind],
        repetition_type: column.nullable ? 'OPTIONAL' : 'REQUIRED',
      }),
    ),
  ];
}

/** One Parquet file (a single row group, Snappy) of rows already converted by archiveRow. */
export async function encodeParquet(
  table: ArchiveTable,
  rows: readonly ArchiveValue[][],
  metadata: Record<string, string> = {},
): Promise<Uint8Array> {
  const { parquetWriteBuffer } = await library();
  const columnData = table.columns.map((column, index) => ({
    name: column.name,
    data: rows.map((row) => row[index] ?? null),
  }));
  const buffer = parquetWriteBuffer({
    columnData,
    schema: parquetSchema(table),
    codec: 'SNAPPY',
    rowGroupSize: Math.max(rows.length, 1),
    kvMetadata: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    createdBy: 'mwaa-ops run-history archive',
  });
  return new Uint8Array(buffer);
}
