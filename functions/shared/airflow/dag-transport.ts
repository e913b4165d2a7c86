/**
 * What the Airflow client asks of an environment, whichever way it reaches it: the REST API
 * through MWAA's InvokeRestApi (rest-dag-transport.ts) or the Airflow CLI through MWAA's CLI
 * endpoint (cli-dag-transport.ts). The client decides which one serves a call (`chooseTransport`);
 * the transports only translate one operation into requests and Airflow's answer back.
 */
import type { EnvironmentInfo } from './client.ts';

/** One trigger attempt as a transport sees it. */
export interface RunToCreate {
  dagId: string;
  runId: string;
  /** The DAG run conf (dag_run.conf): may hold secrets, never quoted in errors. */
  conf: Record<string, unknown>;
  note?: string;
  /** The logical date to ask for (Airflow 2), or undefined for none (Airflow 3). */
  logicalDate: string | undefined;
}

export interface DagTransport {
  readonly kind: 'rest' | 'cli';
  isPaused(environment: EnvironmentInfo, dagId: string): Promise<boolean>;
  setPaused(environment: EnvironmentInfo, dagId: string, paused: boolean): Promise<void>;
  /**
   * Ask Airflow to create the run once. `conflict` means Airflow answered 409 (or the CLI's
   * DagRunAlreadyExists): an existing run holds our run id, *or* (Airflow 2) our logical date.
   */
  createRun(environment: EnvironmentInfo, run: RunToCreate): Promise<'created' | 'conflict'>;
  /** Whether a run with this id exists: the only proof that a conflict is our own earlier trigger. */
  runExists(environment: EnvironmentInfo, dagId: string, runId: string): Promise<boolean>;
}

/**
 * InvokeRestApi's `Path` (relative to the API root, e.g. `/dags/x/dagRuns`; MWAA picks /api/v1 or
 * /api/v2) is at most 64 characters. Longer paths (long DAG ids) go through the CLI endpoint.
 */
export const MAX_REST_PATH = 64;

/** The REST paths of the objects the client touches (relative to the API prefix). */
export const restPaths = {
  dag: (dagId: string) => `/dags/${encodeURIComponent(dagId)}`,
  runs: (dagId: string) => `${restPaths.dag(dagId)}/dagRuns`,
  run: (dagId: string, runId: string) => `${restPaths.runs(dagId)}/${encodeURIComponent(runId)}`,
};

/**
 * REST when the environment serves InvokeRestApi and the call's path fits its limit, otherwise
 * the CLI endpoint. `restPath` is the path the REST transport would use for this call.
 */
export function chooseTransport(
  environment: EnvironmentInfo,
  restPath: string,
  transports: { rest: DagTransport; cli: DagTransport },
): DagTransport {
  return environment.transport === 'rest' && restPath.length <= MAX_REST_PATH
    ? transports.rest
    : transports.cli;
}
