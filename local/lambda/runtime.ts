/**
 * The local Lambda service: one worker thread per concurrent execution environment, kept warm
 * between invocations, timeouts enforced by terminating the worker, asynchronous invocations
 * queued and retried with their destinations, and each function's output captured as its logs.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Clock } from '../core/clock.ts';
import type { FaultRegistry } from '../core/faults.ts';
import type { LocalFunction } from '../core/model.ts';
import { destinationRecord } from './destinations.ts';
import { LambdaInvokeError, LambdaServiceError, ResourceNotFoundError } from './errors.ts';
import {
  FLUSH_MARKER,
  type InvokeMessage,
  type LambdaErrorPayload,
  type ReadyMessage,
  type ResultMessage,
  type WorkerInit,
} from './protocol.ts';

export type InvokeOutcome = { ok: true; payload: unknown } | { ok: false; error: LambdaErrorPayload };

export interface LambdaRuntimeOptions {
  functions: LocalFunction[];
  /** Directory whose dist/functions/<folder>/index.mjs holds the bundles. */
  root: string;
  region: string;
  clock: Clock;
  /** Endpoints, credentials and region every function sees (AWS_ENDPOINT_URL_* …). */
  baseEnv: () => Record<string, string>;
  /** Echo function output to the console. */
  echo: boolean;
  log: (message: string, fields?: Record<string, unknown>) => void;
  /** Deliver a destination record to an ARN (SQS, SNS, Lambda, EventBridge). */
  deliver: (arn: string, payload: string) => Promise<void>;
  /** Concurrent execution environments per function. */
  maxConcurrency?: number;
  /**
   * Faults for service `lambda`, operation `Invoke`, applied to every invocation (each async
   * attempt too): an error is a Lambda service error (`TooManyRequestsException` …), `Timeout`
   * makes the function time out, `Latency` delays it.
   */
  faults?: FaultRegistry;
  /**
   * Resolves when every endpoint is known. Invocations that arrive earlier (a schedule firing
   * while the cloud starts) wait for it, so no worker is created with an incomplete environment.
   */
  ready?: Promise<void>;
}

export interface LambdaRuntime {
  /** Run an invocation and report Lambda's outcome (throws only for Lambda service errors). */
  invokeRaw(nameOrArn: string, event: unknown): Promise<InvokeOutcome>;
  /** Synchronous invocation: the payload, or a LambdaInvokeError. */
  invoke(nameOrArn: string, event: unknown): Promise<unknown>;
  /** Asynchronous invocation (`InvocationType: Event`): queued, retried, then sent to its destination. */
  invokeAsync(nameOrArn: string, event: unknown): { requestId: string };
  /** Resolves when no asynchronous invocation is queued or running. */
  settled(): Promise<void>;
  lookup(nameOrArn: string): LocalFunction | undefined;
  logs(nameOrArn: string): string[];
  /** Invocations started per function (attempts included). */
  invocationCount(nameOrArn: string): number;
  close(): Promise<void>;
}

/** Where the worker script lives: beside this module in the sources, beside the bundle in dist/local. */
function workerScript(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('./worker.ts', here) : new URL('./lambda-worker.mjs', here);
}

interface Environment {
  worker: Worker;
  /** Resolves when the INIT phase is over (or the worker died); its duration in ms. */
  ready: Promise<number>;
  /** Set until the first invocation has reported it. */
  initDurationMs?: number;
  /** The first invocation on this environment has reported the init duration. */
  reported?: boolean;
  pending?: {
    id: number;
    resolve: (outcome: InvokeOutcome) => void;
    /** Output streams (stdout, stderr) that have reached the invocation's flush marker. */
    flushed: number;
    outcome?: InvokeOutcome;
  };
}

/** How long a result waits for its output to arrive before it is reported anyway. */
const FLUSH_GRACE_MS = 500;

/** Lambda's limit for the INIT phase. */
const INIT_TIMEOUT_MS = 10_000;

interface FunctionState {
  fn: LocalFunction;
  entryUrl: string;
  idle: Environment[];
  busy: number;
  waiters: Array<() => void>;
  logs: string[];
  invocations: number;
}

export function createLambdaRuntime(options: LambdaRuntimeOptions): LambdaRuntime {
  const maxConcurrency = options.maxConcurrency ?? 10;
  const states = new Map<string, FunctionState>();
  const all = new Set<Environment>();
  const asyncRuns = new Set<Promise<void>>();
  let nextId = 1;
  let closed = false;

  for (const fn of options.functions) {
    const bundle = join(options.root, 'dist', 'functions', fn.folder, 'index.mjs');
    const useBundle = existsSync(bundle);
    const state: FunctionState = {
      fn,
      entryUrl: pathToFileURL(useBundle ? bundle : fn.sourceEntry).href,
      idle: [],
      busy: 0,
      waiters: [],
      logs: [],
      invocations: 0,
    };
    if (!useBundle) {
      const line = `no bundle at dist/functions/${fn.folder}/index.mjs (run \`npm run build\`): importing the TypeScript source ${fn.sourceEntry}`;
      state.logs.push(line);
      options.log(`${fn.logicalId}: ${line}`);
    }
    states.set(fn.logicalId, state);
  }

  const lookupState = (nameOrArn: string): FunctionState | undefined => {
    const bare = nameOrArn.replace(/:(\$LATEST|\d+)$/, '');
    for (const state of states.values()) {
      const { fn } = state;
      if (fn.logicalId === bare || fn.name === bare || fn.arn === bare) return state;
    }
    return undefined;
  };
  const mustState = (nameOrArn: string): FunctionState => {
    const state = lookupState(nameOrArn);
    if (!state) throw new ResourceNotFoundError(`Function not found: ${nameOrArn}`);
    return state;
  };

  const record = (state: FunctionState, line: string) => {
    state.logs.push(line);
    if (options.echo) process.stdout.write(`[${state.fn.logicalId}] ${line}\n`);
  };

  /** Report the pending invocation once its result and both streams' flush markers are in. */
  const settle = (env: Environment, force = false) => {
    const pending = env.pending;
    if (!pending?.outcome || (pending.flushed < 2 && !force)) return;
    env.pending = undefined;
    pending.resolve(pending.outcome);
  };

  const pipeLines = (state: FunctionState, stream: NodeJS.ReadableStream, env: Environment) => {
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith(FLUSH_MARKER)) {
          record(state, line);
          continue;
        }
        if (env.pending && env.pending.id === Number(line.slice(FLUSH_MARKER.length))) {
          env.pending.flushed += 1;
          settle(env);
        }
      }
    });
    stream.on('end', () => {
      if (buffered) record(state, buffered);
    });
  };

  const functionEnv = (fn: LocalFunction, entryUrl: string): Record<string, string> => {
    const logGroup = `/aws/lambda/${fn.name}`;
    return {
      ...options.baseEnv(),
      ...fn.environment,
      AWS_REGION: options.region,
      AWS_DEFAULT_REGION: options.region,
      AWS_LAMBDA_FUNCTION_NAME: fn.name,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
      AWS_LAMBDA_LOG_GROUP_NAME: logGroup,
      AWS_LAMBDA_LOG_STREAM_NAME: `${options.clock.date().toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]${randomUUID().replace(/-/g, '')}`,
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      LAMBDA_TASK_ROOT: dirname(new URL(entryUrl).pathname),
      LAMBDA_RUNTIME_DIR: '/var/runtime',
      _HANDLER: `index.${fn.handlerExport}`,
    };
  };

  const spawn = (state: FunctionState): Environment => {
    const init: WorkerInit = {
      entryUrl: state.entryUrl,
      handlerExport: state.fn.handlerExport,
      handlerName: `index.${state.fn.handlerExport}`,
    };
    const worker = new Worker(workerScript(), {
      workerData: init,
      env: functionEnv(state.fn, state.entryUrl),
      stdout: true,
      stderr: true,
    });
    const spawned = Date.now();
    let markReady: (ms: number) => void = () => {};
    const env: Environment = { worker, ready: new Promise<number>((resolve) => (markReady = resolve)) };
    const initTimer = setTimeout(() => markReady(Date.now() - spawned), INIT_TIMEOUT_MS);
    env.ready.then((ms) => {
      clearTimeout(initTimer);
      env.initDurationMs = ms;
    });
    all.add(env);
    pipeLines(state, worker.stdout, env);
    pipeLines(state, worker.stderr, env);
    worker.on('message', (message: ResultMessage | ReadyMessage) => {
      if (message?.type === 'ready') {
        markReady(Date.now() - spawned);
        return;
      }
      if (message?.type !== 'result' || env.pending?.id !== message.id) return;
      const pending = env.pending;
      pending.outcome = message.ok
        ? { ok: true, payload: JSON.parse(message.payload) }
        : { ok: false, error: message.error };
      settle(env);
      if (env.pending === pending) {
        setTimeout(() => {
          if (env.pending === pending) settle(env, true);
        }, FLUSH_GRACE_MS).unref();
      }
    });
    const fail = (error: LambdaErrorPayload) => {
      markReady(Date.now() - spawned);
      all.delete(env);
      state.idle = state.idle.filter((e) => e !== env);
      if (env.pending) {
        const { resolve } = env.pending;
        env.pending = undefined;
        resolve({ ok: false, error });
      }
    };
    worker.on('error', (error) =>
      fail({
        errorType: 'Runtime.ExitError',
        errorMessage: `${error.name}: ${error.message}`,
        trace: (error.stack ?? '').split('\n'),
      }),
    );
    worker.on('exit', (code) =>
      fail({ errorType: 'Runtime.ExitError', errorMessage: `RequestId: exited with code ${code}` }),
    );
    return env;
  };

  const acquire = async (state: FunctionState): Promise<Environment> => {
    for (;;) {
      // Counted busy here, synchronously, so concurrent callers cannot exceed the cap.
      const idle = state.idle.pop();
      if (idle && all.has(idle)) {
        state.busy += 1;
        return idle;
      }
      if (state.busy < maxConcurrency) {
        state.busy += 1;
        return spawn(state);
      }
      await new Promise<void>((resolve) => state.waiters.push(resolve));
    }
  };

  const invokeRaw = async (nameOrArn: string, event: unknown): Promise<InvokeOutcome> => {
    if (closed) throw new Error('the local cloud is stopped');
    const state = mustState(nameOrArn);
    const { fn } = state;
    await options.ready;
    if (closed) throw new Error('the local cloud is stopped');
    const fault = options.faults?.take('lambda', 'Invoke');
    if (fault?.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    if (fault && fault.error !== 'Latency' && fault.error !== 'Timeout') {
      throw new LambdaServiceError(fault.error, fault.message, fault.status);
    }
    const env = await acquire(state);
    const initDurationMs = await env.ready;
    const coldStart = env.initDurationMs !== undefined && !env.reported;
    env.reported = true;
    state.invocations += 1;
    const requestId = randomUUID();
    const started = Date.now();
    record(state, `START RequestId: ${requestId} Version: $LATEST`);
    // An injected Timeout: the function "runs" until its deadline.
    const timeoutMs = fault?.error === 'Timeout' ? 0 : fn.timeoutSeconds * 1000;
    const id = nextId++;
    const message: InvokeMessage = {
      type: 'invoke',
      id,
      // Events cross the thread boundary as JSON, as they cross the wire to Lambda.
      event: JSON.parse(JSON.stringify(event ?? null)),
      context: {
        awsRequestId: requestId,
        functionName: fn.name,
        functionVersion: '$LATEST',
        invokedFunctionArn: fn.arn,
        memoryLimitInMB: String(fn.memoryMb),
        logGroupName: `/aws/lambda/${fn.name}`,
        logStreamName: `${new Date(started).toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]${requestId.replace(/-/g, '')}`,
        deadlineMs: started + fn.timeoutSeconds * 1000,
        traceId: `Root=1-${Math.floor(started / 1000).toString(16)}-${randomUUID().replace(/-/g, '').slice(0, 24)};Parent=${randomUUID().replace(/-/g, '').slice(0, 16)};Sampled=0`,
      },
    };
    let timer: NodeJS.Timeout | undefined;
    const outcome = await new Promise<InvokeOutcome>((resolve) => {
      env.pending = { id, resolve, flushed: 0 };
      timer = setTimeout(() => {
        // Lambda stops the execution environment; the next invocation gets a fresh one.
        const seconds = fn.timeoutSeconds.toFixed(2);
        record(state, `${new Date().toISOString()} ${requestId} Task timed out after ${seconds} seconds`);
        all.delete(env);
        env.pending = undefined;
        env.worker.terminate().catch(() => {});
        resolve({
          ok: false,
          error: {
            errorType: 'Sandbox.Timedout',
            errorMessage: `RequestId: ${requestId} Error: Task timed out after ${seconds} seconds`,
          },
        });
      }, timeoutMs);
      env.worker.postMessage(message);
    });
    clearTimeout(timer);
    const duration = Date.now() - started;
    record(state, `END RequestId: ${requestId}`);
    record(
      state,
      `REPORT RequestId: ${requestId}\tDuration: ${duration.toFixed(2)} ms\tBilled Duration: ${Math.max(1, Math.ceil(duration))} ms\tMemory Size: ${fn.memoryMb} MB${coldStart ? `\tInit Duration: ${initDurationMs.toFixed(2)} ms` : ''}`,
    );
    state.busy -= 1;
    if (all.has(env) && !closed) state.idle.push(env);
    state.waiters.shift()?.();
    return outcome;
  };

  const runAsync = async (state: FunctionState, requestId: string, event: unknown) => {
    const { fn } = state;
    const enqueued = options.clock.now();
    const attempts = 1 + Math.max(0, fn.async.maximumRetryAttempts);
    let outcome: InvokeOutcome | undefined;
    let count = 0;
    let condition: 'RetriesExhausted' | 'EventAgeExceeded' = 'RetriesExhausted';
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      // Lambda waits about a minute before the first retry and two before the second.
      if (attempt > 1) await options.clock.sleep(60_000 * (attempt - 1));
      if (closed) return;
      if (options.clock.now() - enqueued > fn.async.maximumEventAgeSeconds * 1000) {
        condition = 'EventAgeExceeded';
        break;
      }
      count = attempt;
      outcome = await invokeRaw(fn.logicalId, event).catch((error: unknown): InvokeOutcome => {
        if (!(error instanceof LambdaServiceError)) throw error;
        return { ok: false, error: { errorType: error.name, errorMessage: error.message } };
      });
      if (outcome.ok) break;
      options.log(
        `${fn.logicalId}: asynchronous attempt ${attempt}/${attempts} failed: ${outcome.error.errorType}`,
      );
    }
    const succeeded = outcome?.ok === true;
    const destination = succeeded ? fn.async.onSuccess : fn.async.onFailure;
    if (!succeeded)
      record(state, `asynchronous invocation ${requestId} failed after ${count} attempt(s) (${condition})`);
    if (!destination || closed) return;
    const payload = destinationRecord({
      requestId,
      functionArn: fn.arn,
      condition: succeeded ? 'Success' : condition,
      approximateInvokeCount: count,
      requestPayload: event,
      time: options.clock.date(),
      ...(outcome ? { outcome } : {}),
    });
    await options.deliver(destination, JSON.stringify(payload)).catch((error: unknown) => {
      record(state, `delivery to destination ${destination} failed: ${String(error)}`);
    });
  };

  return {
    invokeRaw,
    async invoke(nameOrArn, event) {
      const outcome = await invokeRaw(nameOrArn, event);
      if (outcome.ok) return outcome.payload;
      throw new LambdaInvokeError(mustState(nameOrArn).fn.name, outcome.error);
    },
    invokeAsync(nameOrArn, event) {
      const state = mustState(nameOrArn);
      const requestId = randomUUID();
      const run = runAsync(state, requestId, JSON.parse(JSON.stringify(event ?? null))).catch(
        (error: unknown) =>
          options.log(
            `${state.fn.logicalId}: asynchronous invocation ${requestId} crashed: ${String(error)}`,
          ),
      );
      asyncRuns.add(run);
      run.finally(() => asyncRuns.delete(run));
      return { requestId };
    },
    async settled() {
      while (asyncRuns.size) await Promise.all([...asyncRuns]);
    },
    lookup: (nameOrArn) => lookupState(nameOrArn)?.fn,
    logs: (nameOrArn) => [...mustState(nameOrArn).logs],
    invocationCount: (nameOrArn) => mustState(nameOrArn).invocations,
    async close() {
      closed = true;
      const workers = [...all];
      all.clear();
      for (const state of states.values()) {
        state.idle = [];
        for (const waiter of state.waiters.splice(0)) waiter();
      }
      await Promise.all(workers.map((env) => env.worker.terminate().catch(() => {})));
    },
  };
}
