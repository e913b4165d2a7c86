/**
 * Powertools logger and tracer, and the middy wiring every handler uses.
 *
 * Logs are structured JSON. Handlers add correlation ids (S3 object, DAG run id, execution ARN)
 * with `logger.appendKeys`; they never log whole events, tokens, credentials or conf values.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { once } from './lazy.ts';
import { mapStack } from './stack-map.ts';

export const logger = new Logger();

/** The tracer and its middleware (tracing.ts), loaded by the first invocation. */
export const loadTracing = once(() => import('./tracing.ts'));

/**
 * A middleware that loads the real one on its first use and then delegates every phase to it.
 * It never returns a value from `before`, which middy would take as an early response.
 */
export function deferredMiddleware(load: () => Promise<MiddlewareObj>): MiddlewareObj {
  return {
    before: async (request) => {
      await (await load()).before?.(request);
    },
    after: async (request) => {
      await (await load()).after?.(request);
    },
    onError: async (request) => {
      await (await load()).onError?.(request);
    },
  };
}

/**
 * The stack of a failed invocation goes to the function's log, not to its caller. Lambda turns
 * `error.stack` into the `trace` of the error it returns, and Step Functions copies that into
 * the execution's cause, which reaches the notification topic (and every e-mail subscribed to
 * it) with file paths and line numbers. Operators need name and message there; the frames stay
 * in the log line written here, under the request id, mapped to the TypeScript sources
 * (stack-map.ts) before Powertools formats it, so its `stack` and `location` name them.
 */
export function stackToLog(log: Pick<Logger, 'error'>): MiddlewareObj {
  return {
    onError: (request) => {
      const error = request.error;
      if (!(error instanceof Error)) return;
      if (typeof error.stack === 'string') error.stack = mapStack(error.stack);
      log.error('invocation failed', { error });
      error.stack = `${error.name}: ${error.message}`;
    },
  };
}

/**
 * Wrap a handler with the context-aware logger (keys cleared between invocations) and the
 * tracer (a subsegment per invocation, response capture off so payloads never reach X-Ray).
 */
export function withObservability<TEvent, TResult>(
  handler: (event: TEvent, context: Context) => Promise<TResult>,
) {
  return (
    middy(handler)
      // logEvent pinned off: Powertools would otherwise log whole events when
      // POWERTOOLS_LOGGER_LOG_EVENT=true is set, and events carry ALB tokens and DAG conf.
      .use(injectLambdaContext(logger, { resetKeys: true, logEvent: false }))
      .use(deferredMiddleware(async () => (await loadTracing()).tracingMiddleware))
      // Last, so its onError runs first (middy runs them in reverse), while the logger still
      // carries the request's keys.
      .use(stackToLog(logger))
  );
}
