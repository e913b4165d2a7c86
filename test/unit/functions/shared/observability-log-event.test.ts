/**
 * Events carry ALB tokens and DAG conf: Powertools must never log them, even when someone sets
 * POWERTOOLS_LOGGER_LOG_EVENT=true on a function (which Powertools honours unless the
 * middleware pins `logEvent`).
 */
import { afterAll, describe, expect, it, jest } from '@jest/globals';
import type { Context } from 'aws-lambda';

const previous = process.env.POWERTOOLS_LOGGER_LOG_EVENT;
afterAll(() => {
  if (previous === undefined) delete process.env.POWERTOOLS_LOGGER_LOG_EVENT;
  else process.env.POWERTOOLS_LOGGER_LOG_EVENT = previous;
});

describe('Function: withObservability', () => {
  it('never logs the invocation event, whatever POWERTOOLS_LOGGER_LOG_EVENT says', async () => {
    process.env.POWERTOOLS_LOGGER_LOG_EVENT = 'true';
    process.env.POWERTOOLS_TRACE_ENABLED = 'false';
    const { withObservability, logger } = await import('../../../../functions/shared/observability.ts');
    expect(logger.shouldLogEvent()).toBe(true); // the variable is read: without the pin it would log
    const written: string[] = [];
    const spies = [
      jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
      }),
      ...(['log', 'info', 'warn', 'error', 'debug'] as const).map((level) =>
        jest.spyOn(console, level).mockImplementation((...args: unknown[]) => {
          written.push(args.map(String).join(' '));
        }),
      ),
    ];
    const handler = withObservability(async () => 'ok');
    const context = {
      functionName: 'f',
      awsRequestId: 'r',
      getRemainingTimeInMillis: () => 1000,
    } as unknown as Context;
    try {
      await handler({ headers: { 'x-amzn-oidc-data': 'SECRET-TOKEN' } }, context);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect(written.join('\n')).not.toContain('SECRET-TOKEN');
  });
});
