/**
 * What a pause needs when it takes over the lock of an operation that was stopped (or timed out)
 * while its backup was running (docs/pause-resume.md, "Taking over a stale lock").
 *
 * The stopped attempt's export DAG run may still be running, and it paused the environment's
 * active DAGs. If the new backup simply read the pause states now, it would record those DAGs as
 * paused and the resume would leave them paused. So the pause that takes over:
 *
 * - waits until no export DAG run is queued or running (`runningExports`), so nothing pauses
 *   DAGs behind its back while it reads them;
 * - re-enables the DAGs the stopped attempt recorded in its `active-dags.json` (the existing
 *   `unpauseActiveDags` on the stopped attempt's backup);
 * - and carries that record into its own backup before its export starts
 *   (`inheritActiveDags`): the export merges the `active-dags.json` it finds with what is active,
 *   so the new backup's `activeDags` is the list as it was before the first attempt paused
 *   anything, even if re-enabling failed or another stopped attempt came in between.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type ActionInput as Input, requiredString as str } from '../shared/action-dispatch.ts';
import type { AirflowClient } from '../shared/airflow/index.ts';
import {
  ACTIVE_DAGS_FILE,
  type BackupStore,
  EXPORT_DAG_ID,
  getJson,
  isTransferDag,
  MANIFEST_FILE,
  putJson,
} from '../shared/backup/index.ts';
import { ValidationError } from '../shared/errors.ts';
import { EnvironmentNotAvailableError } from './errors.ts';
import { backupLocation } from './location.ts';

interface TakeoverDeps {
  airflow: Pick<AirflowClient, 'rest'>;
  storeFor: (bucket: string, prefix: string) => BackupStore;
  log: Pick<Logger, 'info' | 'warn'>;
}

/** How many run ids an answer names (enough for an operator to find them in the Airflow UI). */
const NAMED_RUNS = 5;

/**
 * `runningExports`: export DAG runs that are queued or running. While the caller holds the lock
 * no export of its own runs yet, so any such run belongs to an earlier, stopped attempt.
 */
export async function runningExports(input: Input, deps: TakeoverDeps) {
  const environment = str(input, 'environment');
  const runIds: string[] = [];
  let running = 0;
  for (const state of ['queued', 'running']) {
    const response = await deps.airflow.rest(environment, {
      method: 'GET',
      path: `/dags/${EXPORT_DAG_ID}/dagRuns`,
      query: { state, limit: NAMED_RUNS },
    });
    // No export DAG (Airflow 3.x exports through the REST API; or dags/ is not deployed): no run.
    if (response.status === 404) return { running: 0, runIds: [] };
    if (response.status !== 200)
      throw new EnvironmentNotAvailableError(
        `Airflow on ${environment} answered HTTP ${response.status} to a listing of ${EXPORT_DAG_ID} runs`,
      );
    const body = response.body as { total_entries?: unknown; dag_runs?: Array<{ dag_run_id?: unknown }> };
    running += Number(body.total_entries ?? 0);
    for (const run of body.dag_runs ?? []) {
      if (typeof run.dag_run_id === 'string' && runIds.length < NAMED_RUNS) runIds.push(run.dag_run_id);
    }
  }
  return { running, runIds };
}

/** The DAG ids of an `active-dags.json` body; anything that is not a DAG id is left out. */
export function recordedActiveDags(record: unknown): string[] {
  const list = (record as { activeDags?: unknown } | undefined)?.activeDags;
  if (!Array.isArray(list)) return [];
  return list.filter((d): d is string => typeof d === 'string' && d !== '' && !isTransferDag(d));
}

/** Union of two records' DAG ids, sorted (the order the exports write). */
export function mergeActiveDags(...records: unknown[]): string[] {
  return [...new Set(records.flatMap(recordedActiveDags))].sort();
}

/**
 * `inheritActiveDags`: write the stopped attempt's active DAGs (`from`, a backup location of the
 * same environment) into this backup's `active-dags.json`, merged with what is there already.
 * A committed backup is immutable and is left alone.
 */
export async function inheritActiveDags(input: Input, deps: TakeoverDeps) {
  const own = backupLocation(input, deps);
  const from = input.from;
  if (from === null || typeof from !== 'object' || Array.isArray(from))
    throw new ValidationError('Input field "from" must be the backup location to inherit from');
  const source = backupLocation({ ...(from as Input), environment: own.environment }, deps);
  if (source.prefix === own.prefix) return { inherited: 0, activeDags: 0 };
  if ((await own.store.get(MANIFEST_FILE)) !== undefined)
    throw new ValidationError(`Backup ${own.backupId} is committed already; it cannot inherit DAG states`);
  const inherited = await getJson(source.store, ACTIVE_DAGS_FILE);
  const existing = await getJson(own.store, ACTIVE_DAGS_FILE);
  const activeDags = mergeActiveDags(inherited, existing);
  await putJson(own.store, ACTIVE_DAGS_FILE, { activeDags, inheritedFrom: source.backupId });
  deps.log.info('active DAGs inherited', {
    backupId: own.backupId,
    from: source.backupId,
    inherited: recordedActiveDags(inherited).length,
  });
  return { inherited: recordedActiveDags(inherited).length, activeDags: activeDags.length };
}
