/** Messages between the Lambda runtime (main thread) and a function's worker thread. */

export interface WorkerInit {
  /** file: URL of the module to import (bundle or TypeScript source). */
  entryUrl: string;
  handlerExport: string;
  /** `Handler` as the template writes it, for error messages. */
  handlerName: string;
}

export interface InvokeContextData {
  awsRequestId: string;
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  logGroupName: string;
  logStreamName: string;
  /** Epoch ms (real time) when the invocation times out. */
  deadlineMs: number;
  traceId: string;
}

export interface InvokeMessage {
  type: 'invoke';
  id: number;
  event: unknown;
  context: InvokeContextData;
}

/** Lambda's error payload, as the Node.js runtime serialises a thrown error. */
export interface LambdaErrorPayload {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

export type ResultMessage =
  | { type: 'result'; id: number; ok: true; payload: string }
  | { type: 'result'; id: number; ok: false; error: LambdaErrorPayload };

/** Sent once when the INIT phase (module import) is over, successfully or not. */
export interface ReadyMessage {
  type: 'ready';
}

/**
 * Written by the worker to stdout and stderr after each invocation, before its result: the
 * runtime reports the invocation done only once both streams reached it, so `logs()` holds
 * everything the invocation printed when `invoke` resolves (the streams and messages are
 * separate channels with no ordering between them).
 */
export const FLUSH_MARKER = '\u0000mwaa-ops-local:flushed:';
