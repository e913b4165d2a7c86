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
  UnconfirmedConflictError,
} from './errors.ts';
import type { RestRequest, RestResponse, RestTransport } from './invoke-rest-api.ts';
import { logicalDateFor } from './logical-dates.ts';
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
  /**
   * When the trigger happened (ISO 8601: the S3 event time, the scheduled time). On Airflow 2 the
   * run's logical date is this second plus a run-id-derived microsecond offset (logical-dates.ts).
   */
  anchorTime?: string;
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
  /** A 409 that was not our run (a logical date another run holds); the trigger tries again. */
  onConflict?: (info: { environment: string; dagId: string; runId: string; attempt: number }) => void;
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

/** Tries (each with its own logical date) before an unconfirmed conflict is reported. */
export const MAX_CONFLICT_ATTEMPTS = 4;

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

  /**
   * Ask Airflow to create the run once. `conflict` means Airflow answered 409 (or the CLI's
   * DagRunAlreadyExists): an existing run holds our run id, *or* (Airflow 2) our logical date.
   */
  async function createRun(
    info: EnvironmentInfo,
    request: TriggerRequest,
    logicalDate: string | undefined,
  ): Promise<'created' | 'conflict'> {
    const name = info.name;
    const runsPath = `${dagPath(request.dagId)}/dagRuns`;
    if (info.transport === 'rest' && runsPath.length <= MAX_REST_PATH) {
      const body: Record<string, unknown> = { dag_run_id: request.runId, conf: request.conf };
      // Airflow 3 requires logical_date in the request (null: no logical date, so no clash on it).
      body.logical_date = info.apiVersion === 'v2' ? null : logicalDate;
      if (request.note !== undefined) body.note = request.note;
      const response = await rest(name, { method: 'POST', path: runsPath, body });
      if (response.status === 409) return 'conflict';
      expectOk(name, request.dagId, response, 'trigger DAG run');
      return 'created';
    }
    const command = [
      'dags trigger',
      shellQuote(request.dagId),
      '-r',
      shellQuote(request.runId),
      '-c',
      shellQuote(JSON.stringify(request.conf)),
      // The CLI zeroes microseconds unless told not to, which would undo the distinct date.
      ...(logicalDate === undefined ? [] : ['-e', shellQuote(logicalDate), '--no-replace-microseconds']),
      '-o json',
    ].join(' ');
    const { stdout, stderr } = await cli(name, command);
    const runs = parseJsonList(stdout) as Array<{ dag_run_id?: string; run_id?: string }> | undefined;
    if (runs?.some((run) => (run.dag_run_id ?? run.run_id) === request.runId)) return 'created';
    if (/DagRunAlreadyExists|already exists/i.test(stderr)) return 'conflict';
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

  /**
   * Whether a run with this id exists: the only proof that a conflict is our own earlier trigger.
   * Through InvokeRestApi when the run's path fits its 64 characters, otherwise through the CLI
   * endpoint (`dags list-runs`), never by trusting the conflict.
   */
  async function runExists(info: EnvironmentInfo, dagId: string, runId: string): Promise<boolean> {
    const name = info.name;
    const runPath = `${dagPath(dagId)}/dagRuns/${encodeURIComponent(runId)}`;
    if (info.transport === 'rest' && runPath.length <= MAX_REST_PATH) {
      const response = await rest(name, { method: 'GET', path: runPath });
      if (response.status === 200) return true;
      if (response.status === 404) return false;
      expectOk(name, dagId, response, 'read DAG run of');
      return false;
    }
    // Airflow 2 names the DAG with -d; Airflow 3 takes it as the positional argument.
    const dag = shellQuote(dagId);
    const command =
      info.apiVersion === 'v2' ? `dags list-runs ${dag} -o json` : `dags list-runs -d ${dag} -o json`;
    const { stdout, stderr } = await cli(name, command);
    const runs = parseJsonList(stdout) as Array<{ run_id?: string; dag_run_id?: string }> | undefined;
    if (runs) return runs.some((run) => (run.run_id ?? run.dag_run_id) === runId);
    if (/does not exist|not found/i.test(stderr)) {
      throw new DagNotFoundError(`DAG ${dagId} was not found in environment ${name}`, { context: { dagId } });
    }
    // No parseable answer is no proof either way: let the caller retry the whole trigger.
    throw new AirflowServerError(
      `Airflow CLI on ${name} could not list the runs of ${dagId} to confirm run ${runId}: ${lastLine(stderr) || 'no output'}`,
      { context: { dagId } },
    );
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
    // A 409 is "done" only once the run id is read back. Otherwise (Airflow 2) another run holds
    // our logical date: move to the next deterministic slot and try again; give up loudly.
    for (let attempt = 1; attempt <= MAX_CONFLICT_ATTEMPTS; attempt += 1) {
      const logicalDate =
        info.apiVersion === 'v1'
          ? logicalDateFor(request.runId, attempt, request.anchorTime, now())
          : undefined;
      if ((await createRun(info, request, logicalDate)) === 'created') {
        return { outcome: 'triggered', runId: request.runId, unpaused };
      }
      if (await runExists(info, request.dagId, request.runId)) {
        return { outcome: 'already-exists', runId: request.runId, unpaused };
      }
      options.onConflict?.({ environment: name, dagId: request.dagId, runId: request.runId, attempt });
    }
    throw new UnconfirmedConflictError(
      `Airflow on ${name} refused run ${request.runId} of ${request.dagId} with a conflict ${MAX_CONFLICT_ATTEMPTS} times although no run with that id exists (another run holds the logical date); nothing was triggered`,
      { status: 409, context: { dagId: request.dagId, runId: request.runId } },
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
