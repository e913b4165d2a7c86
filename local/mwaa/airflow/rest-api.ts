/**
 * The subset of Airflow's stable REST API the project uses, answered from the metadata store:
 * DAGs (list, get, pause/unpause), DAG runs (trigger, list, get), task instances, variables,
 * connections and pools. Paths are relative to the API root (`/dags`, not `/api/v1/dags`), which
 * is how InvokeRestApi names them; the webserver strips the root before calling in.
 *
 * Errors follow the version: Airflow 2 answers RFC 7807 problem+json
 * (`{type, title, status, detail}`), Airflow 3 (FastAPI) answers `{detail}` and 422 for bodies
 * that fail validation.
 */
import type { AirflowRole } from '../tokens.ts';
import { airflowDate, pythonIsoformat } from './dates.ts';
import type { AirflowInstance } from './instance.ts';
import { DagRunAlreadyExistsError, type Row } from './metadata-store.ts';
import {
  connectionShape,
  dagRunShape,
  dagShape,
  poolShape,
  taskInstanceShape,
  variableShape,
} from './rest-shapes.ts';

export interface RestRequest {
  method: string;
  /** Path below the API root, e.g. `/dags/my_dag/dagRuns`. */
  path: string;
  query?: Record<string, string | string[] | undefined>;
  body?: unknown;
  /** Airflow user making the call, for the audit log. */
  user?: string;
  /** The caller's Airflow role; when given, Airflow's role permissions apply. */
  role?: AirflowRole;
}

/**
 * What each Airflow role may do through the API (Airflow's default FAB roles, reduced to the
 * endpoints emulated here): Public nothing, Viewer reads, User also pauses DAGs and triggers
 * runs, Op and Admin everything.
 */
export function roleAllows(role: AirflowRole, method: string, path: string): boolean {
  if (role === 'Admin' || role === 'Op') return true;
  if (role === 'Public') return false;
  if (method === 'GET') return true;
  if (role === 'Viewer') return false;
  const segments = path.split('/').filter(Boolean);
  if (segments[0] !== 'dags') return false;
  if (method === 'PATCH' && segments.length === 2) return true;
  return method === 'POST' && segments.length === 3 && segments[2] === 'dagRuns';
}

export interface RestResponse {
  status: number;
  body: unknown;
  contentType: string;
}

class ApiError extends Error {
  override name = 'AirflowApiError';
  status: number;
  title: string;
  kind: string;
  detailBody: unknown;
  constructor(status: number, title: string, detail: unknown, kind: string) {
    super(typeof detail === 'string' ? detail : title);
    this.status = status;
    this.title = title;
    this.kind = kind;
    this.detailBody = detail;
  }
}

const notFound = (title: string, detail: string) => new ApiError(404, title, detail, 'NotFound');
const badRequest = (detail: string) => new ApiError(400, 'Bad Request', detail, 'BadRequest');
const conflict = (detail: unknown) => new ApiError(409, 'Conflict', detail, 'AlreadyExists');

const asObject = (body: unknown): Row => {
  if (body === undefined || body === null || body === '') return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw badRequest('Request body must be a JSON object');
  return body as Row;
};

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);
const many = (value: string | string[] | undefined): string[] =>
  value === undefined
    ? []
    : (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(',')).filter(Boolean);

function page<T>(rows: T[], query: RestRequest['query']): T[] {
  const limit = Number(first(query?.limit) ?? 100);
  const offset = Number(first(query?.offset) ?? 0);
  return rows.slice(offset, offset + (Number.isFinite(limit) ? limit : 100));
}

/** Answer one REST call as the instance's Airflow version would. */
export function handleRestApi(airflow: AirflowInstance, request: RestRequest): RestResponse {
  const { flavor } = airflow;
  try {
    if (request.role && !roleAllows(request.role, request.method.toUpperCase(), request.path)) {
      throw new ApiError(403, 'Forbidden', 'Forbidden', 'PermissionDenied');
    }
    const result = route(airflow, request);
    return { status: result.status, body: result.body, contentType: 'application/json' };
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (flavor.major === 3) {
      return { status: error.status, body: { detail: error.detailBody }, contentType: 'application/json' };
    }
    return {
      status: error.status,
      contentType: 'application/problem+json',
      body: {
        detail: error.detailBody,
        status: error.status,
        title: error.title,
        type: `https://airflow.apache.org/docs/apache-airflow/${flavor.version}/stable-rest-api-ref.html#section/Errors/${error.kind}`,
      },
    };
  }
}

function route(airflow: AirflowInstance, request: RestRequest): { status: number; body: unknown } {
  const { flavor, store } = airflow;
  const v3 = flavor.major === 3;
  const method = request.method.toUpperCase();
  const segments = request.path.split('?')[0]?.split('/').filter(Boolean).map(decodeURIComponent) ?? [];
  const query = request.query ?? {};
  const [root, id, sub, subId, leaf] = segments;

  const requireDag = (dagId: string) => {
    const row = store.get('SELECT * FROM dag WHERE dag_id = ?', dagId);
    if (!row) {
      throw v3
        ? notFound('Not Found', `The Dag with ID: \`${dagId}\` was not found`)
        : notFound('DAG not found', `DAG with dag_id: '${dagId}' not found`);
    }
    return row;
  };

  if (root === 'version' && segments.length === 1 && method === 'GET') {
    return { status: 200, body: { version: flavor.version, git_version: null } };
  }

  if (root === 'dags' && segments.length === 1 && method === 'GET') {
    const paused = first(query.paused);
    let rows = store.all('SELECT * FROM dag ORDER BY dag_id');
    if (paused !== undefined) rows = rows.filter((r) => (Number(r.is_paused) === 1) === (paused === 'true'));
    const pattern = first(query.dag_id_pattern);
    if (pattern) rows = rows.filter((r) => String(r.dag_id).includes(pattern.replaceAll('%', '')));
    return {
      status: 200,
      body: { dags: page(rows, query).map((r) => dagShape(flavor, r)), total_entries: rows.length },
    };
  }

  if (root === 'dags' && id !== undefined && segments.length === 2) {
    if (method === 'GET') return { status: 200, body: dagShape(flavor, requireDag(id)) };
    if (method === 'PATCH') {
      requireDag(id);
      const body = asObject(request.body);
      if (typeof body.is_paused !== 'boolean') {
        if (v3) throw validation(['body', 'is_paused'], 'Field required', body);
        throw badRequest("'is_paused' is a required property");
      }
      airflow.setPaused(id, body.is_paused);
      return { status: 200, body: dagShape(flavor, requireDag(id)) };
    }
  }

  if (root === 'dags' && id !== undefined && sub === 'dagRuns') {
    if (segments.length === 3 && method === 'POST') return triggerRun(airflow, id, request);
    if (segments.length === 3 && method === 'GET') {
      if (id !== '~') requireDag(id);
      const states = many(query.state);
      let rows = id === '~' ? airflow.dagRuns() : airflow.dagRuns(id);
      if (states.length) rows = rows.filter((r) => states.includes(String(r.state)));
      const desc = String(first(query.order_by) ?? '').startsWith('-');
      if (desc) rows.reverse();
      return {
        status: 200,
        body: { dag_runs: page(rows, query).map((r) => dagRunShape(flavor, r)), total_entries: rows.length },
      };
    }
    if (subId !== undefined) {
      requireDag(id);
      const run = store.get('SELECT * FROM dag_run WHERE dag_id = ? AND run_id = ?', id, subId);
      if (!run) {
        throw v3
          ? notFound('Not Found', `The DagRun with dag_id: \`${id}\` and run_id: \`${subId}\` was not found`)
          : notFound('DAGRun not found', `DAGRun with DAG ID: '${id}' and DagRun ID: '${subId}' not found`);
      }
      if (segments.length === 4 && method === 'GET') return { status: 200, body: dagRunShape(flavor, run) };
      if (segments.length === 5 && leaf === 'taskInstances' && method === 'GET') {
        const rows = airflow.taskInstances(id, subId);
        return {
          status: 200,
          body: {
            task_instances: page(rows, query).map((r) => taskInstanceShape(flavor, r)),
            total_entries: rows.length,
          },
        };
      }
    }
  }

  if (root === 'variables') return variables(airflow, method, id, request, segments.length);
  if (root === 'connections') return connections(airflow, method, id, request, segments.length);
  if (root === 'pools') return pools(airflow, method, id, request, segments.length);

  throw notFound(
    'Not Found',
    'The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.',
  );
}

const validation = (loc: string[], msg: string, input: unknown) =>
  new ApiError(422, 'Unprocessable Entity', [{ type: 'missing', loc, msg, input }], 'Validation');

function triggerRun(airflow: AirflowInstance, dagId: string, request: RestRequest) {
  const { flavor, store } = airflow;
  const body = asObject(request.body);
  if (!store.get('SELECT 1 FROM dag WHERE dag_id = ?', dagId)) {
    throw flavor.major === 3
      ? notFound('Not Found', `The Dag with ID: \`${dagId}\` was not found`)
      : notFound('DAG not found', `DAG with dag_id: '${dagId}' not found`);
  }
  let logicalDate: string | null | undefined;
  if (flavor.major === 3) {
    // Airflow 3 made logical_date a required key of the trigger body; null is allowed.
    if (!('logical_date' in body)) throw validation(['body', 'logical_date'], 'Field required', body);
    if (body.external_trigger !== undefined) {
      throw new ApiError(
        422,
        'Unprocessable Entity',
        [
          {
            type: 'extra_forbidden',
            loc: ['body', 'external_trigger'],
            msg: 'Extra inputs are not permitted',
            input: body.external_trigger,
          },
        ],
        'Validation',
      );
    }
    logicalDate = body.logical_date === null ? null : normaliseDate(body.logical_date);
  } else {
    const allowed = [
      'dag_run_id',
      'logical_date',
      'execution_date',
      'conf',
      'note',
      'data_interval_start',
      'data_interval_end',
    ];
    const unknown = Object.keys(body).find((k) => !allowed.includes(k));
    if (unknown) throw badRequest(`{'${unknown}': ['Unknown field.']}`);
    if (body.logical_date !== undefined && body.execution_date !== undefined) {
      throw badRequest('logical_date conflicts with execution_date');
    }
    const date = body.logical_date ?? body.execution_date;
    logicalDate = date === undefined || date === null ? undefined : normaliseDate(date);
  }
  if (
    body.conf !== undefined &&
    body.conf !== null &&
    (typeof body.conf !== 'object' || Array.isArray(body.conf))
  ) {
    throw badRequest("{'conf': ['Not a valid mapping type.']}");
  }
  const runId = typeof body.dag_run_id === 'string' ? body.dag_run_id : undefined;
  try {
    const run = airflow.triggerDagRun(dagId, {
      runId,
      conf: (body.conf as Record<string, unknown> | undefined) ?? {},
      logicalDate,
      note: typeof body.note === 'string' ? body.note : null,
      triggeredBy: 'rest_api',
    });
    return { status: 200, body: dagRunShape(flavor, run) };
  } catch (error) {
    if (!(error instanceof DagRunAlreadyExistsError)) throw error;
    const byId =
      runId !== undefined && store.get('SELECT 1 FROM dag_run WHERE dag_id = ? AND run_id = ?', dagId, runId);
    if (flavor.major === 3) {
      throw conflict({
        reason: 'Unique constraint violation',
        statement: 'INSERT INTO dag_run (dag_id, run_id, ...) VALUES (?, ?, ...)',
        orig_error: `UNIQUE constraint failed: dag_run.dag_id, dag_run.run_id`,
      });
    }
    // Airflow 2 (post_dag_run) reads one run matching the run id *or* the logical date and
    // names the logical date whenever that run holds it: a 409 alone never says which clashed.
    const holder = store.get(
      `SELECT run_id, ${store.dateColumn} AS logical FROM dag_run WHERE dag_id = ? AND (run_id = ? OR ${store.dateColumn} = ?) LIMIT 1`,
      dagId,
      runId ?? null,
      logicalDate ?? null,
    );
    const sameDate = holder !== undefined && logicalDate !== undefined && holder.logical === logicalDate;
    throw conflict(
      sameDate || !byId
        ? `DAGRun with DAG ID: '${dagId}' and DAGRun logical date: '${pythonIsoformat(String(holder?.logical ?? logicalDate))}' already exists`
        : `DAGRun with DAG ID: '${dagId}' and DAGRun ID: '${runId}' already exists`,
    );
  }
}

/** A client's datetime, microseconds kept (Airflow's timestamptz does), or Airflow's 400. */
function normaliseDate(value: unknown): string {
  const date = typeof value === 'string' ? airflowDate(value) : undefined;
  if (date === undefined) throw badRequest(`{'logical_date': ['Not a valid datetime.']}`);
  return date;
}

function variables(
  airflow: AirflowInstance,
  method: string,
  key: string | undefined,
  request: RestRequest,
  depth: number,
) {
  const { flavor, store } = airflow;
  const v3 = flavor.major === 3;
  const find = (k: string) => store.get('SELECT * FROM variable WHERE key = ?', k);
  const missing = (k: string) =>
    v3
      ? notFound('Not Found', `The Variable with key: \`${k}\` was not found`)
      : notFound('Variable not found', 'Variable does not exist');
  if (depth === 1 && method === 'GET') {
    const rows = store.all('SELECT * FROM variable ORDER BY key');
    return {
      status: 200,
      body: {
        variables: page(rows, request.query).map((r) => variableShape(flavor, r)),
        total_entries: rows.length,
      },
    };
  }
  if (depth === 1 && method === 'POST') {
    const body = asObject(request.body);
    if (typeof body.key !== 'string' || body.value === undefined) {
      if (v3)
        throw validation(['body', typeof body.key !== 'string' ? 'key' : 'value'], 'Field required', body);
      throw badRequest("{'value': ['Missing data for required field.']}");
    }
    if (v3 && find(body.key)) throw conflict(`The Variable with key: \`${body.key}\` already exists`);
    airflow.setVariable(
      body.key,
      String(body.value),
      typeof body.description === 'string' ? body.description : undefined,
    );
    return { status: v3 ? 201 : 200, body: variableShape(flavor, find(body.key) as Row) };
  }
  if (depth === 2 && key !== undefined) {
    const row = find(key);
    if (method === 'GET') {
      if (!row) throw missing(key);
      return { status: 200, body: variableShape(flavor, row) };
    }
    if (method === 'PATCH') {
      if (!row) throw missing(key);
      const body = asObject(request.body);
      if (body.value === undefined)
        throw v3
          ? validation(['body', 'value'], 'Field required', body)
          : badRequest("{'value': ['Missing data for required field.']}");
      airflow.setVariable(
        key,
        String(body.value),
        typeof body.description === 'string' ? body.description : (row.description as string | undefined),
      );
      return { status: 200, body: variableShape(flavor, find(key) as Row) };
    }
    if (method === 'DELETE') {
      if (!row) throw missing(key);
      store.run('DELETE FROM variable WHERE key = ?', key);
      return { status: 204, body: null };
    }
  }
  throw notFound('Not Found', 'The requested URL was not found on the server.');
}

const CONNECTION_FIELDS: Record<string, string> = {
  conn_type: 'conn_type',
  description: 'description',
  host: 'host',
  login: 'login',
  schema: 'schema',
  port: 'port',
  password: 'password',
  extra: 'extra',
};

function connections(
  airflow: AirflowInstance,
  method: string,
  id: string | undefined,
  request: RestRequest,
  depth: number,
) {
  const { flavor, store } = airflow;
  const v3 = flavor.major === 3;
  const find = (k: string) => store.get('SELECT * FROM connection WHERE conn_id = ?', k);
  const missing = (k: string) =>
    v3
      ? notFound('Not Found', `The Connection with connection_id: \`${k}\` was not found`)
      : notFound('Connection not found', `The Connection with connection_id: \`${k}\` was not found`);
  const fromBody = (body: Row, base: Row = {}) => {
    const row: Row = { ...base };
    for (const [field, column] of Object.entries(CONNECTION_FIELDS))
      if (body[field] !== undefined) row[column] = body[field];
    return row;
  };
  if (depth === 1 && method === 'GET') {
    const rows = store.all('SELECT * FROM connection ORDER BY conn_id');
    return {
      status: 200,
      body: {
        connections: page(rows, request.query).map((r) => connectionShape(flavor, r, false)),
        total_entries: rows.length,
      },
    };
  }
  if (depth === 1 && method === 'POST') {
    const body = asObject(request.body);
    if (typeof body.connection_id !== 'string' || typeof body.conn_type !== 'string') {
      if (v3)
        throw validation(
          ['body', typeof body.connection_id !== 'string' ? 'connection_id' : 'conn_type'],
          'Field required',
          body,
        );
      throw badRequest("{'conn_type': ['Missing data for required field.']}");
    }
    if (find(body.connection_id)) {
      throw conflict(
        v3
          ? `The connection with connection_id: \`${body.connection_id}\` already exists`
          : `Connection already exist. ID: ${body.connection_id}`,
      );
    }
    airflow.setConnection({ ...fromBody(body), conn_id: body.connection_id, conn_type: body.conn_type });
    return { status: v3 ? 201 : 200, body: connectionShape(flavor, find(body.connection_id) as Row, true) };
  }
  if (depth === 2 && id !== undefined) {
    const row = find(id);
    if (!row) throw missing(id);
    if (method === 'GET') return { status: 200, body: connectionShape(flavor, row, true) };
    if (method === 'PATCH') {
      const body = asObject(request.body);
      const { id: _rowId, ...rest } = row;
      airflow.setConnection({
        ...(fromBody(body, rest) as Row),
        conn_id: id,
        conn_type: String(body.conn_type ?? row.conn_type),
      });
      return { status: 200, body: connectionShape(flavor, find(id) as Row, true) };
    }
    if (method === 'DELETE') {
      store.run('DELETE FROM connection WHERE conn_id = ?', id);
      return { status: 204, body: null };
    }
  }
  throw notFound('Not Found', 'The requested URL was not found on the server.');
}

function pools(
  airflow: AirflowInstance,
  method: string,
  name: string | undefined,
  request: RestRequest,
  depth: number,
) {
  const { flavor, store } = airflow;
  const v3 = flavor.major === 3;
  const find = (k: string) => store.get('SELECT * FROM slot_pool WHERE pool = ?', k);
  const usage = (pool: string) => {
    const count = (state: string) =>
      Number(
        store.get('SELECT COUNT(*) AS n FROM task_instance WHERE pool = ? AND state = ?', pool, state)?.n ??
          0,
      );
    return { running: count('running'), queued: count('queued') };
  };
  const shape = (row: Row) => poolShape(row, usage(String(row.pool)));
  const missing = (k: string) =>
    v3
      ? notFound('Not Found', `The Pool with name: \`${k}\` was not found`)
      : notFound('Pool not found', `Pool with name:'${k}' not found`);
  if (depth === 1 && method === 'GET') {
    const rows = store.all('SELECT * FROM slot_pool ORDER BY pool');
    return { status: 200, body: { pools: page(rows, request.query).map(shape), total_entries: rows.length } };
  }
  if (depth === 1 && method === 'POST') {
    const body = asObject(request.body);
    if (typeof body.name !== 'string' || typeof body.slots !== 'number') {
      if (v3)
        throw validation(['body', typeof body.name !== 'string' ? 'name' : 'slots'], 'Field required', body);
      throw badRequest("Missing required property(ies): ['name', 'slots']");
    }
    if (find(body.name))
      throw conflict(
        v3 ? `The Pool with name: \`${body.name}\` already exists` : `Pool: ${body.name} already exists`,
      );
    airflow.setPool(
      body.name,
      body.slots,
      typeof body.description === 'string' ? body.description : undefined,
      body.include_deferred === true,
    );
    return { status: v3 ? 201 : 200, body: shape(find(body.name) as Row) };
  }
  if (depth === 2 && name !== undefined) {
    const row = find(name);
    if (!row) throw missing(name);
    if (method === 'GET') return { status: 200, body: shape(row) };
    if (method === 'PATCH') {
      const body = asObject(request.body);
      airflow.setPool(
        name,
        typeof body.slots === 'number' ? body.slots : Number(row.slots),
        typeof body.description === 'string' ? body.description : (row.description as string | undefined),
        typeof body.include_deferred === 'boolean'
          ? body.include_deferred
          : Number(row.include_deferred) === 1,
      );
      return { status: 200, body: shape(find(name) as Row) };
    }
    if (method === 'DELETE') {
      if (name === 'default_pool') throw badRequest("Default Pool can't be deleted");
      store.run('DELETE FROM slot_pool WHERE pool = ?', name);
      return { status: 204, body: null };
    }
  }
  throw notFound('Not Found', 'The requested URL was not found on the server.');
}
