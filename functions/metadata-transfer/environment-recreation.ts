/**
 * The resume workflow's `recreate` step: CreateEnvironment from the backup's environment.json,
 * after checking that the snapshot is the one verified and recorded (its digest and the
 * recreation-critical settings in lastVerifiedBackup). Recreating an environment is not a
 * metadata transfer; it lives in MetadataTransferFunction only because that function runs every
 * Lambda step of pause and resume (docs/architecture.md §9).
 */
import {
  CreateEnvironmentCommand,
  type CreateEnvironmentCommandInput,
  type MWAAClient,
} from '@aws-sdk/client-mwaa';
import type { ActionInput as Input } from '../shared/action-dispatch.ts';
import {
  type BackupStore,
  BackupTamperedError,
  recreationDifferences,
  recreationFields,
  SNAPSHOT_FILE,
} from '../shared/backup/index.ts';
import { digest } from '../shared/backup/table-file.ts';
import { ValidationError } from '../shared/errors.ts';
import { EnvironmentRecreateError } from './errors.ts';
import { backupLocation as location } from './location.ts';
import { existingEnvironment } from './mwaa-environment.ts';
import { isRecord, optionalDigest } from './step-input.ts';

export interface RecreationDeps {
  mwaa: Pick<MWAAClient, 'send'>;
  storeFor: (bucket: string, prefix: string) => BackupStore;
}

/** `recreate`: CreateEnvironment from environment.json; an existing environment is left alone. */
export async function recreateEnvironment(input: Input, deps: RecreationDeps) {
  const { environment, prefix, store } = location(input, deps);
  const existing = await existingEnvironment(deps.mwaa, environment);
  if (existing) return { created: false, status: String(existing.Status) };
  const expectedSnapshotSha256 = optionalDigest(input, 'expectedSnapshotSha256');
  const recorded = input.recreation ?? null;
  if (recorded !== null && !isRecord(recorded))
    throw new ValidationError('recreation must be the object recorded in lastVerifiedBackup, or null');
  const body = await store.get(SNAPSHOT_FILE);
  if (!body)
    throw new EnvironmentRecreateError(
      `The backup holds no ${SNAPSHOT_FILE} to recreate ${environment} from`,
    );
  // Checked again here, not only in VerifyBackup: this is the read CreateEnvironment uses.
  if (expectedSnapshotSha256 && digest(body).sha256 !== expectedSnapshotSha256)
    throw new BackupTamperedError(
      'snapshot',
      `${prefix}${SNAPSHOT_FILE} changed after the backup was verified (lastVerifiedBackup.snapshotSha256); no environment was created`,
    );
  let snapshotInput: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(body).toString('utf8'));
    if (!isRecord(parsed)) throw new Error('not an object');
    snapshotInput = parsed;
  } catch (cause) {
    throw new EnvironmentRecreateError(`${SNAPSHOT_FILE} of ${environment} is not a JSON object`, { cause });
  }
  if (recorded) {
    const differences = recreationDifferences(recorded, recreationFields(snapshotInput));
    if (differences.length)
      throw new BackupTamperedError(
        'recreation',
        `${SNAPSHOT_FILE} of ${environment} would recreate it with other settings than those recorded from MWAA when the backup was verified (${differences.join(', ')}); no environment was created`,
        { context: { fields: differences.join(',') } },
      );
  }
  if (snapshotInput.Name !== undefined && snapshotInput.Name !== environment)
    throw new EnvironmentRecreateError(
      `The snapshot describes environment ${String(snapshotInput.Name)}, not ${environment}`,
    );
  try {
    await deps.mwaa.send(
      new CreateEnvironmentCommand({
        ...(snapshotInput as unknown as CreateEnvironmentCommandInput),
        Name: environment,
      }),
    );
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'ValidationException') {
      // A create that raced us ("already exists") is the same outcome as finding it.
      const raced = await existingEnvironment(deps.mwaa, environment);
      if (raced) return { created: false, status: String(raced.Status) };
      throw new EnvironmentRecreateError(
        `CreateEnvironment refused the snapshot of ${environment}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
  return { created: true };
}
