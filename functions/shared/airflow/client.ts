/**
 * The one Airflow client every function uses.
 *
 * It asks MWAA once per container (and per few minutes) which Airflow version an environment
 * runs, and from that chooses the REST API prefix (/api/v1 on 2.x, /api/v2 on 3.x) and the
 * transport (InvokeRestApi from 2.4.3, the CLI endpoint before). Throttling, 5xx and timeouts
 * are retried with jittered exponential backoff; nothing else is. Conf values never appear in
 * errors or logs: they may carry secrets.
 */
import { GetEnvironmentCommand, type MWAAClient } from '@aws-sdk/client-mwaa';
import pRetry from 'p-retry';
import type { CliTransport } from './cli-transport.ts';
import { shellQuote } from './cli-transport.ts';
import {
  AirflowError,
  AirflowRequestError,
  AirflowServerError,
  AirflowThrottledError,
  DagNotFoundError,
  DagPausedError,
  DagRunConflictError,
  EnvironmentUnavailableError,
} from './errors.ts';
import type { RestRequest, RestResponse, RestTransport } from './invoke-rest-api.ts';
import { type ApiVersion, apiVersionFor, supportsInvokeRestApi } from './versions.ts';

export interface EnvironmentInfo {
  name: string;
  airflowVersion: string;
  apiVersion: ApiVersion;
  transport: 'rest' | 'cli';
}

export type PausedPolicy = 'fail' | 'unpause';

export interface TriggerRequest {
  dagId: string;
  /** Deterministic run id: a repeated trigger conflicts instead of starting a second run. */
  runId: string;
  conf: Record<string, unknown>;
  /** What to do when the DAG is paused: fail loudly (default) or unpause it first. */
  onPaused?: PausedPolicy;
  note?: string;
}

export interface TriggerResult {
  outcome: 'triggered' | 'already-exists';
  runId: string;
  /** Whether we unpaused the DAG to trigger it. */
  unpaused: boolean;
}

export interface RetryOptions {
  retries: number;
  minTimeoutMs: number;
  maxTimeoutMs: number;
}

export interface AirflowClientOptions {
  mwaa: Pick<MWAAClient, 'send'>;
  rest: RestTransport;
  cli: CliTransport;
  retry?: Partial<RetryOptions>;
  now?: () => number;
  /** How long the environment's version is trusted (an upgrade changes it). */
  environmentTtlMs?: number;
  /** How long a DAG's paused state is trusted; keeps the warm path at one call per trigger. */
  pausedTtlMs?: number;
  onRetry?: (info: { environment: string; attempt: number; error: string }) => void;
}

export interface AirflowClient {
  environment(name: string): Promise<EnvironmentInfo>;
  isPaused(environment: string, dagId: string): Promise<boolean>;
  setPaused(environment: string, dagId: string, paused: boolean): Promise<void>;
  triggerDagRun(environment: string, request: TriggerRequest): Promise<TriggerResult>;
  /** Raw REST call (REST transport only); the path is relative to the API prefix, e.g. `/variables`. */
  rest(environment: string, request: RestRequest): Promise<RestResponse>;
  /** Forget cached environment and DAG state (tests, or after an upgrade). */
  reset(): void;
}

/**
 * InvokeRestApi's `Path` (relative to the API root, e.g. `/dags/x/dagRuns`; MWAA picks /api/v1 or
 * /api/v2) is at most 64 characters. Longer paths (long DAG ids) go through the CLI endpoint.
 */
export const MAX_REST_PATH = 64;

const DEFAULT_RETRY: RetryOptions = { retries: 3, minTimeoutMs: 200, maxTimeoutMs: 2_000 };

export function createAirflowClient(options: AirflowClientOptions): AirflowClient {
  const now = options.now ?? Date.now;
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const environmentTtl = options.environmentTtlMs ?? 300_000;
  const pausedTtl = options.pausedTtlMs ?? 60_000;
  const environments = new Map<string, { info: EnvironmentInfo; expiresAt: number }>();
  const paused = new Map<string, { paused: boolean; expiresAt: number }>();

  function withRetry<T>(environment: string, work: () => Promise<T>): Promise<T> {
    return pRetry(work, {
      retries: retry.retries,
      minTimeout: retry.minTimeoutMs,
      maxTimeout: retry.maxTimeoutMs,
      randomize: true,
      shouldRetry: ({ error }) => error instanceof AirflowError && error.retryable,
      onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
        if (error instanceof AirflowError && error.retryable && retriesLeft > 0) {
          options.onRetry?.({ environment, attempt: attemptNumber, error: error.name });
        }
      },
    });
  }

  async function environment(name: string): Promise<EnvironmentInfo> {
    const cached = environments.get(name);
    if (cached && cached.expiresAt > now()) return cached.info;
    const out = await withRetry(name, async () => {
      try {
        return await options.mwaa.send(new GetEnvironmentCommand({ Name: name }));
      } catch (error) {
        throw fromMwaaError(name, error);
      }
    });
    const version = out.Environment?.AirflowVersion;
    if (!version)
      throw new EnvironmentUnavailableError(`MWAA environment ${name} reports no Airflow version`);
    const info: EnvironmentInfo = {
      name,
      airflowVersion: version,
      apiVersion: apiVersionFor(version),
      transport: supportsInvokeRestApi(version) ? 'rest' : 'cli',
    };
    environments.set(name, { info, expiresAt: now() + environmentTtl });
    return info;
  }

  async function rest(name: string, request: RestRequest): Promise<RestResponse> {
    const info = await environment(name);
    if (info.transport !== 'rest') {
      throw new AirflowRequestError(
        `Environment ${name} runs Airflow ${info.airflowVersion}, which MWAA's InvokeRestApi does not serve (2.4.3 or later needed)`,
      );
    }
    if (request.path.length > MAX_REST_PATH) {
      throw new AirflowRequestError(
        `Airflow path ${request.path.slice(0, 40)}… is longer than the ${MAX_REST_PATH} characters InvokeRestApi accepts`,
      );
    }
    return withRetry(name, async () => {
      const response = await options.rest.call(name, request);
      if (response.status === 429)
        throw new AirflowThrottledError(`Airflow on ${name} throttled ${request.method} ${request.path}`, {
          status: 429,
        });
      if (response.status >= 500) {
        throw new AirflowServerError(
          `Airflow on ${name} failed ${request.method} ${request.path} with HTTP ${response.status}`,
          {
            status: response.status,
          },
        );
      }
      return response;
    });
  }

  async function cli(name: string, command: string) {
    return withRetry(name, () => options.cli.run(name, command));
  }

  const dagPath = (dagId: string) => `/dags/${encodeURIComponent(dagId)}`;

  async function isPaused(name: string, dagId: string): Promise<boolean> {
    const key = `${name}\u0000${dagId}`;
    const cached = paused.get(key);
    if (cached && cached.expiresAt > now()) return cached.paused;
    const info = await environment(name);
    let value: boolean;
    if (info.transport === 'rest' && dagPath(dagId).length <= MAX_REST_PATH) {
      const response = await rest(name, { method: 'GET', path: dagPath(dagId) });
      expectOk(name, dagId, response, 'read DAG');
      value = Boolean((response.body as { is_paused?: unknown }).is_paused);
    } else {
      const { stdout } = await cli(name, 'dags list -o json');
      const dags = parseJsonList(stdout) as Array<{ dag_id?: string; paused?: unknown }> | undefined;
      const dag = dags?.find((d) => d.dag_id === dagId);
      if (!dags) throw new AirflowServerError(`Airflow CLI on ${name} returned no DAG list`);
      if (!dag)
        throw new DagNotFoundError(`DAG ${dagId} was not found in environment ${name}`, {
          context: { dagId },
        });
      value = dag.paused === true || dag.paused === 'True' || dag.paused === 'true';
    }
    paused.set(key, { paused: value, expiresAt: now() + pausedTtl });
    return value;
  }

  async function setPaused(name: string, dagId: string, value: boolean): Promise<void> {
    const info = await environment(name);
    if (info.transport === 'rest' && dagPath(dagId).length <= MAX_REST_PATH) {
      const response = await rest(name, {
        method: 'PATCH',
        path: dagPath(dagId),
        query: { update_mask: 'is_paused' },
        body: { is_paused: value },
      });
      expectOk(name, dagId, response, value ? 'pause DAG' : 'unpause DAG');
    } else {
      await cli(name, `dags ${value ? 'pause' : 'unpause'} ${shellQuote(dagId)}`);
    }
    paused.set(`${name}\u0000${dagId}`, { paused: value, expiresAt: now() + pausedTtl });
  }

  async function triggerDagRun(name: string, request: TriggerRequest): Promise<TriggerResult> {
    const info = await environment(name);
    let unpaused = false;
    if (await isPaused(name, request.dagId)) {
      if ((request.onPaused ?? 'fail') === 'fail') {
        throw new DagPausedError(
          `DAG ${request.dagId} in environment ${name} is paused; unpause it or set the flow's onPaused to "unpause"`,
          { context: { dagId: request.dagId } },
        );
      }
      await setPaused(name, request.dagId, false);
      unpaused = true;
    }
    const runsPath = `${dagPath(request.dagId)}/dagRuns`;
    if (info.transport === 'rest' && runsPath.length <= MAX_REST_PATH) {
      const body: Record<string, unknown> = { dag_run_id: request.runId, conf: request.conf };
      // Airflow 3 requires logical_date in the request (null lets it pick none).
      if (info.apiVersion === 'v2') body.logical_date = null;
      if (request.note !== undefined) body.note = request.note;
      // Airflow 2 answers 409 both for an existing run id and for a logical date another run
      // already holds (unique per DAG). Only the first means "done": confirm by reading the run.
      for (let attempt = 1; ; attempt += 1) {
        const response = await rest(name, { method: 'POST', path: runsPath, body });
        if (response.status !== 409) {
          expectOk(name, request.dagId, response, 'trigger DAG run');
          return { outcome: 'triggered', runId: request.runId, unpaused };
        }
        const runPath = `${runsPath}/${encodeURIComponent(request.runId)}`;
        // Too long to read back through InvokeRestApi: trust the conflict (run ids are unique per trigger).
        if (runPath.length > MAX_REST_PATH)
          return { outcome: 'already-exists', runId: request.runId, unpaused };
        const existing = await rest(name, { method: 'GET', path: runPath });
        if (existing.status === 200) return { outcome: 'already-exists', runId: request.runId, unpaused };
        if (attempt >= 3) {
          throw new AirflowServerError(
            `Airflow on ${name} kept refusing a new run of ${request.dagId} with 409 although run ${request.runId} does not exist (logical date collision)`,
            { status: 409, context: { dagId: request.dagId } },
          );
        }
      }
    }
    const command = [
      'dags trigger',
      shellQuote(request.dagId),
      '-r',
      shellQuote(request.runId),
      '-c',
      shellQuote(JSON.stringify(request.conf)),
      '-o json',
    ].join(' ');
    const { stdout, stderr } = await cli(name, command);
    const runs = parseJsonList(stdout) as Array<{ dag_run_id?: string; run_id?: string }> | undefined;
    if (runs?.some((run) => (run.dag_run_id ?? run.run_id) === request.runId)) {
      return { outcome: 'triggered', runId: request.runId, unpaused };
    }
    if (/DagRunAlreadyExists|already exists/i.test(stderr))
      return { outcome: 'already-exists', runId: request.runId, unpaused };
    if (/DagNotFound|could not be found|not found/i.test(stderr)) {
      throw new DagNotFoundError(`DAG ${request.dagId} was not found in environment ${name}`, {
        context: { dagId: request.dagId },
      });
    }
    throw new AirflowRequestError(
      `Airflow CLI on ${name} did not trigger ${request.dagId}: ${lastLine(stderr) || 'no run in the output'}`,
      { context: { dagId: request.dagId } },
    );
  }

  return {
    environment,
    isPaused,
    setPaused,
    triggerDagRun,
    rest: (name, request) => rest(name, request),
    reset() {
      environments.clear();
      paused.clear();
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

function fromMwaaError(environment: string, error: unknown): Error {
  const name = (error as { name?: string }).name ?? 'Error';
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const message = `GetEnvironment ${environment}: ${name}`;
  if (name === 'ResourceNotFoundException') {
    return new EnvironmentUnavailableError(`MWAA environment ${environment} does not exist`, {
      cause: error,
      status,
    });
  }
  if (/Throttl|TooManyRequests/.test(name) || status === 429)
    return new AirflowThrottledError(message, { cause: error, status });
  if ((status ?? 0) >= 500 || name === 'InternalServerException')
    return new AirflowServerError(message, { cause: error, status });
  return new AirflowRequestError(message, { cause: error, status });
}

/** The Airflow CLI prints warnings before its JSON: take the last line that parses as a list. */
function parseJsonList(stdout: string): unknown[] | undefined {
  const lines = stdout.split('\n').map((line) => line.trim());
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    const line = lines[i] ?? '';
    if (!line.startsWith('[')) continue;
    try {
      const value = JSON.parse(line);
      if (Array.isArray(value)) return value;
    } catch {
      // not this line
    }
  }
  try {
    const value = JSON.parse(stdout);
    return Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return (lines.at(-1) ?? '').slice(0, 300);
}
