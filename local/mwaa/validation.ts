/**
 * CreateEnvironment / UpdateEnvironment input checks, answered the way MWAA's front end does:
 * a `ValidationException` whose message reads like AWS's constraint errors.
 */
import { isSupportedVersion, SUPPORTED_AIRFLOW_VERSIONS } from './airflow/versions.ts';
import { validationError } from './errors.ts';

const NAME = /^[a-zA-Z][0-9a-zA-Z\-_]*$/;
const ROLE_ARN = /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/.+$/;
const BUCKET_ARN = /^arn:aws(-[a-z]+)*:s3:::[a-z0-9.-]+$/;
const CLASSES = ['mw1.micro', 'mw1.small', 'mw1.medium', 'mw1.large', 'mw1.xlarge', 'mw1.2xlarge'];

const constraint = (value: unknown, member: string, rule: string) =>
  `Value ${value === undefined || value === null ? 'null' : `'${String(value)}'`} at '${member}' failed to satisfy constraint: ${rule}`;

function collect(problems: string[]): void {
  if (problems.length === 0) return;
  const count =
    problems.length === 1 ? '1 validation error detected' : `${problems.length} validation errors detected`;
  throw validationError(`${count}: ${problems.join('; ')}`);
}

export function validateName(name: string): void {
  const problems: string[] = [];
  if (name.length < 1 || name.length > 80)
    problems.push(constraint(name, 'name', 'Member must have length between 1 and 80'));
  if (!NAME.test(name))
    problems.push(
      constraint(name, 'name', 'Member must satisfy regular expression pattern: [a-zA-Z][0-9a-zA-Z-_]*'),
    );
  collect(problems);
}

type Input = Record<string, unknown>;

function common(input: Input, problems: string[]): void {
  if (input.AirflowVersion !== undefined && !isSupportedVersion(String(input.AirflowVersion))) {
    // MWAA words this one itself rather than as a constraint.
    throw validationError(
      `Invalid Airflow version ${String(input.AirflowVersion)}. Supported versions: ${SUPPORTED_AIRFLOW_VERSIONS.join(', ')}.`,
    );
  }
  if (input.ExecutionRoleArn !== undefined && !ROLE_ARN.test(String(input.ExecutionRoleArn)))
    problems.push(
      constraint(
        input.ExecutionRoleArn,
        'executionRoleArn',
        'Member must satisfy regular expression pattern: arn:aws(-[a-z]+)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+',
      ),
    );
  if (input.SourceBucketArn !== undefined && !BUCKET_ARN.test(String(input.SourceBucketArn)))
    problems.push(
      constraint(
        input.SourceBucketArn,
        'sourceBucketArn',
        'Member must satisfy regular expression pattern: arn:aws(-[a-z]+)?:s3:::[a-z0-9.\\-]+',
      ),
    );
  if (input.EnvironmentClass !== undefined && !CLASSES.includes(String(input.EnvironmentClass)))
    throw validationError(`Invalid environment class ${String(input.EnvironmentClass)}.`);
  for (const key of ['MinWorkers', 'MaxWorkers'] as const) {
    const v = input[key];
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 25))
      problems.push(
        constraint(v, key.charAt(0).toLowerCase() + key.slice(1), 'Member must have value between 1 and 25'),
      );
  }
  if (
    typeof input.MinWorkers === 'number' &&
    typeof input.MaxWorkers === 'number' &&
    input.MinWorkers > input.MaxWorkers
  )
    throw validationError('MinWorkers must be less than or equal to MaxWorkers.');
  if (
    input.Schedulers !== undefined &&
    (!Number.isInteger(input.Schedulers) ||
      (input.Schedulers as number) < 1 ||
      (input.Schedulers as number) > 5)
  )
    problems.push(constraint(input.Schedulers, 'schedulers', 'Member must have value between 1 and 5'));
  if (
    input.WebserverAccessMode !== undefined &&
    !['PRIVATE_ONLY', 'PUBLIC_ONLY'].includes(String(input.WebserverAccessMode))
  )
    problems.push(
      constraint(
        input.WebserverAccessMode,
        'webserverAccessMode',
        'Member must satisfy enum value set: [PRIVATE_ONLY, PUBLIC_ONLY]',
      ),
    );
}

export function validateCreate(name: string, input: Input): void {
  validateName(name);
  const problems: string[] = [];
  const required: Array<[string, string]> = [
    ['ExecutionRoleArn', 'executionRoleArn'],
    ['SourceBucketArn', 'sourceBucketArn'],
    ['DagS3Path', 'dagS3Path'],
    ['NetworkConfiguration', 'networkConfiguration'],
  ];
  for (const [key, member] of required) {
    if (input[key] === undefined || input[key] === null || input[key] === '')
      problems.push(constraint(undefined, member, 'Member must not be null'));
  }
  const network = input.NetworkConfiguration as
    | { SubnetIds?: unknown; SecurityGroupIds?: unknown }
    | undefined;
  if (network && typeof network === 'object') {
    if (!Array.isArray(network.SubnetIds) || network.SubnetIds.length !== 2)
      throw validationError(
        'NetworkConfiguration.SubnetIds must contain exactly 2 private subnets in different Availability Zones.',
      );
    if (!Array.isArray(network.SecurityGroupIds) || network.SecurityGroupIds.length < 1)
      throw validationError('NetworkConfiguration.SecurityGroupIds must contain at least 1 security group.');
  }
  collect(problems);
  common(input, problems);
  collect(problems);
}

export function validateUpdate(name: string, input: Input): void {
  validateName(name);
  const problems: string[] = [];
  common(input, problems);
  collect(problems);
}
