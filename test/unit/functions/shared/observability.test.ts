import { describe, expect, it, jest } from '@jest/globals';
import type { Context } from 'aws-lambda';
import { logger, withObservability } from '../../../../functions/shared/observability.ts';

const context = {
  functionName: 'test-fn',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:test-fn',
  memoryLimitInMB: '256',
  awsRequestId: 'req-1',
  logGroupName: '/aws/lambda/test-fn',
  logStreamName: 'stream',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 1000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} satisfies Context;

describe('functions/shared/observability', () => {
  it('runs the wrapped handler and logs structured JSON with the request id, outside Lambda too', async () => {
    const lines: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      const handler = withObservability(async (event: { n: number }) => {
        logger.info('doubling', { n: event.n });
        return event.n * 2;
      });
      await expect(handler({ n: 21 }, context)).resolves.toBe(42);
    } finally {
      spy.mockRestore();
    }
    const entry = lines.map((line) => JSON.parse(line)).find((e) => e.message === 'doubling');
    expect(entry).toMatchObject({
      level: 'INFO',
      n: 21,
      function_request_id: 'req-1',
      service: expect.any(String),
    });
  });
});

describe('functions/shared/observability errors', () => {
  it('logs the stack of a failed invocation and hands the caller only name and message', async () => {
    const lines: string[] = [];
    // Powertools writes ERROR lines to stderr; in Lambda both streams reach the log group.
    const spies = [process.stdout, process.stderr].map((stream) =>
      jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        lines.push(String(chunk));
        return true;
      }),
    );
    class EnvironmentNotFoundError extends Error {
      override name = 'EnvironmentNotFoundError';
    }
    let thrown: unknown;
    try {
      const handler = withObservability(async () => {
        throw new EnvironmentNotFoundError('Environment dev was not found');
      });
      await handler({}, context).catch((error: unknown) => {
        thrown = error;
      });
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    // What Lambda would return: the trace is error.stack split into lines.
    expect(thrown).toBeInstanceOf(EnvironmentNotFoundError);
    expect((thrown as Error).stack?.split('\n')).toEqual([
      'EnvironmentNotFoundError: Environment dev was not found',
    ]);
    const logged = lines.map((line) => JSON.parse(line)).find((e) => e.message === 'invocation failed');
    expect(logged).toMatchObject({ level: 'ERROR', function_request_id: 'req-1' });
    expect(JSON.stringify(logged.error)).toContain('test/unit/functions/shared/observability.test.ts');
  });
});
