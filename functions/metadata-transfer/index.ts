/**
 * MetadataTransferFunction: every Lambda step of the pause/resume workflows (plan, snapshot,
 * countRunning, export, verify, recreate, import, findBackup, unpauseActiveDags, runningExports,
 * inheritActiveDags), not only the metadata transfer its contract name says (docs/architecture.md
 * §9). Wiring only; the logic is in actions.ts, environment-recreation.ts, rest-transfer.ts and
 * takeover.ts.
 *
 * The configuration is read at cold start, so a bad setting fails init with its name. The SDK
 * clients and the actions are loaded by the first invocation (shared/lazy.ts explains why).
 */
import { actionHandler } from '../shared/action-dispatch.ts';
import { once } from '../shared/lazy.ts';
import { logger } from '../shared/observability.ts';
import { atInit } from '../shared/stack-map.ts';
import type { PauseResumeStepDeps } from './actions.ts';
import { readPauseResumeStepConfig } from './config.ts';

const config = atInit(() => readPauseResumeStepConfig(process.env));

const loaded = once(async () => {
  const [{ airflowClient }, clients, { createS3BackupStore }, { handlePauseResumeStep }] = await Promise.all([
    import('../shared/airflow/index.ts'),
    import('../shared/aws-clients.ts'),
    import('../shared/backup/store.ts'),
    import('./actions.ts'),
  ]);
  const { shared } = clients;
  const deps: PauseResumeStepDeps = {
    mwaa: shared(clients.mwaaClient),
    sfn: shared(clients.sfnClient),
    ddb: shared(clients.dynamodbClient),
    airflow: airflowClient(),
    storeFor: (bucket, prefix) =>
      createS3BackupStore({
        s3: shared(clients.s3Client),
        bucket,
        prefix,
        ...(config.kmsKeyArn ? { kmsKeyId: config.kmsKeyArn } : {}),
      }),
    backupBucket: config.backupBucket,
    ...(config.kmsKeyArn ? { kmsKeyArn: config.kmsKeyArn } : {}),
    environmentsTable: config.environmentsTable,
    log: logger,
  };
  return (event: unknown) => handlePauseResumeStep(event, deps);
});

export const handler = actionHandler(async (event) => (await loaded())(event));
