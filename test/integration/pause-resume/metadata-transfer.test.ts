/**
 * MetadataTransferFunction end to end on standalone emulators: the esbuild bundle of the real
 * handler, the local MWAA (Airflow 2.x with the emulated export/import DAGs, Airflow 3.x through
 * the REST API), the local S3 and the local Step Functions answering task tokens for real.
 * Export → verify → delete → recreate → import must bring every seeded row back exactly,
 * secrets included, and no secret may appear in a log line, a task answer or execution history.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CreateEnvironmentCommand,
  DeleteEnvironmentCommand,
  GetEnvironmentCommand,
  MWAAClient,
} from '@aws-sdk/client-mwaa';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { build } from 'esbuild';
import { parseManifest, readTableFile, rowCounts } from '../../../functions/shared/backup/index.ts';
import { createClock } from '../../../local/core/clock.ts';
import { createFaultRegistry } from '../../../local/core/faults.ts';
import type { LocalStateMachine, Targets } from '../../../local/core/model.ts';
import type { ServiceContext } from '../../../local/core/service.ts';
import { type MwaaHandle, startMwaa } from '../../../local/mwaa/index.ts';
import {
  installTransferDags,
  type TransferDagsHandle,
  transferDagClients,
} from '../../../local/mwaa/transfer-dags.ts';
import { type S3Emulator, startS3 } from '../../../local/s3/index.ts';
import { type StepFunctionsHandle, startStepFunctions } from '../../../local/stepfunctions/index.ts';
import { functionBundleOptions, root } from '../../../scripts/esbuild-options.ts';
import {
  configTables,
  dagPauseStates,
  runHistory,
  withoutColumns,
  withoutTransferDags,
} from '../../helpers/workflow-tests.ts';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const BUCKET = 'mwaa-ops-backups-test';
const FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:MetadataTransferFunction`;

/** Secret values seeded into the environments; none may leave the backup files. */
const SECRETS = {
  variable: 'sEcReT-variable-value\nsecond line ✓ ünïcødé',
  password: 'p@ss-W0rd-that-must-not-leak',
  extraToken: 'tok-extra-9f8e7d6c',
};

let ctx: ServiceContext;
let mwaa: MwaaHandle;
let s3emu: S3Emulator;
let sfn: StepFunctionsHandle;
let transfer: TransferDagsHandle;
let mwaaClient: MWAAClient;
let s3: S3Client;
let bundleDir: string;
let handler: (event: unknown, context: unknown) => Promise<unknown>;
const logLines: string[] = [];
const savedEnv = { ...process.env };
let restoreStdout: (() => void) | undefined;

const lambdaContext = {
  functionName: 'MetadataTransferFunction',
  functionVersion: '$LATEST',
  invokedFunctionArn: FUNCTION_ARN,
  memoryLimitInMB: '512',
  awsRequestId: 'req-1',
  logGroupName: '/aws/lambda/MetadataTransferFunction',
  logStreamName: 'stream',
  callbackWaitsForEmptyEventLoop: false,
  getRemainingTimeInMillis: () => 60_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

const invoke = (event: Record<string, unknown>) => handler(event, lambdaContext);

const targets: Targets = {
  invokeFunction: async (name, payload) => {
    if (!name.endsWith('MetadataTransferFunction')) throw new Error(`unknown function ${name}`);
    return handler(payload, lambdaContext);
  },
  startExecution: async () => {
    throw new Error('not used');
  },
  publish: async () => undefined,
  sendMessage: async () => undefined,
  putEvents: async () => undefined,
  deliver: async () => undefined,
};

/** One callback task calling the function with the task token, as the pause/resume ASL does. */
const transferMachine = (name: string, heartbeatSeconds: number): LocalStateMachine => ({
  logicalId: name,
  name,
  arn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`,
  definition: {
    StartAt: 'Transfer',
    States: {
      Transfer: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: {
          FunctionName: FUNCTION_ARN,
          Payload: {
            'action.$': '$.action',
            'environment.$': '$.environment',
            'bucket.$': '$.bucket',
            'prefix.$': '$.prefix',
            'backupId.$': '$.backupId',
            'executionArn.$': '$$.Execution.Id',
            'taskToken.$': '$$.Task.Token',
            heartbeatSeconds,
          },
        },
        HeartbeatSeconds: heartbeatSeconds,
        TimeoutSeconds: 7200,
        End: true,
      },
    },
  },
});

const MACHINE = transferMachine('transfer', 1800);
const SHORT_HEARTBEAT = transferMachine('transfer-short-heartbeat', 120);

async function runTransfer(machine: LocalStateMachine, input: Record<string, unknown>, name?: string) {
  const arn = await sfn.startExecution(machine.arn, input, name);
  const outcome = await sfn.waitForExecution(arn, { timeoutMs: 30_000 });
  return { arn, outcome, history: JSON.stringify(sfn.history(arn)) };
}

const realSleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(name: string, want: string | 'GONE') {
  for (let i = 0; i < 600; i += 1) {
    try {
      const { Environment } = await mwaaClient.send(new GetEnvironmentCommand({ Name: name }));
      if (Environment?.Status === want) return;
    } catch (error) {
      if ((error as Error).name === 'ResourceNotFoundException' && want === 'GONE') return;
      if ((error as Error).name !== 'ResourceNotFoundException') throw error;
    }
    await realSleep(25);
  }
  throw new Error(`${name} never reached ${want}`);
}

async function createEnvironment(name: string, version: string) {
  await mwaaClient.send(
    new CreateEnvironmentCommand({
      Name: name,
      AirflowVersion: version,
      ExecutionRoleArn: `arn:aws:iam::${ACCOUNT}:role/mwaa-execution`,
      SourceBucketArn: 'arn:aws:s3:::mwaa-dags',
      DagS3Path: 'dags',
      NetworkConfiguration: { SubnetIds: ['subnet-a', 'subnet-b'], SecurityGroupIds: ['sg-1'] },
      Tags: { team: 'data' },
    }),
  );
  await waitFor(name, 'AVAILABLE');
}

/** Variables, connections, pools, DAGs and finished runs, with awkward values. */
async function seed(name: string, options: { history: boolean; passwords: boolean }) {
  const airflow = mwaa.airflow(name);
  airflow.addDag('etl_daily', { paused: false, tasks: ['extract', 'load'], durationMs: 1_000 });
  airflow.addDag('reports', { paused: true });
  airflow.addDag('ml_train', { paused: false, durationMs: 1_000 });
  airflow.setVariable('api_secret', SECRETS.variable, 'the secret one');
  airflow.setVariable('plain', 'hello', null as unknown as undefined);
  airflow.setVariable('json_cfg', '{"a": [1, 2, {"b": null}]}', 'multi\nline description');
  airflow.setConnection({
    conn_id: 'warehouse',
    conn_type: 'postgres',
    host: 'db.internal',
    schema: 'analytics',
    login: 'etl',
    port: 5432,
    ...(options.passwords
      ? { password: SECRETS.password, extra: JSON.stringify({ token: SECRETS.extraToken }) }
      : {}),
    description: 'main DWH',
  });
  airflow.setConnection({
    conn_id: 'http_api',
    conn_type: 'http',
    host: 'api.example.com',
    extra: '{"timeout": 30}',
  });
  airflow.setPool('default_pool', 64, 'Default pool (resized)');
  airflow.setPool('gpu', 2, 'GPU slots', true);
  if (options.history) {
    for (let i = 0; i < 3; i += 1) {
      const run = airflow.triggerDagRun('etl_daily', {
        runId: `manual__seed_${i}`,
        logicalDate: `2026-11-2${i}T10:00:00+00:00`,
        conf: { i, note: 'line1\nline2' },
      });
      await airflow.waitForRun('etl_daily', String(run.run_id));
    }
  }
}

/** Config tables as a comparable snapshot (surrogate ids and encryption flags left out). */
const configOf = (name: string) => configTables(mwaa.airflow(name).store);

function historyOf(name: string) {
  const store = mwaa.airflow(name).store;
  return {
    ...runHistory(store),
    log: withoutColumns(
      withoutTransferDags(store.all('SELECT * FROM log WHERE dag_id IS NOT NULL ORDER BY id')),
      ['id'],
    ),
  };
}

const pausedState = (name: string) => dagPauseStates(mwaa.airflow(name).store);

async function objectBytes(key: string) {
  const out = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return (await out.Body?.transformToByteArray()) ?? new Uint8Array();
}

async function objectExists(key: string) {
  try {
    await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return true;
  } catch {
    return false;
  }
}

function expectNoSecrets(...texts: string[]) {
  for (const text of texts) {
    for (const secret of [SECRETS.password, SECRETS.extraToken, 'sEcReT-variable-value']) {
      expect(text).not.toContain(secret);
    }
  }
}

let planCounter = 0;
async function planFor(environment: string) {
  planCounter += 1;
  return (await invoke({
    action: 'plan',
    environment,
    executionArn: `arn:aws:states:${REGION}:${ACCOUNT}:execution:pause:pause-${environment}-${planCounter}`,
    startTime: new Date(Date.UTC(2026, 10, 26, 19, 0, planCounter)).toISOString(),
  })) as { backupId: string; bucket: string; prefix: string };
}

async function errorOf(promise: Promise<unknown>): Promise<Error & { reason?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

beforeAll(async () => {
  bundleDir = mkdtempSync(join(tmpdir(), 'mwaa-ops-transfer-bundle-'));
  const bundle = join(bundleDir, 'index.mjs');
  await build({
    ...functionBundleOptions,
    entryPoints: [join(root, 'functions', 'metadata-transfer', 'index.ts')],
    // Code splitting writes the lazily loaded chunks beside index.mjs (as npm run build does).
    outdir: bundleDir,
    outExtension: { '.js': '.mjs' },
    logLevel: 'warning',
  });

  ctx = {
    clock: createClock(1000),
    faults: createFaultRegistry(),
    region: REGION,
    accountId: ACCOUNT,
    log: () => undefined,
  };
  mwaa = await startMwaa(ctx, { targets, tokenRealFloorMs: 1_500 });
  s3emu = await startS3(ctx, {
    buckets: [
      {
        logicalId: 'BackupBucket',
        name: BUCKET,
        arn: `arn:aws:s3:::${BUCKET}`,
        notifications: [],
        eventBridge: false,
        versioned: true,
      },
    ],
    targets,
  });
  sfn = await startStepFunctions(ctx, {
    stateMachines: [MACHINE, SHORT_HEARTBEAT],
    targets,
    validate: false,
    sdkEnv: () => ({
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    }),
  });
  mwaaClient = new MWAAClient({
    region: REGION,
    endpoint: mwaa.url,
    disableHostPrefix: true,
    credentials: CREDENTIALS,
  });
  s3 = new S3Client({
    region: REGION,
    endpoint: s3emu.url,
    forcePathStyle: true,
    credentials: CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const clients = transferDagClients({
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_S3: s3emu.url,
    AWS_ENDPOINT_URL_SFN: sfn.url,
  });
  // This suite's one-state machines stand in for the stack's backup and resume workflows.
  const workflows = [MACHINE.name, SHORT_HEARTBEAT.name];
  transfer = installTransferDags(mwaa, {
    ...clients,
    kmsKeyId: 'alias/mwaa-ops-backups',
    configuration: {
      stackName: 'mwaa-ops',
      backupBucket: BUCKET,
      workflows: { export: workflows, import: workflows },
    },
  });

  Object.assign(process.env, {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_MWAA: mwaa.url,
    AWS_ENDPOINT_URL_S3: s3emu.url,
    AWS_ENDPOINT_URL_SFN: sfn.url,
    AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9',
    BACKUP_BUCKET_NAME: BUCKET,
    BACKUP_KMS_KEY_ARN: `arn:aws:kms:${REGION}:${ACCOUNT}:key/test`,
    ENVIRONMENTS_TABLE_NAME: 'mwaa-ops-environments',
    POWERTOOLS_SERVICE_NAME: 'metadata-transfer',
    POWERTOOLS_TRACE_DISABLED: 'true',
    AWS_LAMBDA_FUNCTION_NAME: 'MetadataTransferFunction',
  });
  // Every line the function logs, to prove no secret is in any of them.
  const write = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    logLines.push(String(chunk));
    // The function's structured log lines are kept for the assertions, not echoed.
    if (String(chunk).startsWith('{"level"')) return true;
    return write(chunk as string, ...(rest as []));
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    logLines.push(String(chunk));
    return writeErr(chunk as string, ...(rest as []));
  }) as typeof process.stderr.write;
  restoreStdout = () => {
    process.stdout.write = write;
    process.stderr.write = writeErr;
  };
  ({ handler } = (await import(pathToFileURL(bundle).href)) as { handler: typeof handler });
}, 120_000);

afterAll(async () => {
  restoreStdout?.();
  transfer?.close();
  await sfn?.close();
  await mwaa?.close();
  await s3emu?.close();
  ctx?.clock.dispose();
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
  if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
});

describe('MetadataTransferFunction on Airflow 2.x (emulated export/import DAGs)', () => {
  it('exports, verifies and restores every seeded row into a recreated environment, secrets included', async () => {
    const env = 'dev2x';
    await createEnvironment(env, '2.10.3');
    await seed(env, { history: true, passwords: true });
    const beforeConfig = configOf(env);
    const beforeHistory = historyOf(env);
    const beforePaused = pausedState(env);
    expect(beforeHistory.dag_run).toHaveLength(3);

    const location = await planFor(env);
    expect(location.prefix).toBe(`backups/${env}/${location.backupId}/`);
    const snap = (await invoke({ action: 'snapshot', environment: env, ...location })) as Record<
      string,
      unknown
    >;
    expect(snap).toEqual({
      snapshotKey: `${location.prefix}environment.json`,
      airflowVersion: '2.10.3',
      status: 'AVAILABLE',
      // What the backup child records in EnvironmentsTable (docs/pause-resume.md, Isolation).
      snapshotSha256: createHash('sha256')
        .update(await objectBytes(`${location.prefix}environment.json`))
        .digest('hex'),
      recreation: expect.objectContaining({ AirflowVersion: '2.10.3', DagS3Path: 'dags' }),
    });

    const exported = await runTransfer(MACHINE, { action: 'export', environment: env, ...location });
    expect(exported.outcome.status).toBe('SUCCEEDED');
    const answer = exported.outcome.output as {
      tables: Record<string, number>;
      activeDags: number;
      manifestKey: string;
    };
    expect(answer.activeDags).toBe(2);
    expect(answer.manifestKey).toBe(`${location.prefix}manifest.json`);
    expect(answer.tables).toMatchObject({ variable: 3, connection: 2, slot_pool: 2 });
    expect(answer.tables.dag_run).toBeGreaterThanOrEqual(4); // the seeded runs + the export's own
    // The export paused the active DAGs (they run again only after the import).
    expect(pausedState(env)).toEqual({ etl_daily: 1, ml_train: 1, reports: 1 });

    const verified = (await invoke({ action: 'verify', environment: env, ...location })) as Record<
      string,
      unknown
    >;
    expect(verified).toMatchObject({ verified: true, airflowVersion: '2.10.3', kind: 'database' });
    expect(verified.manifestSha256).toBe(
      createHash('sha256')
        .update(await objectBytes(`${location.prefix}manifest.json`))
        .digest('hex'),
    );
    expect(verified.snapshotSha256).toBe(snap.snapshotSha256);
    // The emulated DAG writes with its own implementation of the format: the product's reader
    // must also decode what it wrote, not only accept its checksums.
    const manifest = parseManifest(
      Buffer.from(await objectBytes(`${location.prefix}manifest.json`)).toString('utf8'),
    );
    const variableEntry = manifest.tables.variable;
    const variables = readTableFile(
      await objectBytes(`${location.prefix}${variableEntry?.file}`),
      variableEntry?.columns,
    );
    expect(Object.fromEntries(variables.map((row) => [row.key, row.val]))).toEqual(
      mwaa.airflow(env).variables(),
    );
    expect(rowCounts(manifest)).toEqual(answer.tables);

    // A retried export of the same backup finds its run instead of starting a second one.
    const again = (await invoke({
      action: 'export',
      environment: env,
      ...location,
      executionArn: exported.arn,
      taskToken: 'retried-token',
    })) as Record<string, unknown>;
    expect(again).toMatchObject({
      mode: 'dag',
      outcome: 'already-exists',
      runId: `mwaa_ops_export__${location.backupId}`,
    });
    expect(mwaa.airflow(env).dagRuns('mwaa_ops_export')).toHaveLength(1);

    await mwaaClient.send(new DeleteEnvironmentCommand({ Name: env }));
    await waitFor(env, 'GONE');
    // The DAG files stay in the DAG folder: a recreated environment parses them again.
    for (const dagId of ['etl_daily', 'reports', 'ml_train']) mwaa.dagBehaviours.preinstall(dagId);
    expect(await invoke({ action: 'recreate', environment: env, ...location })).toEqual({ created: true });
    expect(await invoke({ action: 'recreate', environment: env, ...location })).toEqual({
      created: false,
      status: 'CREATING',
    });
    await waitFor(env, 'AVAILABLE');
    expect(configOf(env)).not.toEqual(beforeConfig);

    const imported = await runTransfer(MACHINE, { action: 'import', environment: env, ...location });
    expect(imported.outcome.status).toBe('SUCCEEDED');
    expect((imported.outcome.output as { restored: Record<string, number> }).restored).toEqual(answer.tables);

    expect(configOf(env)).toEqual(beforeConfig);
    expect(mwaa.airflow(env).variables().api_secret).toBe(SECRETS.variable);
    const restoredHistory = historyOf(env);
    expect(restoredHistory.dag_run).toEqual(beforeHistory.dag_run);
    expect(restoredHistory.task_instance).toEqual(beforeHistory.task_instance);
    for (const row of beforeHistory.log) expect(restoredHistory.log).toContainEqual(row);
    expect(pausedState(env)).toEqual(beforePaused);
    const { Environment } = await mwaaClient.send(new GetEnvironmentCommand({ Name: env }));
    expect(Environment?.Tags).toEqual({ team: 'data' });

    // A second import of the same backup (a lost answer, a re-run) changes nothing.
    const rerun = await runTransfer(MACHINE, { action: 'import', environment: env, ...location });
    expect(rerun.outcome.status).toBe('SUCCEEDED');
    expect((rerun.outcome.output as { alreadyImported: boolean }).alreadyImported).toBe(true);
    expect(historyOf(env).dag_run).toEqual(beforeHistory.dag_run);

    // The log capture works (so the check below is not vacuous).
    expect(logLines.some((line) => line.includes('"action":"export"'))).toBe(true);
    expectNoSecrets(
      logLines.join(''),
      exported.history,
      imported.history,
      JSON.stringify(exported.outcome),
      JSON.stringify(transfer.answers),
    );
  }, 120_000);

  it('fails the export cleanly: DAGs re-enabled, no manifest, a named error', async () => {
    const env = 'dev2fail';
    await createEnvironment(env, '2.9.2');
    await seed(env, { history: false, passwords: true });
    expect(await invoke({ action: 'countRunning', environment: env })).toEqual({ running: 0 });
    mwaa.airflow(env).triggerDagRun('reports', { runId: 'manual__waits_while_paused' });
    expect(await invoke({ action: 'countRunning', environment: env })).toEqual({ running: 1 });
    const location = await planFor(env);
    transfer.faults.set(env, 'export-fails');
    const { outcome } = await runTransfer(MACHINE, { action: 'export', environment: env, ...location });
    transfer.faults.clear(env);
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'MwaaOps.TransferFailed' });
    expect(pausedState(env)).toEqual({ etl_daily: 0, ml_train: 0, reports: 1 });
    expect(await objectExists(`${location.prefix}manifest.json`)).toBe(false);
    const error = await errorOf(invoke({ action: 'verify', environment: env, ...location }));
    expect(error).toMatchObject({ name: 'BackupVerificationError', reason: 'manifest-missing' });
  }, 60_000);

  it('times out on lost heartbeats and unpauseActiveDags re-enables the DAGs', async () => {
    const env = 'dev2hang';
    await createEnvironment(env, '2.10.3');
    await seed(env, { history: false, passwords: false });
    const location = await planFor(env);
    transfer.faults.set(env, 'no-heartbeat');
    const { outcome } = await runTransfer(SHORT_HEARTBEAT, {
      action: 'export',
      environment: env,
      ...location,
    });
    transfer.faults.clear(env);
    // A lost heartbeat is States.HeartbeatTimeout, as on AWS (docs/local-cloud.md).
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'States.HeartbeatTimeout' });
    expect(outcome.cause).toMatch(/heartbeat/i);
    expect(pausedState(env)).toEqual({ etl_daily: 1, ml_train: 1, reports: 1 });
    expect(await invoke({ action: 'unpauseActiveDags', environment: env, ...location })).toEqual({
      unpaused: 2,
      environmentExists: true,
    });
    expect(pausedState(env)).toEqual({ etl_daily: 0, ml_train: 0, reports: 1 });
  }, 60_000);

  it('a corrupted checksum fails verification; a failed import rolls back and can be re-run', async () => {
    const env = 'dev2corrupt';
    await createEnvironment(env, '2.10.3');
    await seed(env, { history: true, passwords: true });
    const corrupt = await planFor(env);
    transfer.faults.set(env, 'corrupt-checksum');
    const exported = await runTransfer(MACHINE, { action: 'export', environment: env, ...corrupt });
    transfer.faults.clear(env);
    expect(exported.outcome.status).toBe('SUCCEEDED');
    const error = await errorOf(invoke({ action: 'verify', environment: env, ...corrupt }));
    expect(error).toMatchObject({ name: 'BackupVerificationError', reason: 'checksum-mismatch' });
    // Importing the corrupt backup is refused before anything is touched.
    const refused = await runTransfer(MACHINE, { action: 'import', environment: env, ...corrupt });
    expect(refused.outcome).toMatchObject({ status: 'FAILED', error: 'MwaaOps.BackupIncompatible' });

    // History is added, never merged: importing into the environment it came from is refused.
    const good = await planFor(env);
    await invoke({ action: 'snapshot', environment: env, ...good });
    const second = await runTransfer(MACHINE, { action: 'export', environment: env, ...good });
    expect(second.outcome.status).toBe('SUCCEEDED');
    const expectedConfig = configOf(env);
    const expectedHistory = historyOf(env);
    const duplicate = await runTransfer(MACHINE, { action: 'import', environment: env, ...good });
    expect(duplicate.outcome).toMatchObject({ status: 'FAILED', error: 'MwaaOps.DuplicateKey' });
    expect(configOf(env)).toEqual(expectedConfig);

    // Into the recreated environment: a failing import leaves nothing behind, a re-run restores.
    await mwaaClient.send(new DeleteEnvironmentCommand({ Name: env }));
    await waitFor(env, 'GONE');
    expect(await invoke({ action: 'recreate', environment: env, ...good })).toEqual({ created: true });
    await waitFor(env, 'AVAILABLE');
    const empty = configOf(env);
    transfer.faults.set(env, 'import-fails');
    const failed = await runTransfer(MACHINE, { action: 'import', environment: env, ...good });
    transfer.faults.clear(env);
    expect(failed.outcome).toMatchObject({ status: 'FAILED', error: 'MwaaOps.TransferFailed' });
    expect(configOf(env)).toEqual(empty);
    expect(historyOf(env).dag_run).toEqual([]);
    expect((await invoke({ action: 'verify', environment: env, ...good })) as object).toMatchObject({
      verified: true,
    });
    const rerun = await runTransfer(MACHINE, { action: 'import', environment: env, ...good });
    expect(rerun.outcome.status).toBe('SUCCEEDED');
    expect(configOf(env)).toEqual(expectedConfig);
    const restored = historyOf(env);
    // The export runs were running while their backups were taken: restored as finished.
    const finished = (rows: Array<Record<string, unknown>>) =>
      rows.filter((r) => !String(r.run_id).startsWith('mwaa_ops_'));
    expect(finished(restored.dag_run)).toEqual(finished(expectedHistory.dag_run));
    expect(finished(restored.task_instance)).toEqual(finished(expectedHistory.task_instance));
  }, 90_000);
});

describe('MetadataTransferFunction on Airflow 3.x (REST API)', () => {
  it('backs up and restores variables, connections, pools and pause states through the REST API', async () => {
    const env = 'dev3x';
    await createEnvironment(env, '3.0.6');
    await seed(env, { history: false, passwords: false });
    const airflow = mwaa.airflow(env);
    const run = airflow.triggerDagRun('etl_daily', { runId: 'manual__archive', logicalDate: null });
    await airflow.waitForRun('etl_daily', String(run.run_id));
    const beforeConfig = configOf(env);
    const beforePaused = pausedState(env);

    const location = await planFor(env);
    await invoke({ action: 'snapshot', environment: env, ...location });
    const exported = await runTransfer(MACHINE, { action: 'export', environment: env, ...location });
    expect(exported.outcome.status).toBe('SUCCEEDED');
    expect(exported.outcome.output).toMatchObject({
      activeDags: 2,
      tables: { variable: 3, connection: 2, slot_pool: 2, dag: 3, dag_run: 1 },
    });
    expect(await invoke({ action: 'verify', environment: env, ...location })).toMatchObject({
      verified: true,
      kind: 'rest',
    });

    await mwaaClient.send(new DeleteEnvironmentCommand({ Name: env }));
    await waitFor(env, 'GONE');
    for (const dagId of ['etl_daily', 'ml_train']) mwaa.dagBehaviours.preinstall(dagId);
    // `reports` was paused in the source, but its file says is_paused_upon_creation=False: the
    // recreated environment starts it unpaused, and the restore must pause it again.
    mwaa.dagBehaviours.preinstall('reports', { paused: false });
    expect(await invoke({ action: 'recreate', environment: env, ...location })).toEqual({ created: true });
    await waitFor(env, 'AVAILABLE');
    expect(pausedState(env)).toMatchObject({ reports: 0 });
    mwaa.airflow(env).setVariable('stale', 'must be removed by replace semantics');

    const imported = await runTransfer(MACHINE, { action: 'import', environment: env, ...location });
    expect(imported.outcome.status).toBe('SUCCEEDED');
    expect(imported.outcome.output).toMatchObject({
      restored: { variable: 3, connection: 2, slot_pool: 2, dag: 2 },
      archivedOnly: ['dag_run'],
    });
    expect(configOf(env)).toEqual(beforeConfig);
    expect(pausedState(env)).toEqual(beforePaused);
    expectNoSecrets(logLines.join(''), exported.history, imported.history);
  }, 120_000);

  it('refuses to back up secrets the API masks, and re-enables the DAGs it paused', async () => {
    const env = 'dev3masked';
    await createEnvironment(env, '3.0.6');
    await seed(env, { history: false, passwords: true });
    const location = await planFor(env);
    const { outcome, history } = await runTransfer(MACHINE, {
      action: 'export',
      environment: env,
      ...location,
    });
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'SecretsNotExportableError' });
    expect(outcome.cause).toContain('connection warehouse');
    expect(pausedState(env)).toEqual({ etl_daily: 0, ml_train: 0, reports: 1 });
    expect(await objectExists(`${location.prefix}manifest.json`)).toBe(false);
    expectNoSecrets(history, logLines.join(''));
  }, 60_000);
});
