import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  handlePauseResumeStep,
  type PauseResumeStepDeps,
} from '../../../../functions/metadata-transfer/actions.ts';
import { readPauseResumeStepConfig } from '../../../../functions/metadata-transfer/config.ts';
import { createMemoryBackupStore, putJson } from '../../../../functions/shared/backup/index.ts';

const sha256 = (body: Uint8Array | string) => createHash('sha256').update(body).digest('hex');

const BACKUP_ID = '20261126T190000Z-pause-dev-1';
const PREFIX = `backups/dev/${BACKUP_ID}/`;

type Sent = { name: string; input: Record<string, unknown> };

function fakeDeps(options: {
  environment?: Record<string, unknown> | undefined;
  createError?: Error;
  item?: Record<string, unknown>;
  airflowVersion?: string;
  rest?: (request: { method: string; path: string; query?: Record<string, unknown> }) => {
    status: number;
    body: unknown;
  };
}) {
  const sent: Sent[] = [];
  const stores = new Map<string, ReturnType<typeof createMemoryBackupStore>>();
  const triggers: unknown[] = [];
  const deps: PauseResumeStepDeps = {
    mwaa: {
      send: (async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        sent.push({ name: command.constructor.name, input: command.input });
        if (command.constructor.name === 'GetEnvironmentCommand') {
          if (!options.environment)
            throw Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' });
          return { Environment: options.environment };
        }
        if (command.constructor.name === 'CreateEnvironmentCommand' && options.createError)
          throw options.createError;
        return {};
      }) as PauseResumeStepDeps['mwaa']['send'],
    },
    sfn: { send: (async () => ({})) as PauseResumeStepDeps['sfn']['send'] },
    ddb: {
      send: (async (command: { input: Record<string, unknown> }) => {
        sent.push({ name: 'Get', input: command.input });
        return { Item: options.item };
      }) as PauseResumeStepDeps['ddb']['send'],
    },
    airflow: {
      environment: async (name: string) => ({
        name,
        airflowVersion: options.airflowVersion ?? '2.10.3',
        apiVersion: 'v1' as const,
        transport: 'rest' as const,
      }),
      rest: async (_env, request) => (options.rest ?? (() => ({ status: 200, body: {} })))(request),
      setPaused: async () => undefined,
      triggerDagRun: async (_env, request) => {
        triggers.push(request);
        return { outcome: 'triggered' as const, runId: request.runId, unpaused: true };
      },
    },
    storeFor: (bucket, prefix) => {
      const key = `${bucket}/${prefix}`;
      if (!stores.has(key)) stores.set(key, createMemoryBackupStore(bucket, prefix));
      return stores.get(key) as ReturnType<typeof createMemoryBackupStore>;
    },
    backupBucket: 'backups-bucket',
    environmentsTable: 'environments',
    log: { info: () => undefined, warn: () => undefined } as unknown as PauseResumeStepDeps['log'],
  };
  return { deps, sent, stores, triggers };
}

const where = { environment: 'dev', bucket: 'backups-bucket', prefix: PREFIX };

async function nameOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).name;
  }
  throw new Error('expected a failure');
}

describe('Function: metadata-transfer', () => {
  it('plans a deterministic backup id and location', async () => {
    const { deps } = fakeDeps({});
    const input = {
      action: 'plan',
      environment: 'dev',
      executionArn: 'arn:aws:states:us-east-1:1:execution:pause:pause-dev-1',
      startTime: '2026-11-26T19:00:00.999Z',
    };
    const first = await handlePauseResumeStep(input, deps);
    expect(first).toEqual({ backupId: BACKUP_ID, bucket: 'backups-bucket', prefix: PREFIX });
    expect(await handlePauseResumeStep(input, deps)).toEqual(first);
  });

  it('rejects unknown actions and prefixes outside the environment', async () => {
    const { deps } = fakeDeps({});
    expect(await nameOf(handlePauseResumeStep({ action: 'drop' }, deps))).toBe('ValidationError');
    expect(await nameOf(handlePauseResumeStep('x', deps))).toBe('ValidationError');
    expect(
      await nameOf(
        handlePauseResumeStep({ action: 'verify', ...where, prefix: `backups/prod/${BACKUP_ID}/` }, deps),
      ),
    ).toBe('ValidationError');
    expect(
      await nameOf(handlePauseResumeStep({ action: 'verify', ...where, prefix: 'backups/dev/../x/' }, deps)),
    ).toBe('ValidationError');
  });

  it('snapshots only an AVAILABLE environment, sanitized', async () => {
    const unavailable = fakeDeps({
      environment: { Name: 'dev', Status: 'UPDATING', AirflowVersion: '2.10.3' },
    });
    expect(await nameOf(handlePauseResumeStep({ action: 'snapshot', ...where }, unavailable.deps))).toBe(
      'EnvironmentNotAvailableError',
    );
    const missing = fakeDeps({});
    expect(await nameOf(handlePauseResumeStep({ action: 'snapshot', ...where }, missing.deps))).toBe(
      'EnvironmentNotAvailableError',
    );
    const ok = fakeDeps({
      environment: {
        Name: 'dev',
        Status: 'AVAILABLE',
        AirflowVersion: '2.10.3',
        Arn: 'arn:x',
        ExecutionRoleArn: 'arn:aws:iam::1:role/r',
        Tags: { 'aws:x': 'y' },
      },
    });
    const answer = await handlePauseResumeStep({ action: 'snapshot', ...where }, ok.deps);
    const stored = ok.stores.get(`backups-bucket/${PREFIX}`)?.objects.get('environment.json');
    expect(answer).toEqual({
      snapshotKey: `${PREFIX}environment.json`,
      airflowVersion: '2.10.3',
      status: 'AVAILABLE',
      // Of the bytes written, and the recreation settings from GetEnvironment (not from S3).
      snapshotSha256: sha256(stored as Uint8Array),
      recreation: {
        AirflowVersion: '2.10.3',
        ExecutionRoleArn: 'arn:aws:iam::1:role/r',
        AirflowConfigurationOptionsSha256: sha256('{}'),
      },
    });
    expect(JSON.parse(Buffer.from(stored as Uint8Array).toString())).toEqual({
      Name: 'dev',
      AirflowVersion: '2.10.3',
      ExecutionRoleArn: 'arn:aws:iam::1:role/r',
    });
  });

  it('does not rewrite the snapshot of a committed backup', async () => {
    const { deps, stores } = fakeDeps({
      environment: { Name: 'dev', Status: 'AVAILABLE', AirflowVersion: '2.10.3' },
    });
    const store = deps.storeFor('backups-bucket', PREFIX);
    await putJson(store, 'manifest.json', {});
    await putJson(store, 'environment.json', { Name: 'dev', MaxWorkers: 3 });
    await handlePauseResumeStep({ action: 'snapshot', ...where }, deps);
    const kept = stores.get(`backups-bucket/${PREFIX}`)?.objects.get('environment.json');
    expect(JSON.parse(Buffer.from(kept as Uint8Array).toString())).toEqual({ Name: 'dev', MaxWorkers: 3 });
  });

  it('recreates from environment.json, leaves an existing environment alone, names a refusal', async () => {
    const fresh = fakeDeps({});
    await putJson(fresh.deps.storeFor('backups-bucket', PREFIX), 'environment.json', {
      Name: 'dev',
      MaxWorkers: 2,
    });
    expect(await handlePauseResumeStep({ action: 'recreate', ...where }, fresh.deps)).toEqual({
      created: true,
    });
    expect(fresh.sent.find((s) => s.name === 'CreateEnvironmentCommand')?.input).toEqual({
      Name: 'dev',
      MaxWorkers: 2,
    });

    const existing = fakeDeps({ environment: { Name: 'dev', Status: 'CREATING' } });
    expect(await handlePauseResumeStep({ action: 'recreate', ...where }, existing.deps)).toEqual({
      created: false,
      status: 'CREATING',
    });
    expect(existing.sent.some((s) => s.name === 'CreateEnvironmentCommand')).toBe(false);

    const refused = fakeDeps({
      createError: Object.assign(new Error('bad subnet'), { name: 'ValidationException' }),
    });
    await putJson(refused.deps.storeFor('backups-bucket', PREFIX), 'environment.json', { Name: 'dev' });
    expect(await nameOf(handlePauseResumeStep({ action: 'recreate', ...where }, refused.deps))).toBe(
      'EnvironmentRecreateError',
    );
    const noSnapshot = fakeDeps({});
    expect(await nameOf(handlePauseResumeStep({ action: 'recreate', ...where }, noSnapshot.deps))).toBe(
      'EnvironmentRecreateError',
    );
  });

  it('finds the last verified backup or throws NoBackupError', async () => {
    const found = fakeDeps({
      item: {
        lastVerifiedBackup: {
          bucket: 'b',
          prefix: PREFIX,
          backupId: BACKUP_ID,
          verifiedAt: 'x',
          manifestSha256: 'a'.repeat(64),
          snapshotSha256: 'b'.repeat(64),
          recreation: JSON.stringify({ DagS3Path: 'dags' }),
        },
      },
    });
    expect(await handlePauseResumeStep({ action: 'findBackup', environment: 'dev' }, found.deps)).toEqual({
      bucket: 'b',
      prefix: PREFIX,
      backupId: BACKUP_ID,
      manifestSha256: 'a'.repeat(64),
      snapshotSha256: 'b'.repeat(64),
      recreation: { DagS3Path: 'dags' },
      trusted: 'recorded',
    });
    expect(found.sent[0]?.input).toMatchObject({ TableName: 'environments', Key: { environment: 'dev' } });
    const none = fakeDeps({});
    expect(await nameOf(handlePauseResumeStep({ action: 'findBackup', environment: 'dev' }, none.deps))).toBe(
      'NoBackupError',
    );
  });

  it('counts running and queued runs', async () => {
    const { deps } = fakeDeps({
      rest: (request) => ({
        status: 200,
        body: { total_entries: request.query?.state === 'running' ? 2 : 3 },
      }),
    });
    expect(await handlePauseResumeStep({ action: 'countRunning', environment: 'dev' }, deps)).toEqual({
      running: 5,
    });
  });

  it('with excludeTransferDags leaves the export/import runs out, across pages', async () => {
    const running = [
      ...Array.from({ length: 100 }, (_, i) => ({ dag_id: i === 0 ? 'mwaa_ops_export' : `etl_${i}` })),
      { dag_id: 'mwaa_ops_import' },
      { dag_id: 'late' },
    ];
    const { deps } = fakeDeps({
      rest: (request) => {
        const rows = request.query?.state === 'running' ? running : [];
        const offset = Number(request.query?.offset ?? 0);
        const limit = Number(request.query?.limit);
        return {
          status: 200,
          body: { dag_runs: rows.slice(offset, offset + limit), total_entries: rows.length },
        };
      },
    });
    expect(
      await handlePauseResumeStep(
        { action: 'countRunning', environment: 'dev', excludeTransferDags: true },
        deps,
      ),
    ).toEqual({ running: 100 });
  });

  it('on 2.x triggers the export DAG with a run id derived from the backup and the token in conf', async () => {
    const { deps, triggers } = fakeDeps({});
    const result = await handlePauseResumeStep(
      {
        action: 'export',
        ...where,
        backupId: BACKUP_ID,
        executionArn: 'arn:aws:states:us-east-1:1:execution:pause:pause-dev-1',
        taskToken: 'token-123',
        heartbeatSeconds: 300,
      },
      deps,
    );
    expect(result).toEqual({
      mode: 'dag',
      dagId: 'mwaa_ops_export',
      runId: `mwaa_ops_export__${BACKUP_ID}`,
      outcome: 'triggered',
    });
    expect(triggers[0]).toMatchObject({
      dagId: 'mwaa_ops_export',
      onPaused: 'unpause',
      conf: {
        task_token: 'token-123',
        backup: { bucket: 'backups-bucket', prefix: PREFIX, backupId: BACKUP_ID },
        environment: 'dev',
        execution_arn: 'arn:aws:states:us-east-1:1:execution:pause:pause-dev-1',
        heartbeat_seconds: 300,
      },
    });
  });

  it('reads its settings from the environment', () => {
    expect(readPauseResumeStepConfig({ BACKUP_BUCKET_NAME: 'b', ENVIRONMENTS_TABLE_NAME: 't' })).toEqual({
      backupBucket: 'b',
      environmentsTable: 't',
      kmsKeyArn: undefined,
    });
    expect(() => readPauseResumeStepConfig({ BACKUP_BUCKET_NAME: 'b' })).toThrow(/ENVIRONMENTS_TABLE_NAME/);
  });
});

describe('Function: metadata-transfer, stale-lock takeover', () => {
  const STALE_ID = '20261126T180000Z-pause-dev-0';
  const STALE = `backups/dev/${STALE_ID}/`;

  it('runningExports counts queued and running export runs and names them; no export DAG is none', async () => {
    const requests: Array<{ path: string; query?: Record<string, unknown> }> = [];
    const { deps } = fakeDeps({
      rest: (request) => {
        requests.push(request);
        return request.query?.state === 'running'
          ? {
              status: 200,
              body: { total_entries: 1, dag_runs: [{ dag_run_id: `mwaa_ops_export__${STALE_ID}` }] },
            }
          : { status: 200, body: { total_entries: 0, dag_runs: [] } };
      },
    });
    expect(await handlePauseResumeStep({ action: 'runningExports', environment: 'dev' }, deps)).toEqual({
      running: 1,
      runIds: [`mwaa_ops_export__${STALE_ID}`],
    });
    expect(requests.map((r) => [r.path, r.query?.state])).toEqual([
      ['/dags/mwaa_ops_export/dagRuns', 'queued'],
      ['/dags/mwaa_ops_export/dagRuns', 'running'],
    ]);
    const noDag = fakeDeps({ rest: () => ({ status: 404, body: {} }) });
    expect(await handlePauseResumeStep({ action: 'runningExports', environment: 'dev' }, noDag.deps)).toEqual(
      {
        running: 0,
        runIds: [],
      },
    );
    const broken = fakeDeps({ rest: () => ({ status: 503, body: {} }) });
    expect(
      await nameOf(handlePauseResumeStep({ action: 'runningExports', environment: 'dev' }, broken.deps)),
    ).toBe('EnvironmentNotAvailableError');
  });

  it('inheritActiveDags carries the stopped attempt’s active DAGs into the new backup, merged', async () => {
    const { deps } = fakeDeps({});
    await putJson(deps.storeFor('backups-bucket', STALE), 'active-dags.json', {
      activeDags: ['etl', 'ml', 'mwaa_ops_export', 7],
    });
    await putJson(deps.storeFor('backups-bucket', PREFIX), 'active-dags.json', {
      activeDags: ['adhoc', 'etl'],
    });
    const input = {
      action: 'inheritActiveDags',
      ...where,
      backupId: BACKUP_ID,
      from: { bucket: 'backups-bucket', prefix: STALE, backupId: STALE_ID },
    };
    expect(await handlePauseResumeStep(input, deps)).toEqual({ inherited: 2, activeDags: 3 });
    const stored = await deps.storeFor('backups-bucket', PREFIX).get('active-dags.json');
    expect(JSON.parse(Buffer.from(stored as Uint8Array).toString())).toEqual({
      activeDags: ['adhoc', 'etl', 'ml'],
      inheritedFrom: STALE_ID,
    });
    // A retried step writes the same record.
    expect(await handlePauseResumeStep(input, deps)).toEqual({ inherited: 2, activeDags: 3 });
  });

  it('inheritActiveDags refuses another environment’s backup and a committed one', async () => {
    const { deps } = fakeDeps({});
    const base = { action: 'inheritActiveDags', ...where, backupId: BACKUP_ID };
    expect(
      await nameOf(
        handlePauseResumeStep(
          { ...base, from: { bucket: 'backups-bucket', prefix: `backups/prod/${STALE_ID}/` } },
          deps,
        ),
      ),
    ).toBe('ValidationError');
    expect(await nameOf(handlePauseResumeStep({ ...base, from: 'x' }, deps))).toBe('ValidationError');
    await putJson(deps.storeFor('backups-bucket', PREFIX), 'manifest.json', { formatVersion: 1 });
    expect(
      await nameOf(
        handlePauseResumeStep({ ...base, from: { bucket: 'backups-bucket', prefix: STALE } }, deps),
      ),
    ).toBe('ValidationError');
  });
});
