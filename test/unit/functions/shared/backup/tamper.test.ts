/**
 * A backup must never steer how an environment is recreated (docs/pause-resume.md "Isolation"):
 * the function checks the manifest and environment.json against the digests the registry
 * recorded at verify time, and the recreation-critical settings against those recorded from
 * MWAA. These are the function-level rules; test/integration/pause-resume/backup-tamper.test.ts runs them in
 * the real workflows.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  handlePauseResumeStep,
  type PauseResumeStepDeps,
} from '../../../../../functions/metadata-transfer/actions.ts';
import {
  BackupTamperedError,
  buildManifest,
  createMemoryBackupStore,
  putJson,
  recreationFields,
  sanitizeSnapshot,
  tableEntry,
  verifyBackup,
  writeTableFile,
} from '../../../../../functions/shared/backup/index.ts';

const BACKUP_ID = '20261126T190000Z-pause-dev-1';
const PREFIX = `backups/dev/${BACKUP_ID}/`;
const where = { environment: 'dev', bucket: 'bk', prefix: PREFIX, backupId: BACKUP_ID };
const sha256 = (body: Uint8Array | string) => createHash('sha256').update(body).digest('hex');

const ENVIRONMENT = {
  Name: 'dev',
  AirflowVersion: '2.10.3',
  ExecutionRoleArn: 'arn:aws:iam::1:role/mwaa-dev',
  SourceBucketArn: 'arn:aws:s3:::dev-dags',
  DagS3Path: 'dags',
  StartupScriptS3Path: 'startup.sh',
  AirflowConfigurationOptions: { 'core.default_timezone': 'utc' },
  NetworkConfiguration: { SubnetIds: ['subnet-a'], SecurityGroupIds: ['sg-1'] },
};

/** A committed backup whose snapshot is `snapshot`; returns the store and both digests. */
async function committed(store: ReturnType<typeof createMemoryBackupStore>, snapshot: object) {
  const snapshotBytes = await putJson(store, 'environment.json', snapshot);
  const tables: Record<string, ReturnType<typeof tableEntry>> = {};
  for (const table of ['variable', 'connection', 'slot_pool']) {
    const file = await writeTableFile(['key'], [{ key: table }]);
    await store.put(`tables/${table}.jsonl.gz`, file.body);
    tables[table] = tableEntry(table, { columns: ['key'], primaryKey: ['key'] }, file);
  }
  const manifestBytes = await putJson(
    store,
    'manifest.json',
    buildManifest({
      backupId: BACKUP_ID,
      environment: 'dev',
      airflowVersion: '2.10.3',
      kind: 'database',
      createdBy: { writer: 'test' },
      activeDags: ['etl'],
      snapshot: { file: 'environment.json', bytes: snapshotBytes.length, sha256: sha256(snapshotBytes) },
      tables,
    }),
  );
  return { manifestSha256: sha256(manifestBytes), snapshotSha256: sha256(snapshotBytes) };
}

/** Rewrite environment.json and the manifest's snapshot entry so that every checksum is valid. */
async function rewriteConsistently(store: ReturnType<typeof createMemoryBackupStore>, snapshot: object) {
  const bytes = await putJson(store, 'environment.json', snapshot);
  const manifest = JSON.parse(Buffer.from(store.objects.get('manifest.json') as Uint8Array).toString());
  manifest.snapshot = { file: 'environment.json', bytes: bytes.length, sha256: sha256(bytes) };
  await putJson(store, 'manifest.json', manifest);
}

function deps(options: { environment?: object; item?: object; airflowVersion?: string } = {}) {
  const store = createMemoryBackupStore('bk', PREFIX);
  const mwaaCalls: string[] = [];
  const answers: Array<{ name: string; input: Record<string, unknown> }> = [];
  const triggers: Array<{ conf: Record<string, unknown> }> = [];
  const d: PauseResumeStepDeps = {
    mwaa: {
      send: (async (command: { constructor: { name: string } }) => {
        mwaaCalls.push(command.constructor.name);
        if (command.constructor.name === 'GetEnvironmentCommand') {
          if (!options.environment)
            throw Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' });
          return { Environment: options.environment };
        }
        return {};
      }) as PauseResumeStepDeps['mwaa']['send'],
    },
    sfn: {
      send: (async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        answers.push({ name: command.constructor.name, input: command.input });
        return {};
      }) as PauseResumeStepDeps['sfn']['send'],
    },
    ddb: { send: (async () => ({ Item: options.item })) as PauseResumeStepDeps['ddb']['send'] },
    airflow: {
      environment: async (name: string) => ({
        name,
        airflowVersion: options.airflowVersion ?? '2.10.3',
        apiVersion: 'v1' as const,
        transport: 'rest' as const,
      }),
      rest: async () => ({ status: 200, body: {} }),
      setPaused: async () => undefined,
      triggerDagRun: async (_env, request) => {
        triggers.push(request as { conf: Record<string, unknown> });
        return { outcome: 'triggered' as const, runId: request.runId, unpaused: true };
      },
    },
    storeFor: () => store,
    backupBucket: 'bk',
    environmentsTable: 'environments',
    log: { info: () => undefined, warn: () => undefined } as unknown as PauseResumeStepDeps['log'],
  };
  return { deps: d, store, mwaaCalls, triggers, answers };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

const EVIL = {
  ...sanitizeSnapshot(ENVIRONMENT),
  SourceBucketArn: 'arn:aws:s3:::someone-elses-dags',
  StartupScriptS3Path: 'evil.sh',
  AirflowConfigurationOptions: { 'secrets.backend': 'evil.Backend' },
};

describe('Backup format: verification against the recorded digests', () => {
  it('accepts the recorded backup and answers the digests it verified', async () => {
    const store = createMemoryBackupStore('bk', PREFIX);
    const recorded = await committed(store, sanitizeSnapshot(ENVIRONMENT));
    const verified = await verifyBackup(store, {
      environment: 'dev',
      backupId: BACKUP_ID,
      expectedManifestSha256: recorded.manifestSha256,
      expectedSnapshotSha256: recorded.snapshotSha256,
    });
    expect({ manifest: verified.manifestSha256, snapshot: verified.snapshotSha256 }).toEqual({
      manifest: recorded.manifestSha256,
      snapshot: recorded.snapshotSha256,
    });
  });

  it('refuses a consistent rewrite (checksums valid) as BackupTamperedError, which plain verification accepts', async () => {
    const store = createMemoryBackupStore('bk', PREFIX);
    const recorded = await committed(store, sanitizeSnapshot(ENVIRONMENT));
    await rewriteConsistently(store, EVIL);
    // Without the registry's digests the rewrite verifies: this is what resume used to trust.
    await expect(verifyBackup(store, { environment: 'dev', backupId: BACKUP_ID })).resolves.toBeDefined();
    const error = await failure(
      verifyBackup(store, {
        environment: 'dev',
        backupId: BACKUP_ID,
        expectedManifestSha256: recorded.manifestSha256,
        expectedSnapshotSha256: recorded.snapshotSha256,
      }),
    );
    expect(error).toBeInstanceOf(BackupTamperedError);
    expect((error as BackupTamperedError).part).toBe('manifest');
    const snapshotOnly = await failure(
      verifyBackup(store, {
        environment: 'dev',
        backupId: BACKUP_ID,
        expectedSnapshotSha256: recorded.snapshotSha256,
      }),
    );
    expect((snapshotOnly as BackupTamperedError).part).toBe('snapshot');
  });
});

describe('Function: metadata-transfer against the registry', () => {
  it('verify refuses environment.json rewritten between the snapshot and the verify (the export runs as the execution role)', async () => {
    const { deps: d, store } = deps({ environment: { ...ENVIRONMENT, Status: 'AVAILABLE' } });
    const snap = (await handlePauseResumeStep({ action: 'snapshot', ...where }, d)) as {
      snapshotSha256: string;
    };
    await committed(store, EVIL);
    const error = await failure(
      handlePauseResumeStep({ action: 'verify', ...where, expectedSnapshotSha256: snap.snapshotSha256 }, d),
    );
    expect(error.name).toBe('BackupTamperedError');
    expect(error.message).toContain('environment.json');
  });

  it('findBackup refuses a record without digests unless trustUnrecordedBackup is true', async () => {
    const legacy = { lastVerifiedBackup: { bucket: 'bk', prefix: PREFIX, backupId: BACKUP_ID } };
    const error = await failure(
      handlePauseResumeStep({ action: 'findBackup', environment: 'dev' }, deps({ item: legacy }).deps),
    );
    expect(error.name).toBe('UnrecordedBackupError');
    expect(error.message).toContain('trustUnrecordedBackup set to true');
    expect(
      await handlePauseResumeStep(
        { action: 'findBackup', environment: 'dev', trustUnrecordedBackup: true },
        deps({ item: legacy }).deps,
      ),
    ).toEqual({
      bucket: 'bk',
      prefix: PREFIX,
      backupId: BACKUP_ID,
      manifestSha256: null,
      snapshotSha256: null,
      recreation: null,
      trusted: 'operator',
    });
    const invalid = await failure(
      handlePauseResumeStep(
        { action: 'findBackup', environment: 'dev', trustUnrecordedBackup: 'yes' },
        deps({ item: legacy }).deps,
      ),
    );
    expect(invalid.name).toBe('ValidationError');
  });

  it('recreate refuses a snapshot that differs from the recorded digest or settings, before CreateEnvironment', async () => {
    const sanitized = sanitizeSnapshot(ENVIRONMENT);
    const recreation = recreationFields(sanitized);

    const swapped = deps();
    const recorded = await committed(swapped.store, sanitized);
    await rewriteConsistently(swapped.store, EVIL);
    const digestError = await failure(
      handlePauseResumeStep(
        { action: 'recreate', ...where, expectedSnapshotSha256: recorded.snapshotSha256, recreation },
        swapped.deps,
      ),
    );
    expect(digestError.name).toBe('BackupTamperedError');
    expect(swapped.mwaaCalls).not.toContain('CreateEnvironmentCommand');

    // Settings alone (the digest check skipped, as for a backup trusted by the operator).
    const settings = deps();
    await committed(settings.store, EVIL);
    const settingsError = await failure(
      handlePauseResumeStep({ action: 'recreate', ...where, recreation }, settings.deps),
    );
    expect(settingsError.name).toBe('BackupTamperedError');
    expect(settingsError.message).toContain(
      'AirflowConfigurationOptionsSha256, SourceBucketArn, StartupScriptS3Path',
    );
    expect(settings.mwaaCalls).not.toContain('CreateEnvironmentCommand');

    const honest = deps();
    const ok = await committed(honest.store, sanitized);
    expect(
      await handlePauseResumeStep(
        { action: 'recreate', ...where, expectedSnapshotSha256: ok.snapshotSha256, recreation },
        honest.deps,
      ),
    ).toEqual({ created: true });
    expect(honest.mwaaCalls).toContain('CreateEnvironmentCommand');
  });

  it('import hands the recorded manifest digest to the import DAG', async () => {
    const { deps: d, triggers } = deps({ environment: { ...ENVIRONMENT, Status: 'AVAILABLE' } });
    await handlePauseResumeStep(
      {
        action: 'import',
        ...where,
        executionArn: 'arn:aws:states:us-east-1:1:execution:resume:resume-dev-1',
        taskToken: 't',
        expectedManifestSha256: 'c'.repeat(64),
      },
      d,
    );
    expect(triggers[0]?.conf.backup).toMatchObject({ manifestSha256: 'c'.repeat(64) });
    const bad = await failure(
      handlePauseResumeStep(
        {
          action: 'import',
          ...where,
          executionArn: 'arn:aws:states:us-east-1:1:execution:resume:resume-dev-1',
          taskToken: 't',
          expectedManifestSha256: 'not-a-digest',
        },
        d,
      ),
    );
    expect(bad.name).toBe('ValidationError');
  });

  it('on 3.x the REST restore refuses a manifest that is not the recorded one, and answers the token with it', async () => {
    const { deps: d, store, answers } = deps({ airflowVersion: '3.0.6' });
    const recorded = await committed(store, sanitizeSnapshot(ENVIRONMENT));
    await rewriteManifestActiveDags(store);
    const result = await handlePauseResumeStep(
      {
        action: 'import',
        ...where,
        executionArn: 'arn:aws:states:us-east-1:1:execution:resume:resume-dev-1',
        taskToken: 't',
        expectedManifestSha256: recorded.manifestSha256,
      },
      d,
    );
    expect(result).toEqual({ mode: 'rest', answered: 'failure', error: 'BackupTamperedError' });
    expect(answers).toEqual([
      expect.objectContaining({
        name: 'SendTaskFailureCommand',
        input: expect.objectContaining({ error: 'BackupTamperedError' }),
      }),
    ]);
  });
});

/** A consistent rewrite of the manifest alone: every checksum still right. */
async function rewriteManifestActiveDags(store: ReturnType<typeof createMemoryBackupStore>) {
  const manifest = JSON.parse(Buffer.from(store.objects.get('manifest.json') as Uint8Array).toString());
  manifest.activeDags = [];
  await putJson(store, 'manifest.json', manifest);
}
