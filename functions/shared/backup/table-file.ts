/**
 * Table files: gzip-compressed JSON Lines. The writer streams rows through gzip and hashes the
 * compressed bytes as they come out, so size and SHA-256 describe the file exactly as stored.
 */
import { createHash } from 'node:crypto';
import { createGzip, gunzipSync } from 'node:zlib';
import { decodeRow, encodeRow, type Row } from './encoding.ts';

/** A finished table file and what its manifest entry records about it. */
export interface TableFile {
  body: Buffer;
  rows: number;
  bytes: number;
  sha256: string;
}

/**
 * Streaming writer: `add()` rows (in primary-key order), then `finish()`. An empty table is the
 * gzip of zero bytes, never a missing file.
 */
export class TableFileWriter {
  readonly columns: readonly string[];
  #rows = 0;
  #bytes = 0;
  readonly #chunks: Buffer[] = [];
  readonly #hash = createHash('sha256');
  readonly #gzip = createGzip({ level: 6 });
  readonly #done: Promise<void>;

  constructor(columns: readonly string[]) {
    this.columns = columns;
    this.#gzip.on('data', (chunk: Buffer) => {
      this.#chunks.push(chunk);
      this.#hash.update(chunk);
      this.#bytes += chunk.length;
    });
    this.#done = new Promise((resolve, reject) => {
      this.#gzip.once('end', resolve);
      this.#gzip.once('error', reject);
    });
  }

  /** Append one row; resolves once gzip has taken it (back-pressure). */
  async add(row: Row): Promise<void> {
    this.#rows += 1;
    if (!this.#gzip.write(encodeRow(this.columns, row), 'utf8')) {
      await new Promise<void>((resolve) => this.#gzip.once('drain', () => resolve()));
    }
  }

  async finish(): Promise<TableFile> {
    this.#gzip.end();
    await this.#done;
    return {
      body: Buffer.concat(this.#chunks),
      rows: this.#rows,
      bytes: this.#bytes,
      sha256: this.#hash.digest('hex'),
    };
  }
}

/** Write every row of a table (sync or async iterable) into a table file. */
export async function writeTableFile(
  columns: readonly string[],
  rows: Iterable<Row> | AsyncIterable<Row>,
): Promise<TableFile> {
  const writer = new TableFileWriter(columns);
  for await (const row of rows) await writer.add(row);
  return writer.finish();
}

/** Read a table file back into rows (binary values as Buffers). */
export function readTableFile(body: Uint8Array, columns?: readonly string[]): Row[] {
  const text = gunzipSync(body).toString('utf8');
  if (text === '') return [];
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => decodeRow(line, columns));
}

/** Size and SHA-256 (hex) of stored bytes. */
export function digest(body: Uint8Array): { bytes: number; sha256: string } {
  return { bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') };
}
