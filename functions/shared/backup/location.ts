/**
 * Where a backup lives and what it is called (docs/backup-format.md "Location and immutability").
 * Everything here is deterministic in the execution, so a retried step writes the same keys.
 */
import { ValidationError } from '../errors.ts';

export const MANIFEST_FILE = 'manifest.json';
export const SNAPSHOT_FILE = 'environment.json';
/** Written before an export pauses DAGs, so a failed or retried export knows which to re-enable. */
export const ACTIVE_DAGS_FILE = 'active-dags.json';

export const EXPORT_DAG_ID = 'mwaa_ops_export';
export const IMPORT_DAG_ID = 'mwaa_ops_import';
/** DAGs the backup never pauses or carries: the transfer DAGs themselves. */
/** Airflow 3.x only: reads the secrets the REST API masks (functions/metadata-transfer/secrets-task.ts). */
export const SECRETS_DAG_ID = 'mwaa_ops_export_secrets';
export const isTransferDag = (dagId: string) =>
  dagId === EXPORT_DAG_ID || dagId === IMPORT_DAG_ID || dagId === SECRETS_DAG_ID;

/** The execution's own name (last ARN segment) reduced to `[A-Za-z0-9-]`, at most 40 characters. */
export function executionId(executionArn: string): string {
  const last = executionArn.split(':').at(-1) ?? '';
  const id = last.replace(/[^A-Za-z0-9-]/g, '').slice(0, 40);
  if (id === '') throw new ValidationError(`Cannot derive an id from execution ARN "${executionArn}"`);
  return id;
}

/** `<yyyymmddThhmmssZ>-<execution id>` from the execution ARN and its start time. */
export function backupIdFor(executionArn: string, startTime: string | Date): string {
  const start = startTime instanceof Date ? startTime : new Date(startTime);
  if (Number.isNaN(start.getTime())) throw new ValidationError(`Not a start time: "${String(startTime)}"`);
  const stamp = start
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:]/g, '');
  return `${stamp}-${executionId(executionArn)}`;
}

const BACKUP_ID = /^\d{8}T\d{6}Z-[A-Za-z0-9-]{1,40}$/;
const ENVIRONMENT = /^[A-Za-z][0-9A-Za-z_-]{0,79}$/;

export function assertBackupId(backupId: string): void {
  if (!BACKUP_ID.test(backupId)) throw new ValidationError(`Not a backup id: "${backupId}"`);
}

export function assertEnvironmentName(environment: string): void {
  if (!ENVIRONMENT.test(environment))
    throw new ValidationError(`Not an MWAA environment name: "${environment}"`);
}

/** `backups/<environment>/<backupId>/` */
export function backupPrefix(environment: string, backupId: string): string {
  assertEnvironmentName(environment);
  assertBackupId(backupId);
  return `backups/${environment}/${backupId}/`;
}

/** `backups/<environment>/` — every backup of an environment. */
export const environmentPrefix = (environment: string) => {
  assertEnvironmentName(environment);
  return `backups/${environment}/`;
};

/** Run ids of the transfer DAGs: a retried step finds its run instead of starting another. */
export const exportRunId = (backupId: string) => `${EXPORT_DAG_ID}__${backupId}`;
export const importRunId = (backupId: string, executionArn: string) =>
  `${IMPORT_DAG_ID}__${backupId}__${executionId(executionArn)}`;
