/**
 * The Powertools tracer and its middy middleware. Loaded by observability.ts on the first
 * invocation, not at cold start: evaluating the X-Ray SDK costs about as much as the rest of
 * a function's init together (docs/benchmarks.md).
 */
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';

export const tracer = new Tracer();

/** A subsegment per invocation; response capture off so payloads never reach X-Ray. */
export const tracingMiddleware = captureLambdaHandler(tracer, { captureResponse: false });
