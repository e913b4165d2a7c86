/**
 * A Lambda execution environment in a worker thread: imports the function module once (the
 * module scope persists between invocations, like a warm container), then runs one invocation
 * at a time with a Lambda-like context. `process.env` is the function's environment, set by the
 * runtime when it creates the worker.
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  FLUSH_MARKER,
  type InvokeMessage,
  type LambdaErrorPayload,
  type ResultMessage,
  type WorkerInit,
} from './protocol.ts';

type Handler = (event: unknown, context: unknown) => unknown;

const init = workerData as WorkerInit;
let loaded: Promise<Handler> | undefined;

function errorPayload(error: unknown, fallbackType = 'Error'): LambdaErrorPayload {
  if (error instanceof Error) {
    return {
      errorType: error.name || error.constructor?.name || fallbackType,
      errorMessage: error.message,
      trace: (error.stack ?? '').split('\n'),
    };
  }
  return { errorType: typeof error, errorMessage: typeof error === 'string' ? error : JSON.stringify(error) };
}

class InitError extends Error {
  readonly payload: LambdaErrorPayload;
  constructor(payload: LambdaErrorPayload) {
    super(payload.errorMessage);
    this.name = 'InitError';
    this.payload = payload;
  }
}

function loadHandler(): Promise<Handler> {
  loaded ??= (async () => {
    let mod: Record<string, unknown>;
    try {
      mod = (await import(init.entryUrl)) as Record<string, unknown>;
    } catch (error) {
      const notFound = (error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND';
      const payload = errorPayload(error);
      throw new InitError(notFound ? { ...payload, errorType: 'Runtime.ImportModuleError' } : payload);
    }
    const handler = mod[init.handlerExport];
    if (typeof handler !== 'function') {
      throw new InitError({
        errorType: 'Runtime.HandlerNotFound',
        errorMessage: `${init.handlerName} is undefined or not exported`,
      });
    }
    return handler as Handler;
  })();
  return loaded;
}

async function invoke(message: InvokeMessage): Promise<ResultMessage> {
  let handler: Handler;
  try {
    handler = await loadHandler();
  } catch (error) {
    return {
      type: 'result',
      id: message.id,
      ok: false,
      error: error instanceof InitError ? error.payload : errorPayload(error),
    };
  }
  const { deadlineMs, traceId, ...fields } = message.context;
  process.env._X_AMZN_TRACE_ID = traceId;
  const context = {
    ...fields,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
  };
  try {
    const result = await handler(message.event, context);
    // Lambda returns the JSON serialisation of the result; `undefined` becomes null.
    return { type: 'result', id: message.id, ok: true, payload: JSON.stringify(result) ?? 'null' };
  } catch (error) {
    return { type: 'result', id: message.id, ok: false, error: errorPayload(error) };
  }
}

// Initialise eagerly, as Lambda does: the import runs in the INIT phase, before the first
// invocation's timeout starts counting. Init errors are reported by that invocation.
loadHandler()
  .catch(() => {})
  .finally(() => parentPort?.postMessage({ type: 'ready' }));

parentPort?.on('message', (message: InvokeMessage) => {
  if (message?.type !== 'invoke') return;
  invoke(message).then((result) => {
    process.stdout.write(`${FLUSH_MARKER}${message.id}\n`);
    process.stderr.write(`${FLUSH_MARKER}${message.id}\n`);
    parentPort?.postMessage(result);
  });
});
