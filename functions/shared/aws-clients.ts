/**
 * One AWS SDK v3 client per service per container.
 *
 * Clients are built lazily on first use and kept for the life of the Lambda container, so a
 * warm invocation pays no construction cost. Endpoints follow the SDK's standard variables,
 * `AWS_ENDPOINT_URL_<SERVICE>` then `AWS_ENDPOINT_URL`; we read them here explicitly because the
 * newest MWAA client on the registry predates the SDK's own support for them. That is also how
 * the local cloud points unchanged handlers at its emulators.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { MWAAClient } from '@aws-sdk/client-mwaa';
import { S3Client } from '@aws-sdk/client-s3';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Env } from './config.ts';

/** The suffix of `AWS_ENDPOINT_URL_<SERVICE>` for each client we create. */
export type ServiceKey =
  | 'CLOUDFORMATION'
  | 'DYNAMODB'
  | 'EVENTBRIDGE'
  | 'LAMBDA'
  | 'MWAA'
  | 'S3'
  | 'SCHEDULER'
  | 'SFN'
  | 'SNS'
  | 'SQS'
  | 'STS';

/** The endpoint override in force for a service, if any. */
export function endpointFor(service: ServiceKey, env: Env = process.env): string | undefined {
  const specific = env[`AWS_ENDPOINT_URL_${service}`]?.trim();
  if (specific) return specific;
  const global = env.AWS_ENDPOINT_URL?.trim();
  return global || undefined;
}

function baseConfig(service: ServiceKey, env: Env) {
  const endpoint = endpointFor(service, env);
  return endpoint === undefined ? {} : { endpoint };
}

// Each builder is its own export so a bundle only carries the SDK clients its function uses.

export const dynamodbClient = (env: Env = process.env) =>
  DynamoDBDocumentClient.from(new DynamoDBClient(baseConfig('DYNAMODB', env)), {
    marshallOptions: { removeUndefinedValues: true },
  });

/**
 * With an endpoint override the MWAA client must not prepend its `api.`/`env.` host prefixes,
 * or it would call api.127.0.0.1.
 */
export const mwaaClient = (env: Env = process.env) => {
  const config = baseConfig('MWAA', env);
  return new MWAAClient({ ...config, disableHostPrefix: 'endpoint' in config });
};

/**
 * Path-style addressing and checksums only when required keep S3-compatible local servers
 * working; against real S3 both are harmless.
 */
export const s3Client = (env: Env = process.env) => {
  const config = baseConfig('S3', env);
  return new S3Client({
    ...config,
    forcePathStyle: 'endpoint' in config,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
};

export const schedulerClient = (env: Env = process.env) => new SchedulerClient(baseConfig('SCHEDULER', env));
export const sfnClient = (env: Env = process.env) => new SFNClient(baseConfig('SFN', env));
export const snsClient = (env: Env = process.env) => new SNSClient(baseConfig('SNS', env));
export const sqsClient = (env: Env = process.env) => new SQSClient(baseConfig('SQS', env));
export const stsClient = (env: Env = process.env) => new STSClient(baseConfig('STS', env));

const containerClients = new Map<(env?: Env) => unknown, unknown>();

/**
 * The container-wide client built by `builder` from `process.env`, created on first use:
 * `shared(sqsClient).send(...)`.
 */
export function shared<T>(builder: (env?: Env) => T): T {
  if (!containerClients.has(builder)) containerClients.set(builder, builder());
  return containerClients.get(builder) as T;
}
