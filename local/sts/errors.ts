/** The errors STS answers with (awsQuery `<Error><Code>`), in its wording. */
import { ServiceError } from '../core/service-error.ts';

export const validationError = (message: string) => new ServiceError('ValidationError', message);

/** A member that breaks a constraint, as AWS's request validation words it. */
export const constraint = (value: string, member: string, rule: string): ServiceError =>
  validationError(
    `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: ${rule}`,
  );

export const invalidAction = (action: string) =>
  new ServiceError('InvalidAction', `Could not find operation ${action} for version 2011-06-15`);
