/** The record Lambda sends to an asynchronous invocation's OnSuccess / OnFailure destination. */
import type { LambdaErrorPayload } from './protocol.ts';

export type DestinationCondition = 'Success' | 'RetriesExhausted' | 'EventAgeExceeded';

export function destinationRecord(input: {
  requestId: string;
  functionArn: string;
  condition: DestinationCondition;
  approximateInvokeCount: number;
  requestPayload: unknown;
  time: Date;
  outcome?: { ok: true; payload: unknown } | { ok: false; error: LambdaErrorPayload };
}) {
  const record: Record<string, unknown> = {
    version: '1.0',
    timestamp: input.time.toISOString(),
    requestContext: {
      requestId: input.requestId,
      functionArn: `${input.functionArn}:$LATEST`,
      condition: input.condition,
      approximateInvokeCount: input.approximateInvokeCount,
    },
    requestPayload: input.requestPayload,
  };
  if (input.outcome) {
    record.responseContext = {
      statusCode: 200,
      executedVersion: '$LATEST',
      ...(input.outcome.ok ? {} : { functionError: 'Unhandled' }),
    };
    record.responsePayload = input.outcome.ok ? input.outcome.payload : input.outcome.error;
  }
  return record;
}
