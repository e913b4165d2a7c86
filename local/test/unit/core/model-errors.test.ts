/**
 * The per-service error codes the local cloud takes from the SDK models, and fault injection
 * held to them: a test may only inject an error the service can answer with.
 */
import { describe, expect, it } from '@jest/globals';
import { createFaultRegistry, FaultSpecError } from '../../../core/faults.ts';
import { collectAll } from '../../../core/model-errors/collect.ts';
import generated from '../../../core/model-errors/generated.json' with { type: 'json' };
import { findModelError, modelErrors } from '../../../core/model-errors/index.ts';

describe('model-errors data', () => {
  it('matches the installed SDK clients (regenerate: node local/core/model-errors/generate.ts)', async () => {
    expect(generated.services).toEqual(await collectAll());
  }, 60_000);

  it("holds MWAA's modelled errors, with the shapes newer MWAA models add, and no ThrottlingException", () => {
    expect(
      modelErrors('mwaa')
        ?.map((e) => e.shape)
        .sort(),
    ).toEqual([
      'AccessDeniedException',
      'InternalServerException',
      'ResourceNotFoundException',
      'RestApiClientException',
      'RestApiServerException',
      'ServiceUnavailableException',
      'ValidationException',
    ]);
    expect(findModelError('mwaa', 'ThrottlingException')).toBeUndefined();
  });

  it('finds awsQuery errors by their wire code as well as their shape', () => {
    expect(findModelError('sns', 'Throttled')).toMatchObject({ shape: 'ThrottledException', status: 429 });
    expect(findModelError('sns', 'ThrottledException')).toMatchObject({ shape: 'ThrottledException' });
    expect(findModelError('sqs', 'AWS.SimpleQueueService.NonExistentQueue')).toMatchObject({
      shape: 'QueueDoesNotExist',
    });
  });

  it('knows no model for services without an SDK client', () => {
    expect(modelErrors('alb')).toBeUndefined();
  });
});

describe('faults.inject', () => {
  it('refuses an error the service model lacks, naming the ones it has', () => {
    const faults = createFaultRegistry();
    const inject = () =>
      faults.inject({ service: 'mwaa', operation: 'GetEnvironment', error: 'ThrottlingException' });
    expect(inject).toThrow(FaultSpecError);
    expect(inject).toThrow(/mwaa's API model defines no error ThrottlingException/);
    expect(inject).toThrow(/ServiceUnavailableException/);
    expect(faults.pending()).toHaveLength(0);
  });

  it("takes a modelled error, with the model's status unless one is given", () => {
    const faults = createFaultRegistry();
    faults.inject({ service: 'mwaa', operation: 'GetEnvironment', error: 'ServiceUnavailableException' });
    faults.inject({ service: 'sns', operation: 'Publish', error: 'Throttled' });
    faults.inject({ service: 'lambda', operation: 'Invoke', error: 'TooManyRequestsException', status: 400 });
    faults.inject({ service: 'dynamodb', operation: 'PutItem', error: 'InternalServerError' });
    expect(faults.pending().map((f) => [f.service, f.error, f.status])).toEqual([
      ['mwaa', 'ServiceUnavailableException', 503],
      ['sns', 'Throttled', 429],
      ['lambda', 'TooManyRequestsException', 400],
      ['dynamodb', 'InternalServerError', 500],
    ]);
  });

  it('takes a real but unmodelled code only when the test says so', () => {
    const faults = createFaultRegistry();
    expect(() => faults.inject({ service: 's3', operation: 'PutObject', error: 'SlowDown' })).toThrow(
      /unmodeled: true/,
    );
    faults.inject({ service: 's3', operation: 'PutObject', error: 'SlowDown', unmodeled: true });
    expect(faults.take('s3', 'PutObject')).toMatchObject({ error: 'SlowDown', status: 503 });
    expect(() =>
      faults.inject({ service: 'mwaa', operation: '*', error: 'InternalServerException', unmodeled: true }),
    ).toThrow(/mwaa models InternalServerException; drop unmodeled: true/);
  });

  it('takes Latency and Timeout for any service, and any code for a service without a model', () => {
    const faults = createFaultRegistry();
    faults.inject({ service: 'mwaa', operation: '*', error: 'Latency', delayMs: 5 });
    faults.inject({ service: 'sfn', operation: '*', error: 'Timeout' });
    faults.inject({ service: 'alb', operation: 'Forward', error: 'BadGateway', status: 502 });
    expect(faults.pending()).toHaveLength(3);
  });
});
