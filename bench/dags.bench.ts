/**
 * Benchmark `dags`: export/import throughput of the Airflow 2.x DAGs' package (dags/mwaa_ops)
 * on a PostgreSQL 15 database with 200,000 task instances and matching runs, logs and XComs,
 * in backup format v2 and, as the baseline, v1, next to raw `COPY … TO/FROM` of the same tables on the same server. The measuring is done by
 * `bench/dags_throughput.py` (in the airflow-2.11.0 venv, see scripts/python-env.ts, on the
 * postgresql package, like `npm run test:python`); this module runs it and renders its result.
 * BENCH_DAGS_TASK_INSTANCES scales the database.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { root } from '../scripts/esbuild-options.ts';
import { missingPrerequisites } from '../scripts/prerequisites.ts';
import { ensureVenvs, venvBin } from '../scripts/python-env.ts';
import { formatBytes } from './lib/format.ts';
import type { BenchResult } from './lib/types.ts';

export const name = 'dags';

interface Phase {
  readonly seconds: number;
  readonly rowsPerSecond: number;
  readonly bytes?: number;
  readonly backupBytes?: number;
}

/** The JSON `dags_throughput.py --json` prints (also written to bench/results/dags-throughput.json). */
export interface DagsThroughput {
  readonly rows: Record<string, number>;
  readonly totalRows: number;
  /** The format `export` / `import` wrote and read (2); `v1` is the baseline on the same data. */
  readonly formatVersion: number;
  readonly export: Phase;
  readonly import: Phase;
  readonly v1: {
    readonly export: Phase;
    readonly import: Phase;
    readonly ratio: { readonly exportVsCopyTo: number; readonly importVsCopyFrom: number };
  };
  readonly copyTo: Phase;
  readonly copyFrom: Phase;
  readonly ratio: { readonly exportVsCopyTo: number; readonly importVsCopyFrom: number };
  readonly notes: readonly string[];
}

const run = promisify(execFile);

const seconds = (value: number) => `${value.toFixed(2)} s`;
const rate = (value: number) => `${Math.round(value).toLocaleString('en-US')} rows/s`;

export async function runBench(): Promise<BenchResult> {
  // The pinned Airflow 2.11.0 venv (SQLAlchemy 1.4, psycopg2, boto3 as on MWAA) and the test
  // harness's PostgreSQL; a missing prerequisite is reported as the bench's note, in one line.
  const missing = missingPrerequisites(['python']);
  if (missing.length) return { notes: missing.map((line) => `not run: ${line}`), tables: [], data: null };
  await ensureVenvs(['airflow-2.11.0']);
  const python = venvBin('airflow-2.11.0', 'python');
  const { stdout } = await run(python, [join(root, 'bench', 'dags_throughput.py'), '--json'], {
    cwd: root,
    timeout: 30 * 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as DagsThroughput;
  const row = (label: string, phase: Phase, reference: string, size: number | undefined) => [
    label,
    seconds(phase.seconds),
    rate(phase.rowsPerSecond),
    reference,
    size === undefined ? '' : formatBytes(size),
  ];
  return {
    notes: [
      `${result.totalRows.toLocaleString('en-US')} rows (${Object.entries(result.rows)
        .map(([table, count]) => `${table} ${count.toLocaleString('en-US')}`)
        .join(', ')}).`,
      ...result.notes,
    ],
    tables: [
      {
        title: 'Airflow 2.x metadata export/import vs raw COPY',
        columns: ['operation', 'time', 'throughput', 'vs COPY', 'file size'],
        rows: [
          row(
            'export, format v2 (dags/mwaa_ops)',
            result.export,
            `${result.ratio.exportVsCopyTo.toFixed(1)}×`,
            result.export.backupBytes,
          ),
          row(
            'export, format v1 (baseline)',
            result.v1.export,
            `${result.v1.ratio.exportVsCopyTo.toFixed(1)}×`,
            result.v1.export.backupBytes,
          ),
          row('COPY … TO STDOUT', result.copyTo, '1.0×', result.copyTo.bytes),
          row(
            'import, format v2 (dags/mwaa_ops)',
            result.import,
            `${result.ratio.importVsCopyFrom.toFixed(1)}×`,
            undefined,
          ),
          row(
            'import, format v1 (baseline)',
            result.v1.import,
            `${result.v1.ratio.importVsCopyFrom.toFixed(1)}×`,
            undefined,
          ),
          row('COPY … FROM STDIN', result.copyFrom, '1.0×', undefined),
        ],
      },
    ],
    data: result,
  };
}

export { runBench as run };
