import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  BackupVerificationError,
  backupIdFor,
  backupPrefix,
  buildManifest,
  createMemoryBackupStore,
  exportRunId,
  importRunId,
  type Manifest,
  parseManifest,
  putJson,
  sanitizeSnapshot,
  tableEntry,
  verifyBackup,
  writeTableFile,
} from '../../../../../functions/shared/backup/index.ts';

const BACKUP_ID = '20261126T190000Z-pause-dev-1a2b3c';

async function committedBackup(kind: 'database' | 'rest' = 'database') {
  const store = createMemoryBackupStore('bucket', `backups/dev/${BACKUP_ID}/`);
  const tables: Manifest['tables'] = {};
  const specs: Record<string, { columns: string[]; primaryKey: string[]; rows: Record<string, unknown>[] }> =
    {
      variable: { columns: ['key', 'val'], primaryKey: ['key'], rows: [{ key: 'a', val: 'secret-1' }] },
      connection: { columns: ['conn_id', 'password'], primaryKey: ['conn_id'], rows: [] },
      slot_pool: {
        columns: ['pool', 'slots'],
        primaryKey: ['pool'],
        rows: [{ pool: 'default_pool', slots: 128 }],
      },
    };
  for (const [name, spec] of Object.entries(specs)) {
    const file = await writeTableFile(spec.columns, spec.rows);
    const entry = tableEntry(name, spec, file);
    await store.put(entry.file, file.body);
    tables[name] = entry;
  }
  const snapshot = await putJson(store, 'environment.json', { Name: 'dev' });
  const manifest = buildManifest({
    backupId: BACKUP_ID,
    environment: 'dev',
    airflowVersion: '2.10.3',
    kind,
    createdBy: { writer: 'test' },
    activeDags: ['etl'],
    snapshot: { file: 'environment.json', bytes: snapshot.length, sha256: sha(snapshot) },
    tables,
  });
  await putJson(store, 'manifest.json', manifest);
  return { store, manifest };
}

function sha(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

async function reasonOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(BackupVerificationError);
    expect((error as Error).name).toBe('BackupVerificationError');
    return (error as BackupVerificationError).reason;
  }
  throw new Error('expected a verification failure');
}

describe('Backup format: verification', () => {
  it('verifies a committed backup and hands back its files', async () => {
    const { store } = await committedBackup();
    const result = await verifyBackup(store, { environment: 'dev', backupId: BACKUP_ID });
    expect(result.manifest.tables.variable?.rows).toBe(1);
    expect(result.files.size).toBe(3);
  });

  it('fails with manifest-missing when manifest.json is absent', async () => {
    const { store } = await committedBackup();
    store.objects.delete('manifest.json');
    expect(await reasonOf(verifyBackup(store, { environment: 'dev', backupId: BACKUP_ID }))).toBe(
      'manifest-missing',
    );
  });

  it('fails with checksum-mismatch when a file changed but kept its size', async () => {
    const { store, manifest } = await committedBackup();
    const file = manifest.tables.variable?.file ?? '';
    const body = Buffer.from(store.objects.get(file) as Uint8Array);
    body[body.length - 5] = (body[body.length - 5] ?? 0) ^ 0xff;
    store.objects.set(file, body);
    expect(await reasonOf(verifyBackup(store, { environment: 'dev', backupId: BACKUP_ID }))).toBe(
      'checksum-mismatch',
    );
  });

  it('fails with checksum-mismatch when the manifest records a wrong sha', async () => {
    const { store, manifest } = await committedBackup();
    const broken = structuredClone(manifest);
    if (broken.tables.slot_pool) broken.tables.slot_pool.sha256 = '0'.repeat(64);
    await putJson(store, 'manifest.json', broken);
    expect(await reasonOf(verifyBackup(store, { environment: 'dev', backupId: BACKUP_ID }))).toBe(
      'checksum-mismatch',
    );
  });

  it('fails with size-mismatch and file-missing', async () => {
    const { store, manifest } = await committedBackup();
    store.objects.set(manifest.tables.variable?.file ?? '', Buffer.from('short'));
    expect(await reasonOf(verifyBackup(store, { environment: 'dev', backupId: BACKUP_ID }))).toBe(
      'size-mismatch',
    );
    store.objects.delete(manifest.tables.variable?.file ?? '');
    expect(await reasonOf(verifyBackup(store, { environment: 'dev', backupId: BACKUP_ID }))).toBe(
      'file-missing',
    );
  });

  it('fails when the snapshot is missing', async () => {
    const { store } = await committedBackup();
    store.objects.delete('environment.json');
    expect(await reasonOf(verifyBackup(store, { environment: 'dev', backupId: BACKUP_ID }))).toBe(
      'file-missing',
    );
  });

  it('fails with wrong-environment and wrong-backup-id', async () => {
    const { store } = await committedBackup();
    expect(await reasonOf(verifyBackup(store, { environment: 'prod', backupId: BACKUP_ID }))).toBe(
      'wrong-environment',
    );
    expect(
      await reasonOf(verifyBackup(store, { environment: 'dev', backupId: '20261126T190000Z-other' })),
    ).toBe('wrong-backup-id');
  });

  it('requires variable, connection and slot_pool in a database backup', async () => {
    const { store, manifest } = await committedBackup();
    const broken = structuredClone(manifest);
    delete broken.tables.connection;
    await putJson(store, 'manifest.json', broken);
    expect(await reasonOf(verifyBackup(store, { environment: 'dev', backupId: BACKUP_ID }))).toBe(
      'mandatory-table-missing',
    );
  });

  it('refuses unknown format versions, bad counts and malformed manifests', () => {
    const base = {
      formatVersion: 1,
      backupId: BACKUP_ID,
      environment: 'dev',
      airflowVersion: '2.10.3',
      kind: 'database',
      createdAt: '2026-11-26T19:00:41.512Z',
      createdBy: { writer: 'x' },
      activeDags: [],
      tables: {},
    };
    expect(() => parseManifest(JSON.stringify({ ...base, formatVersion: 3 }))).toThrow(/formatVersion 3/);
    const entry = {
      file: 'tables/v.jsonl.gz',
      columns: ['key'],
      primaryKey: ['key'],
      bytes: 1,
      sha256: 'a'.repeat(64),
    };
    expect(() => parseManifest(JSON.stringify({ ...base, tables: { v: { ...entry, rows: -1 } } }))).toThrow(
      expect.objectContaining({ reason: 'invalid-row-count' }),
    );
    expect(() => parseManifest(JSON.stringify({ ...base, tables: { v: { ...entry, rows: 1.5 } } }))).toThrow(
      expect.objectContaining({ reason: 'invalid-row-count' }),
    );
    expect(() =>
      parseManifest(JSON.stringify({ ...base, tables: { v: { ...entry, rows: 1, file: '../x' } } })),
    ).toThrow(expect.objectContaining({ reason: 'manifest-invalid' }));
    expect(() => parseManifest('not json')).toThrow(expect.objectContaining({ reason: 'manifest-invalid' }));
    expect(
      parseManifest(JSON.stringify({ ...base, tables: { v: { ...entry, rows: 3 } } })).tables.v?.rows,
    ).toBe(3);
  });
});

describe('Backup format: ids and locations', () => {
  const arn = 'arn:aws:states:us-east-1:123456789012:execution:mwaa-ops-pause:pause_dev.2026/11#26';

  it('derives the backup id from the start time and the execution name', () => {
    expect(backupIdFor(arn, '2026-11-26T19:00:00.456Z')).toBe('20261126T190000Z-pausedev20261126');
    expect(backupIdFor(arn, '2026-11-26T19:00:00.456Z')).toBe(
      backupIdFor(arn, new Date('2026-11-26T19:00:00.456Z')),
    );
    const long = `arn:aws:states:us-east-1:1:execution:sm:${'a'.repeat(80)}`;
    expect(backupIdFor(long, '2026-01-02T03:04:05Z')).toBe(`20260102T030405Z-${'a'.repeat(40)}`);
    expect(() => backupIdFor(arn, 'yesterday')).toThrow(/start time/);
  });

  it('builds prefixes and deterministic run ids', () => {
    expect(backupPrefix('dev', BACKUP_ID)).toBe(`backups/dev/${BACKUP_ID}/`);
    expect(() => backupPrefix('../x', BACKUP_ID)).toThrow();
    expect(() => backupPrefix('dev', 'latest')).toThrow();
    expect(exportRunId(BACKUP_ID)).toBe(`mwaa_ops_export__${BACKUP_ID}`);
    expect(importRunId(BACKUP_ID, 'arn:aws:states:us-east-1:1:execution:resume:resume-1')).toBe(
      `mwaa_ops_import__${BACKUP_ID}__resume-1`,
    );
  });
});

describe('Backup format: environment snapshot', () => {
  it('keeps only CreateEnvironment input and drops output-only fields', () => {
    const input = sanitizeSnapshot({
      Name: 'dev',
      Arn: 'arn:aws:airflow:us-east-1:1:environment/dev',
      Status: 'AVAILABLE',
      CreatedAt: 1,
      ServiceRoleArn: 'arn:aws:iam::1:role/aws-service-role/x',
      WebserverUrl: 'abc.airflow.amazonaws.com',
      CeleryExecutorQueue: 'arn:aws:sqs:x',
      DatabaseVpcEndpointService: 'vpce',
      LastUpdate: { Status: 'SUCCESS' },
      AirflowVersion: '2.10.3',
      ExecutionRoleArn: 'arn:aws:iam::1:role/exec',
      SourceBucketArn: 'arn:aws:s3:::dags',
      DagS3Path: 'dags',
      NetworkConfiguration: { SubnetIds: ['a', 'b'], SecurityGroupIds: ['sg'] },
      LoggingConfiguration: {
        TaskLogs: { Enabled: true, LogLevel: 'INFO', CloudWatchLogGroupArn: 'arn:aws:logs:x' },
        WorkerLogs: { CloudWatchLogGroupArn: 'arn:aws:logs:y' },
      },
      Tags: { team: 'data', 'aws:cloudformation:stack-name': 'x' },
      AirflowConfigurationOptions: {},
      PluginsS3Path: '',
      MaxWorkers: 5,
    });
    expect(input).toEqual({
      Name: 'dev',
      AirflowVersion: '2.10.3',
      ExecutionRoleArn: 'arn:aws:iam::1:role/exec',
      SourceBucketArn: 'arn:aws:s3:::dags',
      DagS3Path: 'dags',
      NetworkConfiguration: { SubnetIds: ['a', 'b'], SecurityGroupIds: ['sg'] },
      LoggingConfiguration: { TaskLogs: { Enabled: true, LogLevel: 'INFO' } },
      Tags: { team: 'data' },
      MaxWorkers: 5,
    });
  });
});
