/**
 * MappedStackLogFormatter prints what Powertools' default formatter prints (it copies that
 * class, which Powertools does not export), except that bundle stacks are source-mapped.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it, jest } from '@jest/globals';
import type { Context } from 'aws-lambda';
import { MappedStackLogFormatter } from '../../functions/shared/log-format.ts';

const context = {
  functionName: 'fn',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:fn',
  memoryLimitInMB: '256',
  awsRequestId: 'req-1',
  logGroupName: '/aws/lambda/fn',
  logStreamName: 'stream',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 1000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} satisfies Context;

/** The JSON lines `write` produces, timestamps blanked (the two loggers log a moment apart). */
function linesOf(write: (logger: Logger) => void, logger: Logger): Array<Record<string, unknown>> {
  const lines: string[] = [];
  const spies = [process.stdout, process.stderr].map((stream) =>
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    }),
  );
  try {
    write(logger);
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return lines.map((line) => ({ ...JSON.parse(line), timestamp: 'T' }));
}

describe('functions/shared/log-format', () => {
  it('writes the same lines as the default Powertools formatter', () => {
    const cause = new TypeError('inner');
    const error = Object.assign(new Error('outer', { cause }), { code: 'E_OUTER' });
    const write = (logger: Logger) => {
      logger.addContext(context);
      logger.appendKeys({ flowId: 'f-1' });
      logger.info('hello', { n: 1, nested: { a: [1, 2] } });
      logger.warn('careful');
      logger.error('failed', { error });
      logger.error('failed as the second argument', error);
    };
    const ours = linesOf(
      write,
      new Logger({ serviceName: 's', logFormatter: new MappedStackLogFormatter() }),
    );
    const theirs = linesOf(write, new Logger({ serviceName: 's' }));
    expect(ours).toEqual(theirs);
    expect(ours.map((line) => Object.keys(line))).toEqual(theirs.map((line) => Object.keys(line)));
    expect(ours).toHaveLength(4);
  });

  it('maps a bundle stack and its location, leaving the rest of the error as it was', () => {
    const formatter = new MappedStackLogFormatter();
    const error = new Error('boom');
    // No map beside this file: nothing to map, and the formatter changes nothing.
    error.stack = 'Error: boom\n    at f (file:///nowhere/index.mjs:1:20)';
    expect(formatter.formatError(error)).toMatchObject({
      name: 'Error',
      message: 'boom',
      location: 'file:///nowhere/index.mjs:1',
      stack: 'Error: boom\n    at f (file:///nowhere/index.mjs:1:20)',
    });
  });
});
