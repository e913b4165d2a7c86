/**
 * MetadataTransferFunction: backup and restore steps of the pause/resume workflows (plan,
 * snapshot, countRunning, export, verify, recreate, import, findBackup, unpauseActiveDags).
 * Wiring only; the logic is in actions.ts and rest-transfer.ts.
 */
import { airflowClient } from '../shared/airflow/index.ts';
import { dynamodbClient, mwaaClient, s3Client, sfnClient, shared } from '../shared/aws-clients.ts';
import { createS3BackupStore } from '../shared/backup/store.ts';
import { logger, withObservability } from '../shared/observability.ts';
import { handleTransfer, type TransferDeps } from './actions.ts';
import { readTransferConfig } from './config.ts';

const config = readTransferConfig(process.env);

const deps: TransferDeps = {
  mwaa: shared(mwaaClient),
  sfn: shared(sfnClient),
  ddb: shared(dynamodbClient),
  airflow: airflowClient(),
  storeFor: (bucket, prefix) =>
    createS3BackupStore({
      s3: shared(s3Client),
      bucket,
      prefix,
      ...(config.kmsKeyArn ? { kmsKeyId: config.kmsKeyArn } : {}),
    }),
  backupBucket: config.backupBucket,
  ...(config.kmsKeyArn ? { kmsKeyArn: config.kmsKeyArn } : {}),
  environmentsTable: config.environmentsTable,
  log: logger,
};

export const handler = withObservability(async (event: unknown) => {
  // Correlation ids only: the input also carries the task token, which is never logged.
  const input = (event ?? {}) as Record<string, unknown>;
  logger.appendKeys({
    action: typeof input.action === 'string' ? input.action : undefined,
    environment: typeof input.environment === 'string' ? input.environment : undefined,
    executionArn: typeof input.executionArn === 'string' ? input.executionArn : undefined,
  });
  try {
    const result = await handleTransfer(event, deps);
    logger.info('action done');
    return result;
  } catch (error) {
    const { name, message } = error as Error;
    logger.warn('action failed', { error: { name, message } });
    throw error;
  }
});
