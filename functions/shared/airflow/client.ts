/**
 * The one Airflow client every function uses.
 *
 * It asks MWAA once per container (and per few minutes) which Airflow version an environment
 * runs, and from that chooses the REST API prefix (/api/v1 on 2.x, /api/v2 on 3.x) and, per
 * call, the transport: REST through InvokeRestApi (2.4.3 and later, paths up to 64 characters)
 * or the CLI endpoint (dag-transport.ts). The transports translate operations; this module owns
 * what is common to both: the environment and pause-state caches, retries, and the trigger's
 * conflict handling. Throttling, 5xx and timeouts
 * are retried with jittered exponential backoff; nothing else is. Conf values never appear in
 * errors or logs: they may carry secrets.
 */
import { GetEnvironmentCommand, type MWAAClient } from '@aws-sdk/client-mwaa';
import pRetry from 'p-retry';
import { createCliDagTransport } from './cli-dag-transport.ts';
import type { CliTransport } from './cli-transport.ts';
import { chooseTransport, MAX_REST_PATH, restPaths } from './dag-transport.ts';
import {
  AirflowError,
  AirflowRequestError,
  AirflowServerError,
  AirflowThrottledError,
  DagPausedError,
  EnvironmentUnavailableError,
  UnconfirmedConflictError,
} from './errors.ts';
import type { RestRequest, RestResponse, RestTransport } from './invoke-rest-api.ts';
import { logicalDateFor } from './logical-dates.ts';
import { createRestDagTransport } from './rest-dag-transport.ts';
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

/** Tries (each with its own logical date) before an unconfirmed conflict is reported. */
export const MAX_CONFLICT_ATTEMPTS = 4;

export { MAX_REST_PATH };

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

  const transports = {
    rest: createRestDagTransport(rest),
    cli: createCliDagTransport((name, command) => withRetry(name, () => options.cli.run(name, command))),
  };

  async function isPaused(name: string, dagId: string): Promise<boolean> {
    const key = `${name}\u0000${dagId}`;
    const cached = paused.get(key);
    if (cached && cached.expiresAt > now()) return cached.paused;
    const info = await environment(name);
    const value = await chooseTransport(info, restPaths.dag(dagId), transports).isPaused(info, dagId);
    paused.set(key, { paused: value, expiresAt: now() + pausedTtl });
    return value;
  }

  async function setPaused(name: string, dagId: string, value: boolean): Promise<void> {
    const info = await environment(name);
    await chooseTransport(info, restPaths.dag(dagId), transports).setPaused(info, dagId, value);
    paused.set(`${name}\u0000${dagId}`, { paused: value, expiresAt: now() + pausedTtl });
  }

  /** Through InvokeRestApi when the runs path fits its 64 characters, otherwise the CLI endpoint. */
  function createRun(info: EnvironmentInfo, request: TriggerRequest, logicalDate: string | undefined) {
    const { dagId, runId, conf, note } = request;
    return chooseTransport(info, restPaths.runs(dagId), transports).createRun(info, {
      dagId,
      runId,
      conf,
      logicalDate,
      ...(note === undefined ? {} : { note }),
    });
  }

  /**
   * Whether our run exists, through whichever transport can address the run (a long id only
   * through the CLI's `dags list-runs`); never decided by trusting the conflict.
   */
  function runExists(info: EnvironmentInfo, dagId: string, runId: string) {
    return chooseTransport(info, restPaths.run(dagId, runId), transports).runExists(info, dagId, runId);
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
