/**
 * RunHistoryArchiveFunction: the run history of a verified backup as Parquet in
 * RunHistoryBucket, for Athena (docs/run-history-archive.md). Wiring only; the logic is in
 * archive.ts. The configuration is read at cold start; the SDK client, the archive logic and the
 * Parquet writer are loaded by the first invocation (shared/lazy.ts explains why).
 */
import { actionHandler } from '../shared/action-dispatch.ts';
import { once } from '../shared/lazy.ts';
import { logger } from '../shared/observability.ts';
import { atInit } from '../shared/stack-map.ts';
import { readArchiveConfig } from './config.ts';

const config = atInit(() => readArchiveConfig(process.env));

const loaded = once(async () => {
  const [clients, { createS3BackupStore }, { createS3ArchiveSink }, { handleArchive }] = await Promise.all([
    import('../shared/aws-clients.ts'),
    import('../shared/backup/store.ts'),
    import('./sink.ts'),
    import('./actions.ts'),
  ]);
  const s3 = clients.shared(clients.s3Client);
  const deps = {
    storeFor: (bucket: string, prefix: string) => createS3BackupStore({ s3, bucket, prefix }),
    sink: createS3ArchiveSink(s3, config.runHistoryBucket),
    backupBucket: config.backupBucket,
    runHistoryBucket: config.runHistoryBucket,
    maxBufferedRows: config.maxBufferedRows,
    log: logger,
  };
  return (event: unknown) => handleArchive(event, deps);
});

export const handler = actionHandler(async (event) => (await loaded())(event));
