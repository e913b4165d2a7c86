/**
 * Where the archive lives (docs/run-history-archive.md "Layout"). Every key is derived from the
 * environment, the backup id, the table, the run date and a part number that depends only on the
 * backup's rows, so a re-run of the same archive overwrites the same objects (invariant 3, docs/architecture.md §6.1).
 *
 *   run-history/<table>/environment=<env>/run_date=YYYY-MM-DD/<backupId>-<part>.parquet
 *   run-history/_archives/environment=<env>/<backupId>.json      written last: what was archived
 */
import { assertBackupId, assertEnvironmentName } from '../shared/backup/index.ts';

export const ARCHIVE_PREFIX = 'run-history/';

/** The Glue table's location: everything under it is data of that table. */
export const tablePrefix = (table: string) => `${ARCHIVE_PREFIX}${table}/`;

export function partitionPrefix(table: string, environment: string, runDate: string): string {
  assertEnvironmentName(environment);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(runDate)) throw new Error(`Not a run date: ${runDate}`);
  return `${tablePrefix(table)}environment=${environment}/run_date=${runDate}/`;
}

export function partFileKey(
  table: string,
  environment: string,
  runDate: string,
  backupId: string,
  part: number,
): string {
  assertBackupId(backupId);
  return `${partitionPrefix(table, environment, runDate)}${backupId}-${String(part).padStart(4, '0')}.parquet`;
}

/** Outside every table's location, so Athena never reads it as data. */
export function summaryKey(environment: string, backupId: string): string {
  assertEnvironmentName(environment);
  assertBackupId(backupId);
  return `${ARCHIVE_PREFIX}_archives/environment=${environment}/${backupId}.json`;
}
