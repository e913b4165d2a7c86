/**
 * RunHistoryArchiveFunction's actions. `archive` is what the pause workflow runs after a backup
 * verified, and what `mwaa-ops backups archive` invokes. Answers carry counts and locations only.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import {
  dispatchAction,
  type ActionInput as Input,
  requiredString as str,
} from '../shared/action-dispatch.ts';
import { assertEnvironmentName, type BackupStore, backupPrefix } from '../shared/backup/index.ts';
import { type ArchiveSink, archiveBackup } from './archive.ts';

export interface ArchiveDeps {
  /** The backup store for a bucket + prefix (S3 in Lambda, memory in unit tests). */
  storeFor: (bucket: string, prefix: string) => BackupStore;
  sink: ArchiveSink;
  backupBucket: string;
  runHistoryBucket: string;
  maxBufferedRows: number;
  log: Pick<Logger, 'info'>;
}

/** `archive`: `{environment, backupId}` → the run history of that backup in the archive. */
export async function archive(input: Input, deps: ArchiveDeps) {
  const environment = str(input, 'environment');
  assertEnvironmentName(environment);
  const backupId = str(input, 'backupId');
  const prefix = backupPrefix(environment, backupId);
  const result = await archiveBackup({
    store: deps.storeFor(deps.backupBucket, prefix),
    sink: deps.sink,
    environment,
    backupId,
    maxBufferedRows: deps.maxBufferedRows,
  });
  deps.log.info('run history archived', { backupId, tables: result.tables, absent: result.absent });
  return {
    ...result,
    bucket: deps.runHistoryBucket,
    summary: `s3://${deps.runHistoryBucket}/${result.summaryKey}`,
  };
}

const ACTIONS = { archive } as const;

export function handleArchive(event: unknown, deps: ArchiveDeps): Promise<unknown> {
  return dispatchAction(ACTIONS, event, deps);
}
