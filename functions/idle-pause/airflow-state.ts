/**
 * What the idle decision needs from Airflow, read through the shared client's REST call
 * (InvokeRestApi; the client picks /api/v1 or /api/v2): every DAG's paused flag and next run
 * time, and how many runs are running or queued.
 *
 * Field names, checked against the OpenAPI specs Airflow ships (test/airflow/idle-fields.test.ts):
 * Airflow 2 (`api_connexion/openapi/v1.yaml`) `DAG.is_paused`, `is_active`,
 * `next_dagrun_create_after` ("Earliest time at which this next_dagrun can be created");
 * Airflow 3 (`api_fastapi/core_api/openapi/v2-rest-api-generated.yaml`) `DAGResponse.is_paused`,
 * `is_stale`, `next_dagrun_run_after`. `next_dagrun` / `next_dagrun_logical_date` is the run's
 * logical date, which for interval timetables lies one interval *before* the run starts: the
 * create-after / run-after time is when it really runs.
 */
import type { AirflowClient } from '../shared/airflow/index.ts';
import { AirflowServerError } from '../shared/airflow/index.ts';
import type { DagSchedule } from './decision.ts';

/** The DAG fields read, per major version. */
export const DAG_FIELDS = {
  2: { paused: 'is_paused', active: 'is_active', nextRunAfter: 'next_dagrun_create_after' },
  3: { paused: 'is_paused', stale: 'is_stale', nextRunAfter: 'next_dagrun_run_after' },
} as const;

/** The run states that keep an environment busy. */
export const BUSY_STATES = ['running', 'queued'] as const;

const PAGE = 100;
/** Enough for any real environment; a runaway listing must not loop for ever. */
const MAX_PAGES = 100;

export type IdleAirflow = Pick<AirflowClient, 'rest' | 'environment'>;

export interface AirflowIdleState {
  dags: DagSchedule[];
  activeRuns: number;
}

type Json = Record<string, unknown>;

function okBody(environment: string, what: string, response: { status: number; body: unknown }): Json {
  if (response.status !== 200 || response.body === null || typeof response.body !== 'object')
    throw new AirflowServerError(`Airflow on ${environment} answered HTTP ${response.status} to ${what}`, {
      status: response.status,
    });
  return response.body as Json;
}

const timeOrNull = (value: unknown): string | null =>
  typeof value === 'string' && value !== '' ? value : null;

/** One DAG of a `/dags` listing in the decision's terms. */
export function dagSchedule(major: 2 | 3, dag: Json): DagSchedule {
  const dagId = String(dag.dag_id);
  // A flag missing from the response counts the safe way: unpaused, active, due now (not null).
  const paused = dag.is_paused === true;
  if (major === 3)
    return {
      dagId,
      paused,
      active: dag.is_stale !== true,
      nextRunAfter: 'next_dagrun_run_after' in dag ? timeOrNull(dag.next_dagrun_run_after) : 'unknown',
    };
  return {
    dagId,
    paused,
    active: dag.is_active !== false,
    nextRunAfter: 'next_dagrun_create_after' in dag ? timeOrNull(dag.next_dagrun_create_after) : 'unknown',
  };
}

export async function readIdleState(airflow: IdleAirflow, environment: string): Promise<AirflowIdleState> {
  const info = await airflow.environment(environment);
  const major = info.apiVersion === 'v2' ? 3 : 2;
  const dags: DagSchedule[] = [];
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const body = okBody(
      environment,
      'a DAG listing',
      await airflow.rest(environment, {
        method: 'GET',
        path: '/dags',
        query: { limit: PAGE, offset: page * PAGE },
      }),
    );
    const listed = Array.isArray(body.dags) ? (body.dags as Json[]) : [];
    for (const dag of listed) dags.push(dagSchedule(major, dag));
    if (listed.length < PAGE || dags.length >= Number(body.total_entries ?? 0)) break;
  }
  let activeRuns = 0;
  for (const state of BUSY_STATES) {
    const body = okBody(
      environment,
      'a run listing',
      await airflow.rest(environment, { method: 'GET', path: '/dags/~/dagRuns', query: { state, limit: 1 } }),
    );
    activeRuns += Number(body.total_entries ?? 0);
  }
  return { dags, activeRuns };
}
