/**
 * Every Retry/Catch `ErrorEquals` of the project's state machines names an error its task can
 * really fail with on AWS: a modelled error of the service (`Mwaa.ResourceNotFoundException`),
 * the integration's generic name for codes the model lacks (`Mwaa.MwaaException`), or
 * `States.*`. A name no integration produces (`Mwaa.ThrottlingException`) is a retry that never
 * fires.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { unproducibleErrorNames } from '../../../local/stepfunctions/error-equals.ts';

const dir = new URL('../../../statemachines/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.asl.json'));

describe('statemachines/*.asl.json ErrorEquals', () => {
  it('finds the four workflows', () => {
    expect(files.sort()).toEqual([
      'backup-environment.asl.json',
      'pause-environment.asl.json',
      'resume-environment.asl.json',
      'upgrade-environment.asl.json',
    ]);
  });

  it.each(files)('%s names only errors its integrations produce', (file) => {
    const definition = JSON.parse(readFileSync(new URL(file, dir), 'utf8'));
    const problems = unproducibleErrorNames(definition).map(
      (p) => `${p.path.join(' > ')} ${p.field} ${p.name}: ${p.reason}`,
    );
    expect(problems).toEqual([]);
  });
});

describe('unproducibleErrorNames', () => {
  const task = (Resource: string, ErrorEquals: string[]) => ({
    StartAt: 'T',
    States: { T: { Type: 'Task', Resource, End: true, Retry: [{ ErrorEquals }] } },
  });

  it('flags names the service model lacks, and says what arrives instead', () => {
    const problems = unproducibleErrorNames(
      task('arn:aws:states:::aws-sdk:mwaa:getEnvironment', [
        'Mwaa.ThrottlingException',
        'Mwaa.ServiceUnavailableException',
        'Mwaa.InternalServerException',
        'Mwaa.MwaaException',
        'States.Timeout',
      ]),
    );
    expect(problems).toEqual([
      expect.objectContaining({
        path: ['T'],
        name: 'Mwaa.ThrottlingException',
        reason: expect.stringContaining('Mwaa.MwaaException'),
      }),
    ]);
  });

  it('flags unprefixed names on an SDK integration, which can never match', () => {
    const problems = unproducibleErrorNames(
      task('arn:aws:states:::aws-sdk:sfn:describeExecution', ['ThrottlingException']),
    );
    expect(problems.map((p) => p.name)).toEqual(['ThrottlingException']);
  });

  it("allows a Lambda function's own error types, but checks Lambda.* names", () => {
    const problems = unproducibleErrorNames(
      task('arn:aws:states:::lambda:invoke', [
        'ValidationError',
        'Lambda.ServiceException',
        'Lambda.AWSLambdaException',
        'Lambda.ThrottlingException',
      ]),
    );
    expect(problems.map((p) => p.name)).toEqual(['Lambda.ThrottlingException']);
  });

  it('uses the optimized DynamoDB names, not the SDK integration ones', () => {
    const problems = unproducibleErrorNames(
      task('arn:aws:states:::dynamodb:updateItem', [
        'DynamoDB.ConditionalCheckFailedException',
        'DynamoDB.AmazonDynamoDBException',
        'DynamoDb.ConditionalCheckFailedException',
      ]),
    );
    expect(problems.map((p) => p.name)).toEqual(['DynamoDb.ConditionalCheckFailedException']);
  });

  it('walks Parallel branches and Map processors', () => {
    const inner = task('arn:aws:states:::aws-sdk:mwaa:getEnvironment', ['Mwaa.ThrottlingException']);
    const problems = unproducibleErrorNames({
      StartAt: 'P',
      States: {
        P: { Type: 'Parallel', Branches: [inner], Next: 'M' },
        M: { Type: 'Map', ItemProcessor: inner, End: true },
      },
    });
    expect(problems.map((p) => p.path)).toEqual([
      ['P', 'T'],
      ['M', 'T'],
    ]);
  });
});
