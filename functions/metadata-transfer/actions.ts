/**
 * MetadataTransferFunction's actions: the contract between the pause/resume workflows and the
 * backup (docs/pause-resume.md "How the backup is taken"). Every action takes its clients as
 * parameters; index.ts only wires them. Answers carry locations and counts, never values.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { MWAAClient } from '@aws-sdk/client-mwaa';
import {
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import {
  dispatchAction,
  type ActionInput as Input,
  requiredString as str,
} from '../shared/action-dispatch.ts';
import type { AirflowClient } from '../shared/airflow/index.ts';
import { DagNotFoundError } from '../shared/airflow/index.ts';
import { parseVersion } from '../shared/airflow/versions.ts';
import {
  ACTIVE_DAGS_FILE,
  type BackupStore,
  BackupVerificationError,
  backupIdFor,
  backupPrefix,
  EXPORT_DAG_ID,
  exportRunId,
  getJson,
  IMPORT_DAG_ID,
  importRunId,
  isTransferDag,
  MANIFEST_FILE,
  putJson,
  recreationFields,
  rowCounts,
  SNAPSHOT_FILE,
  sanitizeSnapshot,
  UnrecordedBackupError,
  verifyBackup,
} from '../shared/backup/index.ts';
import { digest } from '../shared/backup/table-file.ts';
import { describeError, ValidationError } from '../shared/errors.ts';
import { recreateEnvironment } from './environment-recreation.ts';
import { EnvironmentNotAvailableError, NoBackupError, TransferDagMissingError } from './errors.ts';
import { backupLocation as location } from './location.ts';
import { existingEnvironment } from './mwaa-environment.ts';
import { exportThroughRest, importThroughRest } from './rest-transfer.ts';
import { readSecretsThroughTask, type SecretsTaskDeps } from './secrets-task.ts';
import { isRecord, optionalDigest, SHA256 } from './step-input.ts';
import { inheritActiveDags, runningExports } from './takeover.ts';

export interface PauseResumeStepDeps {
  mwaa: Pick<MWAAClient, 'send'>;
  sfn: Pick<SFNClient, 'send'>;
  ddb: Pick<DynamoDBDocumentClient, 'send'>;
  airflow: Pick<AirflowClient, 'rest' | 'setPaused' | 'triggerDagRun' | 'environment'>;
  /** The backup store for a bucket + prefix (S3 with SSE-KMS in Lambda). */
  storeFor: (bucket: string, prefix: string) => BackupStore;
  backupBucket: string;
  environmentsTable: string;
  /** Passed to the 2.x DAGs as `backup.kmsKeyId`, so they write with the backup key too. */
  kmsKeyArn?: string;
  log: Pick<Logger, 'info' | 'warn'>;
  now?: () => Date;
  /** How the Airflow 3 export polls its secrets task (tests shorten it). */
  secretsPolling?: Pick<SecretsTaskDeps, 'sleep' | 'pollIntervalMs' | 'maxPolls'>;
}

const majorOf = (version: string) => parseVersion(version)[0];

/** `plan`: the backup id and location, deterministic in the execution. */
export function plan(input: Input, deps: PauseResumeStepDeps) {
  const environment = str(input, 'environment');
  const backupId = backupIdFor(str(input, 'executionArn'), str(input, 'startTime'));
  return { backupId, bucket: deps.backupBucket, prefix: backupPrefix(environment, backupId) };
}

/** `snapshot`: the sanitized CreateEnvironment input, written to environment.json. */
export async function snapshot(input: Input, deps: PauseResumeStepDeps) {
  const { environment, prefix, store } = location(input, deps);
  const env = await existingEnvironment(deps.mwaa, environment);
  if (!env) throw new EnvironmentNotAvailableError(`MWAA environment ${environment} does not exist`);
  const status = String(env.Status);
  if (status !== 'AVAILABLE')
    throw new EnvironmentNotAvailableError(`MWAA environment ${environment} is ${status}, not AVAILABLE`, {
      context: { status },
    });
  const snapshotKey = `${prefix}${SNAPSHOT_FILE}`;
  const sanitized = sanitizeSnapshot(env as unknown as Record<string, unknown>);
  // A committed backup is immutable: a retry after the commit keeps the snapshot it has.
  let body: Uint8Array | undefined;
  if ((await store.get(MANIFEST_FILE)) === undefined) body = await putJson(store, SNAPSHOT_FILE, sanitized);
  else body = await store.get(SNAPSHOT_FILE);
  if (body === undefined)
    throw new BackupVerificationError('file-missing', `${prefix}${SNAPSHOT_FILE} does not exist`, {
      context: { file: SNAPSHOT_FILE },
    });
  // The digest of the bytes written here, and the recreation-critical settings read from MWAA
  // (never from S3): the backup child records both in EnvironmentsTable, where the execution
  // role cannot write, and resume recreates only from a snapshot that matches them.
  return {
    snapshotKey,
    airflowVersion: String(env.AirflowVersion),
    status,
    snapshotSha256: digest(body).sha256,
    recreation: recreationFields(sanitized),
  };
}

/**
 * `countRunning`: DAG runs queued or running, for the bounded drain. With `excludeTransferDags`
 * (the pause's abort-if-busy check, which runs right after its own export) the export/import
 * DAGs' runs do not count: the export's run may still be finishing when its answer arrives.
 */
export async function countRunning(input: Input, deps: PauseResumeStepDeps) {
  const environment = str(input, 'environment');
  const exclude = input.excludeTransferDags === true;
  let running = 0;
  for (const state of ['running', 'queued']) {
    for (let offset = 0; ; offset += RUN_PAGE) {
      const response = await deps.airflow.rest(environment, {
        method: 'GET',
        path: '/dags/~/dagRuns',
        query: exclude ? { state, limit: RUN_PAGE, offset } : { state, limit: 1 },
      });
      if (response.status !== 200)
        throw new EnvironmentNotAvailableError(
          `Airflow on ${environment} answered HTTP ${response.status} to a run listing`,
        );
      const body = response.body as { total_entries?: unknown; dag_runs?: unknown };
      const total = Number(body.total_entries ?? 0);
      if (!exclude) {
        running += total;
        break;
      }
      const runs = Array.isArray(body.dag_runs) ? (body.dag_runs as Array<{ dag_id?: unknown }>) : [];
      running += runs.filter((run) => !isTransferDag(String(run.dag_id))).length;
      if (runs.length < RUN_PAGE || offset + RUN_PAGE >= total) break;
    }
  }
  return { running };
}

const RUN_PAGE = 100;

function taskInput(input: Input, deps: PauseResumeStepDeps) {
  const where = location(input, deps);
  return {
    ...where,
    executionArn: str(input, 'executionArn'),
    taskToken: str(input, 'taskToken'),
    heartbeatSeconds: typeof input.heartbeatSeconds === 'number' ? input.heartbeatSeconds : undefined,
    expectedManifestSha256: optionalDigest(input, 'expectedManifestSha256'),
  };
}

/**
 * The conf of a transfer DAG run: what dags/mwaa_ops/conf.py (and the local emulation) read as
 * TransferConf. A DAG run conf, not our config: it travels to Airflow and may not hold secrets.
 */
function transferConf(task: ReturnType<typeof taskInput>, kmsKeyArn: string | undefined) {
  return {
    task_token: task.taskToken,
    backup: {
      bucket: task.bucket,
      prefix: task.prefix,
      backupId: task.backupId,
      ...(kmsKeyArn ? { kmsKeyId: kmsKeyArn } : {}),
      // The import refuses a manifest whose bytes are not the ones verified and recorded.
      ...(task.expectedManifestSha256 ? { manifestSha256: task.expectedManifestSha256 } : {}),
    },
    environment: task.environment,
    execution_arn: task.executionArn,
    ...(task.heartbeatSeconds === undefined ? {} : { heartbeat_seconds: task.heartbeatSeconds }),
  };
}

async function triggerTransferDag(
  deps: PauseResumeStepDeps,
  task: ReturnType<typeof taskInput>,
  dagId: string,
  runId: string,
) {
  try {
    // Unpause explicitly rather than trust the client's cached pause state: a warm container may
    // have seen this DAG unpaused in the environment's previous life (before a delete/recreate).
    await deps.airflow.setPaused(task.environment, dagId, false);
    const result = await deps.airflow.triggerDagRun(task.environment, {
      dagId,
      runId,
      conf: transferConf(task, deps.kmsKeyArn),
      onPaused: 'unpause',
      note: `mwaa-ops ${dagId === EXPORT_DAG_ID ? 'export' : 'import'} of backup ${task.backupId}`,
    });
    deps.log.info('transfer DAG run requested', {
      dagId,
      runId,
      outcome: result.outcome,
      unpaused: result.unpaused,
    });
    return { mode: 'dag' as const, dagId, runId, outcome: result.outcome };
  } catch (error) {
    if (error instanceof DagNotFoundError) {
      throw new TransferDagMissingError(
        `DAG ${dagId} is not in environment ${task.environment}: deploy dags/ to its DAG folder (or wait for the DAG processor after a create)`,
        { cause: error, context: { dagId } },
      );
    }
    throw error;
  }
}

/** Answer the token ourselves (3.x path); if Step Functions cannot be told, fail the invocation. */
async function answerToken(
  deps: PauseResumeStepDeps,
  token: string,
  outcome: { output: unknown } | { error: unknown },
) {
  if ('output' in outcome) {
    await deps.sfn.send(
      new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(outcome.output) }),
    );
    return;
  }
  const { name, message } = describeError(outcome.error);
  try {
    await deps.sfn.send(
      new SendTaskFailureCommand({ taskToken: token, error: name, cause: message.slice(0, 1000) }),
    );
  } catch {
    throw outcome.error;
  }
}

const heartbeatOf = (deps: PauseResumeStepDeps, token: string) => async () => {
  await deps.sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }));
};

/** `export` (waitForTaskToken): trigger the export DAG (2.x) or back up through REST (3.x). */
export async function exportBackup(input: Input, deps: PauseResumeStepDeps) {
  const task = taskInput(input, deps);
  const info = await deps.airflow.environment(task.environment);
  if (majorOf(info.airflowVersion) < 3)
    return triggerTransferDag(deps, task, EXPORT_DAG_ID, exportRunId(task.backupId));
  try {
    const { manifest, resumed } = await exportThroughRest(
      {
        airflow: deps.airflow,
        heartbeat: heartbeatOf(deps, task.taskToken),
        ...(deps.now ? { now: deps.now } : {}),
        secrets: (request) =>
          readSecretsThroughTask(
            {
              airflow: deps.airflow,
              heartbeat: heartbeatOf(deps, task.taskToken),
              ...(deps.secretsPolling ?? {}),
            },
            task.store,
            {
              environment: task.environment,
              backupId: task.backupId,
              bucket: deps.backupBucket,
              ...(deps.kmsKeyArn ? { kmsKeyId: deps.kmsKeyArn } : {}),
            },
            request,
          ),
      },
      task.store,
      {
        environment: task.environment,
        backupId: task.backupId,
        executionArn: task.executionArn,
        airflowVersion: info.airflowVersion,
      },
    );
    const answer = {
      backupId: manifest.backupId,
      manifestKey: `${task.prefix}${MANIFEST_FILE}`,
      tables: rowCounts(manifest),
      activeDags: manifest.activeDags.length,
    };
    await answerToken(deps, task.taskToken, { output: answer });
    deps.log.info('REST export committed', { backupId: manifest.backupId, resumed, tables: answer.tables });
    return { mode: 'rest' as const, answered: 'success' as const };
  } catch (error) {
    deps.log.warn('REST export failed', { error: describeError(error).name });
    await answerToken(deps, task.taskToken, { error });
    return { mode: 'rest' as const, answered: 'failure' as const, error: describeError(error).name };
  }
}

/** `import` (waitForTaskToken): trigger the import DAG (2.x) or restore through REST (3.x). */
export async function importBackup(input: Input, deps: PauseResumeStepDeps) {
  const task = taskInput(input, deps);
  const info = await deps.airflow.environment(task.environment);
  if (majorOf(info.airflowVersion) < 3)
    return triggerTransferDag(deps, task, IMPORT_DAG_ID, importRunId(task.backupId, task.executionArn));
  try {
    const { restored, archivedOnly } = await importThroughRest(
      { airflow: deps.airflow, heartbeat: heartbeatOf(deps, task.taskToken) },
      task.store,
      {
        environment: task.environment,
        backupId: task.backupId,
        expectedManifestSha256: task.expectedManifestSha256,
      },
    );
    await answerToken(deps, task.taskToken, { output: { backupId: task.backupId, restored, archivedOnly } });
    deps.log.info('REST import done', { backupId: task.backupId, restored });
    return { mode: 'rest' as const, answered: 'success' as const };
  } catch (error) {
    deps.log.warn('REST import failed', { error: describeError(error).name });
    await answerToken(deps, task.taskToken, { error });
    return { mode: 'rest' as const, answered: 'failure' as const, error: describeError(error).name };
  }
}

/** `verify`: the backup verifies per docs/backup-format.md, or BackupVerificationError. */
export async function verify(input: Input, deps: PauseResumeStepDeps) {
  const { environment, backupId, prefix, store } = location(input, deps);
  const { manifest, manifestSha256, snapshotSha256 } = await verifyBackup(store, {
    environment,
    backupId,
    expectedManifestSha256: optionalDigest(input, 'expectedManifestSha256'),
    expectedSnapshotSha256: optionalDigest(input, 'expectedSnapshotSha256'),
  });
  return {
    verified: true,
    manifestKey: `${prefix}${MANIFEST_FILE}`,
    airflowVersion: manifest.airflowVersion,
    kind: manifest.kind,
    tables: rowCounts(manifest),
    // Computed here, by the function, from the bytes it verified: what the registry records.
    manifestSha256,
    snapshotSha256,
  };
}

/**
 * `findBackup`: the environment's last verified backup from EnvironmentsTable, with what was
 * recorded about it when it was verified (digests, recreation settings). A record from before
 * digests were recorded is refused (UnrecordedBackupError) unless `trustUnrecordedBackup` is
 * true; then the digests are null and the later steps check the backup's own checksums only.
 */
export async function findBackup(input: Input, deps: PauseResumeStepDeps) {
  const environment = str(input, 'environment');
  if (input.trustUnrecordedBackup !== undefined && typeof input.trustUnrecordedBackup !== 'boolean')
    throw new ValidationError('trustUnrecordedBackup must be a boolean');
  const out = await deps.ddb.send(
    new GetCommand({
      TableName: deps.environmentsTable,
      Key: { environment },
      ProjectionExpression: 'lastVerifiedBackup',
      ConsistentRead: true,
    }),
  );
  const last = out.Item?.lastVerifiedBackup as Record<string, unknown> | undefined;
  if (
    !last ||
    typeof last.bucket !== 'string' ||
    typeof last.prefix !== 'string' ||
    typeof last.backupId !== 'string'
  )
    throw new NoBackupError(`No verified backup is recorded for environment ${environment}`);
  const where = { bucket: last.bucket, prefix: last.prefix, backupId: last.backupId };
  const recorded =
    typeof last.manifestSha256 === 'string' &&
    SHA256.test(last.manifestSha256) &&
    typeof last.snapshotSha256 === 'string' &&
    SHA256.test(last.snapshotSha256);
  if (recorded) {
    let recreation: Record<string, unknown> | null = null;
    if (last.recreation !== undefined) {
      // Written by the backup child as States.JsonToString of the snapshot step's answer.
      let parsed: unknown;
      try {
        parsed = typeof last.recreation === 'string' ? JSON.parse(last.recreation) : undefined;
      } catch {
        parsed = undefined;
      }
      if (!isRecord(parsed))
        throw new ValidationError(`lastVerifiedBackup.recreation of ${environment} is not a JSON object`);
      recreation = parsed;
    }
    return {
      ...where,
      manifestSha256: last.manifestSha256 as string,
      snapshotSha256: last.snapshotSha256 as string,
      recreation,
      trusted: 'recorded' as const,
    };
  }
  if (input.trustUnrecordedBackup !== true)
    throw new UnrecordedBackupError(
      `Backup ${last.backupId} of ${environment} was verified before mwaa-ops recorded backup digests, so nothing proves that s3://${last.bucket}/${last.prefix} still holds the backup that was verified; no environment was created. Check its environment.json (ExecutionRoleArn, SourceBucketArn, DagS3Path, plugins, requirements, startup script, AirflowConfigurationOptions, network) and its manifest, then resume again with trustUnrecordedBackup set to true in the execution input (the next pause records digests)`,
      { context: { backupId: last.backupId } },
    );
  deps.log.warn('resuming from a backup with no recorded digests (trustUnrecordedBackup)', {
    environment,
    backupId: last.backupId,
  });
  return {
    ...where,
    manifestSha256: null,
    snapshotSha256: null,
    recreation: null,
    trusted: 'operator' as const,
  };
}

/**
 * `unpauseActiveDags`: re-enable the DAGs an export paused (from active-dags.json), for the
 * workflow's failure path when the export died without doing it (timeout, lost heartbeat).
 */
export async function unpauseActiveDags(input: Input, deps: PauseResumeStepDeps) {
  const { environment, store } = location(input, deps);
  const recorded = (await getJson<{ activeDags?: unknown }>(store, ACTIVE_DAGS_FILE))?.activeDags;
  const dags = Array.isArray(recorded) ? recorded.filter((d): d is string => typeof d === 'string') : [];
  if (!(await existingEnvironment(deps.mwaa, environment))) return { unpaused: 0, environmentExists: false };
  for (const dagId of dags) {
    try {
      await deps.airflow.setPaused(environment, dagId, false);
    } catch (error) {
      if (!(error instanceof DagNotFoundError)) throw error;
    }
  }
  return { unpaused: dags.length, environmentExists: true };
}

const ACTIONS = {
  plan,
  snapshot,
  countRunning,
  export: exportBackup,
  verify,
  recreate: recreateEnvironment,
  import: importBackup,
  findBackup,
  unpauseActiveDags,
  runningExports,
  inheritActiveDags,
} as const;

export type Action = keyof typeof ACTIONS;

/** Run the pause/resume step that `input.action` names. */
export function handlePauseResumeStep(event: unknown, deps: PauseResumeStepDeps): Promise<unknown> {
  return dispatchAction(ACTIONS, event, deps);
}
