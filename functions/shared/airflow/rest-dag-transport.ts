/**
 * The client's DAG operations over Airflow's REST API (through MWAA's InvokeRestApi, reached by
 * the client's retrying `rest` call). Airflow 2 and 3 differ only in the trigger body.
 */
import type { DagTransport } from './dag-transport.ts';
import { restPaths } from './dag-transport.ts';
import { AirflowRequestError, DagNotFoundError, DagRunConflictError } from './errors.ts';
import type { RestRequest, RestResponse } from './invoke-rest-api.ts';

/** A REST call with the client's checks and retries; the path is relative to the API prefix. */
export type RestCall = (environment: string, request: RestRequest) => Promise<RestResponse>;

export function createRestDagTransport(call: RestCall): DagTransport {
  return {
    kind: 'rest',

    async isPaused({ name }, dagId) {
      const response = await call(name, { method: 'GET', path: restPaths.dag(dagId) });
      expectOk(name, dagId, response, 'read DAG');
      return Boolean((response.body as { is_paused?: unknown }).is_paused);
    },

    async setPaused({ name }, dagId, paused) {
      const response = await call(name, {
        method: 'PATCH',
        path: restPaths.dag(dagId),
        query: { update_mask: 'is_paused' },
        body: { is_paused: paused },
      });
      expectOk(name, dagId, response, paused ? 'pause DAG' : 'unpause DAG');
    },

    async createRun({ name, apiVersion }, run) {
      const body: Record<string, unknown> = { dag_run_id: run.runId, conf: run.conf };
      // Airflow 3 requires logical_date in the request (null: no logical date, so no clash on it).
      body.logical_date = apiVersion === 'v2' ? null : run.logicalDate;
      if (run.note !== undefined) body.note = run.note;
      const response = await call(name, { method: 'POST', path: restPaths.runs(run.dagId), body });
      if (response.status === 409) return 'conflict';
      expectOk(name, run.dagId, response, 'trigger DAG run');
      return 'created';
    },

    async runExists({ name }, dagId, runId) {
      const response = await call(name, { method: 'GET', path: restPaths.run(dagId, runId) });
      if (response.status === 200) return true;
      if (response.status === 404) return false;
      expectOk(name, dagId, response, 'read DAG run of');
      return false;
    },
  };
}

function expectOk(environment: string, dagId: string, response: RestResponse, action: string): void {
  if (response.status >= 200 && response.status < 300) return;
  const problem = (response.body ?? {}) as { title?: unknown; detail?: unknown };
  const title = typeof problem.title === 'string' ? problem.title : `HTTP ${response.status}`;
  const context = { environment, dagId, status: response.status };
  if (response.status === 404) {
    throw new DagNotFoundError(`DAG ${dagId} was not found in environment ${environment}`, {
      status: 404,
      context,
    });
  }
  if (response.status === 409) {
    throw new DagRunConflictError(`Could not ${action} ${dagId} on ${environment}: conflict`, {
      status: 409,
      context,
    });
  }
  // Airflow's detail can quote the request (and so conf values); report only its title.
  throw new AirflowRequestError(`Airflow on ${environment} refused to ${action} ${dagId}: ${title}`, {
    status: response.status,
    context,
  });
}
