/**
 * The archive of one verified backup: its `dag_run` and `task_instance` rows as Parquet,
 * partitioned by environment and run date (docs/run-history-archive.md). Pure of AWS: the backup
 * is read through a BackupStore and the files go to an ArchiveSink, so unit tests use memory.
 */
import type { BackupStore, Row } from '../shared/backup/index.ts';
import { partFileKey, summaryKey } from './layout.ts';
import { encodeParquet } from './parquet.ts';
import { PartitionBuffer } from './partitions.ts';
import { ARCHIVE_TABLES, type ArchiveTable } from './schema.ts';
import { backupRows, readManifest } from './source.ts';
import { archiveRow, runDateOf, UNDATED_RUN_DATE } from './values.ts';

export interface ArchiveSink {
  put(key: string, body: Uint8Array, contentType: string): Promise<void>;
}

export interface ArchiveOptions {
  /** The backup, already scoped to `backups/<environment>/<backupId>/`. */
  store: BackupStore;
  sink: ArchiveSink;
  environment: string;
  backupId: string;
  /** Rows held in memory across partitions before the largest is written (partitions.ts). */
  maxBufferedRows: number;
}

export interface TableResult {
  rows: number;
  files: number;
  /** Distinct run dates written (the dates themselves are in the summary object). */
  partitions: number;
}

export interface ArchiveResult {
  environment: string;
  backupId: string;
  airflowVersion: string;
  kind: string;
  tables: Record<string, TableResult>;
  /** Tables the backup does not hold (task_instance on Airflow 3.x): archived as zero rows. */
  absent: string[];
  summaryKey: string;
}

const runKey = (row: Row) => `${String(row.dag_id)}\u0000${String(row.run_id)}`;

export async function archiveBackup(options: ArchiveOptions): Promise<ArchiveResult> {
  const { store, sink, environment, backupId } = options;
  const manifest = await readManifest(store, environment, backupId);
  const provenance = { backup_id: backupId, airflow_version: manifest.airflowVersion };
  // Task instances are filed under their run's date, so Athena can join the two tables within a
  // partition. One short entry per run (not per task instance) is kept for that.
  const runDates = new Map<string, string>();
  const tables: Record<string, TableResult> = {};
  const absent: string[] = [];
  const files: string[] = [];
  const runDatesWritten: Record<string, string[]> = {};

  const dateOf = (table: ArchiveTable, row: Row): string => {
    if (table.name === 'dag_run') {
      const date = runDateOf(row);
      runDates.set(runKey(row), date);
      return date;
    }
    // A task instance whose run is not in the backup: its own queue/start time, else undated.
    return runDates.get(runKey(row)) ?? runDateOf({ queued_at: row.queued_dttm, start_date: row.start_date });
  };

  for (const table of ARCHIVE_TABLES) {
    if (!manifest.tables[table.name]) absent.push(table.name);
    const written = new Set<string>();
    const buffer = new PartitionBuffer(options.maxBufferedRows, async (runDate, part, rows) => {
      const key = partFileKey(table.name, environment, runDate, backupId, part);
      const body = await encodeParquet(table, rows, {
        'mwaa_ops.environment': environment,
        'mwaa_ops.backup_id': backupId,
        'mwaa_ops.table': table.name,
      });
      await sink.put(key, body, 'application/vnd.apache.parquet');
      files.push(key);
      written.add(runDate);
    });
    let position = 0;
    for await (const row of backupRows(store, manifest, table.name)) {
      position += 1;
      await buffer.add(dateOf(table, row), archiveRow(table, { ...row, ...provenance }, position));
    }
    const { rows, parts } = await buffer.finish();
    tables[table.name] = {
      rows,
      files: [...parts.values()].reduce((a, b) => a + b, 0),
      partitions: written.size,
    };
    runDatesWritten[table.name] = [...written].sort();
  }

  const result: ArchiveResult = {
    environment,
    backupId,
    airflowVersion: manifest.airflowVersion,
    kind: manifest.kind,
    tables,
    absent,
    summaryKey: summaryKey(environment, backupId),
  };
  // Written last, like a backup's manifest: its presence says the archive of this backup is whole.
  const summary = {
    ...result,
    undatedRunDate: UNDATED_RUN_DATE,
    runDates: runDatesWritten,
    files: files.sort(),
  };
  await sink.put(result.summaryKey, Buffer.from(`${JSON.stringify(summary, null, 2)}\n`), 'application/json');
  return result;
}
