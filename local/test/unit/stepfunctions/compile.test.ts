import { describe, expect, it } from '@jest/globals';
import { compileDefinition, WAIT_RESOURCE } from '../../../stepfunctions/compile.ts';
import { DefinitionError, sdkErrorName, sdkErrorServiceName } from '../../../stepfunctions/errors.ts';
import { functionError, parseResource } from '../../../stepfunctions/tasks.ts';

// biome-ignore lint/suspicious/noExplicitAny: ASL definitions are loosely shaped JSON in these tests
type Json = Record<string, any>;

const definition = (): Json => ({
  TimeoutSeconds: 600,
  StartAt: 'Export',
  States: {
    Export: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: 'f', Payload: { 'token.$': '$$.Task.Token' } },
      TimeoutSecondsPath: '$.timeout',
      HeartbeatSeconds: 60,
      Retry: [{ ErrorEquals: ['States.HeartbeatTimeout'], IntervalSeconds: 10, MaxDelaySeconds: 40 }],
      Catch: [{ ErrorEquals: ['States.HeartbeatTimeout', 'States.Timeout'], Next: 'Poll' }],
      Next: 'Poll',
    },
    Poll: { Type: 'Wait', SecondsPath: '$.pollSeconds', OutputPath: '$.x', Next: 'Fan' },
    Fan: {
      Type: 'Map',
      ItemProcessor: { StartAt: 'Inner', States: { Inner: { Type: 'Wait', Seconds: 5, End: true } } },
      End: true,
    },
  },
});

describe('Function: compileDefinition', () => {
  it('wraps Task Parameters and moves path-valued timeouts into the wrapper', () => {
    const { definition: out, tasks } = compileDefinition(definition(), 100);
    const task = (out.States as Json).Export as Json;
    expect(task.Parameters).toEqual({
      __p: { FunctionName: 'f', Payload: { 'token.$': '$$.Task.Token' } },
      '__to.$': '$.timeout',
    });
    expect(task.TimeoutSecondsPath).toBeUndefined();
    expect(task.HeartbeatSeconds).toBeUndefined();
    expect(tasks.get('Export')).toMatchObject({ kind: 'task', heartbeatSeconds: 60 });
  });

  it('scales Retry intervals by the clock speed; States.Timeout also matches a lost heartbeat, not the reverse', () => {
    const { definition: out } = compileDefinition(definition(), 100);
    const task = (out.States as Json).Export as Json;
    // Only the heartbeat: a TimeoutSeconds expiry (States.Timeout) must not match this retrier.
    expect(task.Retry[0]).toMatchObject({
      ErrorEquals: ['States.HeartbeatTimeout'],
      IntervalSeconds: 0.1,
      MaxDelaySeconds: 0.4,
    });
    expect(task.Catch[0].ErrorEquals).toEqual(['States.HeartbeatTimeout', 'States.Timeout']);
    const timeoutOnly = compileDefinition(
      {
        StartAt: 'T',
        States: {
          T: {
            Type: 'Task',
            Resource: 'r',
            Catch: [{ ErrorEquals: ['States.Timeout'], Next: 'T' }],
            End: true,
          },
        },
      },
      1,
    ).definition;
    expect(((timeoutOnly.States as Json).T as Json).Catch[0].ErrorEquals).toEqual([
      'States.Timeout',
      'States.HeartbeatTimeout',
    ]);
  });

  it('turns Wait states, nested ones too, into local tasks and keeps their original type', () => {
    const { definition: out, tasks, stateTypes, timeoutSeconds } = compileDefinition(definition(), 1);
    expect((out.States as Json).Poll).toEqual({
      Type: 'Task',
      Resource: WAIT_RESOURCE,
      Parameters: { '__p.$': '$', '__s.$': '$.pollSeconds' },
      TimeoutSeconds: 2_147_483,
      OutputPath: '$.x',
      Next: 'Fan',
    });
    expect(tasks.get('Inner')).toMatchObject({ kind: 'wait', seconds: 5 });
    expect(stateTypes.get('Inner')).toBe('Wait');
    expect(timeoutSeconds).toBe(600);
    expect(out.TimeoutSeconds).toBeUndefined();
  });

  it('leaves the original definition untouched', () => {
    const original = definition();
    const before = JSON.stringify(original);
    compileDefinition(original, 10);
    expect(JSON.stringify(original)).toBe(before);
  });

  it('rejects a state name used twice (handlers are keyed by name)', () => {
    const def = definition();
    def.States.Fan.ItemProcessor.States = { Poll: { Type: 'Pass', End: true } };
    def.States.Fan.ItemProcessor.StartAt = 'Poll';
    expect(() => compileDefinition(def, 1)).toThrow(DefinitionError);
  });
});

describe('Function: parseResource', () => {
  it.each([
    ['arn:aws:states:::lambda:invoke', 'lambda', 'invoke', 'request'],
    [
      'arn:aws:states:::lambda:invoke.waitForTaskToken',
      'lambda',
      'invoke.waitForTaskToken',
      'waitForTaskToken',
    ],
    ['arn:aws:states:::aws-sdk:dynamodb:getItem', 'aws-sdk:dynamodb', 'getItem', 'request'],
    ['arn:aws:states:::states:startExecution.sync:2', 'states', 'startExecution.sync:2', 'sync:2'],
  ])('reads %s', (arn, resourceType, resource, pattern) => {
    expect(parseResource(arn)).toMatchObject({ resourceType, resource, pattern });
  });

  it('treats a plain function ARN as a Lambda function resource', () => {
    const arn = 'arn:aws:lambda:us-east-1:000000000000:function:worker';
    expect(parseResource(arn)).toMatchObject({ resourceType: 'lambda-function', resource: arn });
  });
});

describe('Function: functionError', () => {
  it("reports a function's own error as its errorType with Lambda's JSON Cause", () => {
    const thrown = Object.assign(new Error('run failed'), {
      name: 'LambdaInvokeError',
      errorType: 'ValidationError',
      errorMessage: 'bad conf',
      trace: ['ValidationError: bad conf', '    at handler'],
    });
    const error = functionError(thrown);
    expect(error.name).toBe('ValidationError');
    expect(JSON.parse(error.message)).toEqual({
      errorType: 'ValidationError',
      errorMessage: 'bad conf',
      trace: ['ValidationError: bad conf', '    at handler'],
    });
  });

  it('reports Lambda service failures as Lambda.<Name>', () => {
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'TooManyRequestsException',
      $fault: 'client',
    });
    expect(functionError(throttled)).toMatchObject({ name: 'Lambda.TooManyRequestsException' });
    const missing = Object.assign(new Error('Function not found'), { name: 'ResourceNotFoundException' });
    expect(functionError(missing)).toMatchObject({ name: 'Lambda.ResourceNotFoundException' });
  });
});

describe('Function: sdkErrorName', () => {
  it('prefixes the PascalCase service name and always ends with Exception', () => {
    expect(sdkErrorName(sdkErrorServiceName('dynamodb'), 'ConditionalCheckFailedException')).toBe(
      'DynamoDb.ConditionalCheckFailedException',
    );
    expect(sdkErrorName(sdkErrorServiceName('s3'), 'NoSuchKey')).toBe('S3.NoSuchKeyException');
    expect(sdkErrorName(sdkErrorServiceName('mwaa'), 'ResourceNotFoundException')).toBe(
      'Mwaa.ResourceNotFoundException',
    );
  });
});
