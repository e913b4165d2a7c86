/**
 * The backup location a workflow step names (`environment`, `bucket`, `prefix`, optional
 * `backupId`), checked before anything is read or written: only the layout
 * `backups/<environment>/<backupId>/` of the step's own environment is ever touched.
 */
import { type ActionInput as Input, requiredString as str } from '../shared/action-dispatch.ts';
import { assertBackupId, assertEnvironmentName, type BackupStore } from '../shared/backup/index.ts';
import { ValidationError } from '../shared/errors.ts';

export interface BackupLocation {
  environment: string;
  bucket: string;
  prefix: string;
  backupId: string;
  store: BackupStore;
}

export function backupLocation(
  input: Input,
  deps: { storeFor: (bucket: string, prefix: string) => BackupStore },
): BackupLocation {
  const environment = str(input, 'environment');
  assertEnvironmentName(environment);
  const bucket = str(input, 'bucket');
  const prefix = str(input, 'prefix');
  const match = /^backups\/([^/]+)\/([^/]+)\/$/.exec(prefix);
  if (!match || match[1] !== environment)
    throw new ValidationError(`Prefix "${prefix}" is not a backup prefix of environment ${environment}`);
  assertBackupId(match[2] ?? '');
  if (typeof input.backupId === 'string' && input.backupId !== match[2])
    throw new ValidationError(`Prefix "${prefix}" does not belong to backup ${input.backupId}`);
  return { environment, bucket, prefix, backupId: match[2] ?? '', store: deps.storeFor(bucket, prefix) };
}
