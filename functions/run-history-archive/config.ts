/** Settings of RunHistoryArchiveFunction, read once at cold start. */
import { type Env, integer, requiredString } from '../shared/config.ts';

export interface ArchiveConfig {
  /** BACKUP_BUCKET_NAME: where the backups are read from (backups/<env>/<backupId>/). */
  backupBucket: string;
  /** RUN_HISTORY_BUCKET_NAME: where the Parquet archive is written (run-history/...). */
  runHistoryBucket: string;
  /**
   * ARCHIVE_MAX_BUFFERED_ROWS: rows held in memory across run dates before the largest date is
   * written as a part file (default 50,000; the template leaves it unset). A different
   * value changes how a backup splits into part files, so keep it stable between re-runs.
   */
  maxBufferedRows: number;
}

export function readArchiveConfig(env: Env): ArchiveConfig {
  return {
    backupBucket: requiredString(env, 'BACKUP_BUCKET_NAME'),
    runHistoryBucket: requiredString(env, 'RUN_HISTORY_BUCKET_NAME'),
    maxBufferedRows: integer(env, 'ARCHIVE_MAX_BUFFERED_ROWS', 50_000, { min: 1, max: 1_000_000 }),
  };
}
