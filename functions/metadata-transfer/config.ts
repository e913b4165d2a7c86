/** Settings of MetadataTransferFunction, read once at cold start. */
import { type Env, optionalString, requiredString } from '../shared/config.ts';

export interface PauseResumeStepConfig {
  /** BACKUP_BUCKET_NAME: where every backup is written (backups/<env>/<backupId>/). */
  backupBucket: string;
  /** ENVIRONMENTS_TABLE_NAME: the registry holding each environment's lastVerifiedBackup. */
  environmentsTable: string;
  /** BACKUP_KMS_KEY_ARN: set explicitly on every object written (SSE-KMS). Optional locally. */
  kmsKeyArn: string | undefined;
}

export function readPauseResumeStepConfig(env: Env): PauseResumeStepConfig {
  const kms = optionalString(env, 'BACKUP_KMS_KEY_ARN', '');
  return {
    backupBucket: requiredString(env, 'BACKUP_BUCKET_NAME'),
    environmentsTable: requiredString(env, 'ENVIRONMENTS_TABLE_NAME'),
    kmsKeyArn: kms === '' ? undefined : kms,
  };
}
