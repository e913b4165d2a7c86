/**
 * The error names the local Step Functions gives failed integrations: a code the service model
 * defines becomes `<Service>.<Code>`, any other the integration's generic name, as on AWS.
 */
import { describe, expect, it } from '@jest/globals';
import {
  exceptionName,
  integrationErrorName,
  OPTIMIZED_NAMING,
  producibleNames,
  sdkIntegrationNaming,
} from '../../../stepfunctions/integration-errors.ts';
import { functionError } from '../../../stepfunctions/tasks.ts';

describe('AWS SDK integrations', () => {
  const mwaa = sdkIntegrationNaming('mwaa');

  it('name a modelled code <Service>.<Code>, including shapes newer than the installed client', () => {
    expect(integrationErrorName(mwaa, 'ResourceNotFoundException')).toBe('Mwaa.ResourceNotFoundException');
    expect(integrationErrorName(mwaa, 'ServiceUnavailableException')).toBe(
      'Mwaa.ServiceUnavailableException',
    );
    expect(integrationErrorName(sdkIntegrationNaming('sfn'), 'ExecutionDoesNotExist')).toBe(
      'Sfn.ExecutionDoesNotExistException',
    );
    expect(integrationErrorName(sdkIntegrationNaming('s3'), 'NoSuchKey')).toBe('S3.NoSuchKeyException');
  });

  it('name a code the model lacks by the service base exception', () => {
    expect(integrationErrorName(mwaa, 'ThrottlingException')).toBe('Mwaa.MwaaException');
    expect(integrationErrorName(sdkIntegrationNaming('sfn'), 'ThrottlingException')).toBe('Sfn.SfnException');
    expect(integrationErrorName(sdkIntegrationNaming('s3'), 'SlowDown')).toBe('S3.S3Exception');
    expect(integrationErrorName(sdkIntegrationNaming('dynamodb'), 'ValidationException')).toBe(
      'DynamoDb.DynamoDbException',
    );
  });

  it('case acronyms as words, as the AWS SDK for Java 2 class names do', () => {
    expect(integrationErrorName(sdkIntegrationNaming('lambda'), 'EC2ThrottledException')).toBe(
      'Lambda.Ec2ThrottledException',
    );
    expect(exceptionName('KMSAccessDeniedException', 'java2')).toBe('KmsAccessDeniedException');
    expect(exceptionName('InvalidSecurityGroupIDException', 'java2')).toBe('InvalidSecurityGroupIdException');
  });

  it('keep the code of a service whose model is not known here', () => {
    expect(integrationErrorName(sdkIntegrationNaming('ec2'), 'UnauthorizedOperation')).toBe(
      'Ec2.UnauthorizedOperationException',
    );
  });

  it('produce only modelled names and the generic one', () => {
    const names = producibleNames(mwaa);
    expect(names).toContain('Mwaa.MwaaException');
    expect(names).toContain('Mwaa.InternalServerException');
    expect(names).not.toContain('Mwaa.ThrottlingException');
  });
});

describe('optimized integrations', () => {
  it('keep the shape name and the AWS SDK for Java 1 base exception', () => {
    expect(integrationErrorName(OPTIMIZED_NAMING.lambda, 'EC2ThrottledException')).toBe(
      'Lambda.EC2ThrottledException',
    );
    expect(integrationErrorName(OPTIMIZED_NAMING.dynamodb, 'InternalServerError')).toBe(
      'DynamoDB.InternalServerErrorException',
    );
    expect(integrationErrorName(OPTIMIZED_NAMING.dynamodb, 'ValidationException')).toBe(
      'DynamoDB.AmazonDynamoDBException',
    );
    expect(integrationErrorName(OPTIMIZED_NAMING.sns, 'Throttled')).toBe('SNS.ThrottledException');
    expect(integrationErrorName(OPTIMIZED_NAMING.states, 'ExecutionLimitExceeded')).toBe(
      'StepFunctions.ExecutionLimitExceededException',
    );
  });

  it('name a Lambda service error the model lacks Lambda.AWSLambdaException', () => {
    const odd = Object.assign(new Error('no'), { name: 'SomethingNew', $fault: 'server' });
    expect(functionError(odd)).toMatchObject({ name: 'Lambda.AWSLambdaException' });
    const unavailable = Object.assign(new Error('no'), { name: 'ServiceException', $fault: 'server' });
    expect(functionError(unavailable)).toMatchObject({ name: 'Lambda.ServiceException' });
  });
});
