/**
 * MetadataTransferFunction: backup and restore steps of the pause/resume workflows (plan,
 * snapshot, countRunning, export, verify, recreate, import, findBackup, unpauseActiveDags).
 * Wiring only; the logic is in actions.ts and rest-transfer.ts.
 */
import { actionHandler } from '../shared/action-dispatch.ts';
import { airflowClient } from '../shared/airflow/index.ts';
import { dynamodbClient, mwaaClient, s3Client, sfnClient, shared } from '../shared/aws-clients.ts';
import { createS3BackupStore } from '../shared/backup/store.ts';
import { logger } from '../shared/observability.ts';
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

export const handler = actionHandler((event) => handleTransfer(event, deps));
