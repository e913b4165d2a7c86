/**
 * Rows grouped by run date with a bounded buffer. A backup's rows come in primary-key order, not
 * date order (backfills, reruns), so a partition cannot be closed when the next date starts.
 * Instead at most `maxBufferedRows` rows are held across all partitions; when the limit is
 * passed, the partition holding the most rows is written out as its next part file. Memory is
 * therefore bounded by the limit (plus one encoded file), not by the table.
 *
 * Which partition spills, and when, depends only on the order of the rows and the limit, so the
 * same backup always yields the same part files (ties go to the earliest date).
 */
import type { ArchiveValue } from './values.ts';

export type WritePart = (runDate: string, part: number, rows: ArchiveValue[][]) => Promise<void>;

export class PartitionBuffer {
  readonly #maxBufferedRows: number;
  readonly #write: WritePart;
  readonly #buffers = new Map<string, ArchiveValue[][]>();
  readonly #parts = new Map<string, number>();
  #buffered = 0;
  #rows = 0;

  constructor(maxBufferedRows: number, write: WritePart) {
    if (!Number.isInteger(maxBufferedRows) || maxBufferedRows < 1)
      throw new RangeError('maxBufferedRows must be a positive integer');
    this.#maxBufferedRows = maxBufferedRows;
    this.#write = write;
  }

  async add(runDate: string, row: ArchiveValue[]): Promise<void> {
    let buffer = this.#buffers.get(runDate);
    if (!buffer) {
      buffer = [];
      this.#buffers.set(runDate, buffer);
    }
    buffer.push(row);
    this.#buffered += 1;
    this.#rows += 1;
    if (this.#buffered > this.#maxBufferedRows) await this.#flush(this.#largest());
  }

  /** Write every partition still buffered; returns the rows seen and the files per date. */
  async finish(): Promise<{ rows: number; parts: Map<string, number> }> {
    for (const runDate of [...this.#buffers.keys()].sort()) await this.#flush(runDate);
    return { rows: this.#rows, parts: new Map(this.#parts) };
  }

  #largest(): string {
    let best = '';
    let size = -1;
    for (const [runDate, rows] of this.#buffers) {
      if (rows.length > size || (rows.length === size && runDate < best)) {
        best = runDate;
        size = rows.length;
      }
    }
    return best;
  }

  async #flush(runDate: string): Promise<void> {
    const rows = this.#buffers.get(runDate);
    if (!rows || rows.length === 0) return;
    this.#buffers.delete(runDate);
    this.#buffered -= rows.length;
    const part = this.#parts.get(runDate) ?? 0;
    this.#parts.set(runDate, part + 1);
    await this.#write(runDate, part, rows);
  }
}
