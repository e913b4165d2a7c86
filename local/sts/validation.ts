/** Input checks STS applies to AssumeRole, with its `ValidationError` wording. */

import type { QueryParams } from '../core/aws-query.ts';
import { constraint, validationError } from './errors.ts';

const NAME_PATTERN = /^[\w+=,.@-]*$/;
const ROLE_ARN = /^arn:aws[\w-]*:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;

export interface AssumeRoleInput {
  roleArn: string;
  roleName: string;
  roleAccount: string;
  roleSessionName: string;
  durationSeconds: number;
  sourceIdentity?: string;
}

function checkName(value: string, member: string): void {
  if (value.length < 2 || value.length > 64) {
    throw constraint(value, member, 'Member must have length between 2 and 64');
  }
  if (!NAME_PATTERN.test(value)) {
    throw constraint(value, member, 'Member must satisfy regular expression pattern: [\\w+=,.@-]*');
  }
}

export function validateAssumeRole(params: QueryParams): AssumeRoleInput {
  const roleArn = params.RoleArn;
  const roleSessionName = params.RoleSessionName;
  if (roleArn === undefined) throw constraint('null', 'roleArn', 'Member must not be null');
  if (roleSessionName === undefined) throw constraint('null', 'roleSessionName', 'Member must not be null');
  if (roleArn.length < 20 || roleArn.length > 2048) {
    throw constraint(roleArn, 'roleArn', 'Member must have length between 20 and 2048');
  }
  const arnMatch = ROLE_ARN.exec(roleArn);
  if (!arnMatch) throw validationError(`${roleArn} is invalid`);
  checkName(roleSessionName, 'roleSessionName');
  const sourceIdentity = params.SourceIdentity;
  if (sourceIdentity !== undefined) {
    checkName(sourceIdentity, 'sourceIdentity');
    if (sourceIdentity.toLowerCase().startsWith('aws:')) {
      throw validationError("SourceIdentity cannot start with the prefix 'aws:'");
    }
  }
  const durationText = params.DurationSeconds;
  const durationSeconds = durationText === undefined ? 3600 : Number(durationText);
  if (!Number.isInteger(durationSeconds) || durationSeconds < 900) {
    throw constraint(
      String(durationText),
      'durationSeconds',
      'Member must have value greater than or equal to 900',
    );
  }
  if (durationSeconds > 43_200) {
    throw constraint(
      String(durationText),
      'durationSeconds',
      'Member must have value less than or equal to 43200',
    );
  }
  return {
    roleArn,
    roleAccount: arnMatch[1] as string,
    roleName: arnMatch[2] as string,
    roleSessionName,
    durationSeconds,
    ...(sourceIdentity === undefined ? {} : { sourceIdentity }),
  };
}
