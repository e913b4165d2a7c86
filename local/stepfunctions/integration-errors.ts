/**
 * The error names Step Functions gives a failed service integration, from the service's API
 * model (`local/core/model-errors/`): the local engine names failures with them, and a test
 * checks every `ErrorEquals` of the project's state machines against them.
 *
 * - AWS SDK integrations (`aws-sdk:<service>:<action>`) name a modelled error
 *   `<Service>.<Shape>Exception` (AWS SDK for Java 2 class names: PascalCase service, acronyms
 *   cased as words, `Exception` always appended) and any code the model lacks by the service's
 *   base exception, `<Service>.<Service>Exception` (`Mwaa.MwaaException`, `S3.S3Exception`).
 * - Optimized integrations (`lambda:invoke`, `dynamodb:putItem`, `states:startExecution`, ...)
 *   keep the AWS SDK for Java 1 names: the shape name plus `Exception`, the base exception
 *   `Lambda.AWSLambdaException` / `DynamoDB.AmazonDynamoDBException` for codes the model lacks,
 *   and `<Prefix>.SdkClientException` when no answer arrives.
 */
import { findModelError, modelErrors } from '../core/model-errors/index.ts';

export interface ErrorNaming {
  /** Model key (`mwaa`, `dynamodb`, `sfn`). */
  service: string;
  /** What precedes the dot: `Mwaa`, `DynamoDb` (SDK), `DynamoDB` (optimized), `StepFunctions`. */
  prefix: string;
  /** The name of any error the model does not define. */
  generic: string;
  /** Names the integration produces besides modelled errors and the generic one. */
  extra: readonly string[];
  /** How a shape name becomes the error name. */
  style: 'java2' | 'java1';
}

/**
 * Service names as Step Functions spells them in AWS SDK integration errors (the AWS SDK for
 * Java 2 service names). Services missing here get their first letter upper-cased, which is
 * right for the single-word ones (`Sfn`, `Mwaa`, `Sns`, `Sqs`, `Lambda`).
 */
const SDK_SERVICE_NAMES: Record<string, string> = {
  dynamodb: 'DynamoDb',
  eventbridge: 'EventBridge',
  acmpca: 'AcmPca',
  cloudwatch: 'CloudWatch',
  cloudwatchlogs: 'CloudWatchLogs',
  secretsmanager: 'SecretsManager',
  s3: 'S3',
  ec2: 'Ec2',
  ecs: 'Ecs',
  iam: 'Iam',
  kms: 'Kms',
  ssm: 'Ssm',
};

export function sdkServiceName(service: string): string {
  return SDK_SERVICE_NAMES[service] ?? service.charAt(0).toUpperCase() + service.slice(1);
}

/** `aws-sdk:<service>:<action>` tasks. */
export function sdkIntegrationNaming(service: string): ErrorNaming {
  const prefix = sdkServiceName(service);
  return { service, prefix, generic: `${prefix}.${prefix}Exception`, extra: [], style: 'java2' };
}

const optimized = (
  service: string,
  prefix: string,
  base: string,
  extra: readonly string[] = [],
): ErrorNaming => ({
  service,
  prefix,
  generic: `${prefix}.${base}`,
  extra: [`${prefix}.SdkClientException`, ...extra.map((name) => `${prefix}.${name}`)],
  style: 'java1',
});

/** Optimized integrations, by the service segment of their Resource (`arn:aws:states:::<key>:...`). */
export const OPTIMIZED_NAMING = {
  // The Step Functions guide lists these for lambda:invoke besides Lambda's modelled errors.
  lambda: optimized('lambda', 'Lambda', 'AWSLambdaException', ['ClientExecutionTimeoutException', 'Unknown']),
  dynamodb: optimized('dynamodb', 'DynamoDB', 'AmazonDynamoDBException'),
  states: optimized('sfn', 'StepFunctions', 'AWSStepFunctionsException'),
  sns: optimized('sns', 'SNS', 'AmazonSNSException'),
  sqs: optimized('sqs', 'SQS', 'AmazonSQSException'),
  events: optimized('eventbridge', 'EventBridge', 'AmazonEventBridgeException'),
} as const satisfies Record<string, ErrorNaming>;

/** The naming of an optimized integration by its Resource's service segment, if it has one. */
export function optimizedNaming(key: string): ErrorNaming | undefined {
  return Object.hasOwn(OPTIMIZED_NAMING, key)
    ? OPTIMIZED_NAMING[key as keyof typeof OPTIMIZED_NAMING]
    : undefined;
}

/** The Step Functions error name for an error code the service answered with. */
export function integrationErrorName(naming: ErrorNaming, code: string): string {
  // No model known here (a service the local cloud does not emulate): trust the code.
  if (!modelErrors(naming.service)) return `${naming.prefix}.${exceptionName(code, naming.style)}`;
  const modelled = findModelError(naming.service, code);
  if (!modelled) return naming.generic;
  return `${naming.prefix}.${exceptionName(modelled.shape, naming.style)}`;
}

/** Every name the integration can fail with, besides `States.*`. */
export function producibleNames(naming: ErrorNaming): Set<string> {
  const names = new Set([naming.generic, ...naming.extra]);
  for (const error of modelErrors(naming.service) ?? []) {
    names.add(`${naming.prefix}.${exceptionName(error.shape, naming.style)}`);
  }
  return names;
}

/**
 * A shape name as an exception class name. Java 1 only appends `Exception` (AWS's own example:
 * S3's `BucketAlreadyExists` is `S3.BucketAlreadyExistsException`); Java 2 also cases acronyms
 * as words (`EC2ThrottledException` → `Ec2ThrottledException`, `KMSNotFound...` → `KmsNotFound...`).
 */
export function exceptionName(shape: string, style: 'java1' | 'java2'): string {
  const withSuffix = shape.endsWith('Exception') ? shape : `${shape}Exception`;
  if (style === 'java1') return withSuffix;
  const words = withSuffix.match(/[A-Z]+(?![a-z])|[A-Z][a-z]*|[a-z]+|\d+/g) ?? [withSuffix];
  return words.map((w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()).join('');
}

/** Whether the integration's model is known here (no model: the names cannot be checked). */
export function hasModel(naming: ErrorNaming): boolean {
  return modelErrors(naming.service) !== undefined;
}
