/**
 * `readTableRows`: one way to read a backup table's rows whatever the format version, for
 * consumers outside the import (archives, checks). Rows are column → value records with the
 * JSON Lines reader's values (see copy-text.ts), streamed line by line from the gunzipped file.
 */

import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { decodeCopyRow } from './copy-text.ts';
import { decodeRow, type Row } from './encoding.ts';
import { BackupFormatError } from './errors.ts';
import type { TableEntry } from './manifest.ts';
import type { BackupStore } from './store.ts';

/**
 * Iterate the rows of one table of a backup (format v1 or v2).
 *
 * @example
 * for await (const row of readTableRows(store, manifest.tables.dag_run)) console.log(row.run_id);
 *
 * `source` is the backup's store (the file is fetched by `entry.file`) or the file's bytes
 * (already verified, e.g. from `verifyBackup(...).files`). The caller verifies the backup first;
 * this reader only decodes.
 */
export async function* readTableRows(
  source: BackupStore | Uint8Array,
  entry: Pick<TableEntry, 'file' | 'columns' | 'encoding' | 'columnTypes'>,
): AsyncGenerator<Row> {
  const body = source instanceof Uint8Array ? source : await source.get(entry.file);
  if (body === undefined) throw new BackupFormatError(`${entry.file} does not exist`);
  const lines = createInterface({
    input: Readable.from([Buffer.from(body)]).pipe(createGunzip()),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  const copy = entry.encoding === 'copy';
  const types = entry.columnTypes ?? {};
  for await (const line of lines) {
    if (line === '') {
      // An empty line is a row in a COPY file of one column only; JSON Lines files skip it.
      if (copy && entry.columns.length === 1) yield decodeCopyRow(line, entry.columns, types);
      continue;
    }
    yield copy ? decodeCopyRow(line, entry.columns, types) : decodeRow(line, entry.columns);
  }
}
