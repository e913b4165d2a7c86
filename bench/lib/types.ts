/** The contract between benchmark modules (`bench/<name>.bench.ts`) and the driver (bench/run.ts). */

/** A table of already formatted cells; the driver prints it as text and as Markdown. */
export interface ResultTable {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: ReadonlyArray<readonly string[]>;
}

/** What a benchmark's `run()` returns. */
export interface BenchResult {
  /** Sentences a reader needs to interpret the tables (method, caveats, "nothing to measure"). */
  readonly notes: readonly string[];
  readonly tables: readonly ResultTable[];
  /** Raw numbers for machines (unrounded, in the units their field names say). */
  readonly data: unknown;
}

/** A benchmark module exports `name` and `run`. */
export interface BenchModule {
  readonly name: string;
  run(): Promise<BenchResult>;
}
