/** The errors SNS answers with (awsQuery `<Error><Code>`), as the service names them. */
import { ServiceError } from '../core/service-error.ts';

export const invalidParameter = (message: string) =>
  new ServiceError('InvalidParameter', `Invalid parameter: ${message}`, 400);
export const topicNotFound = () => new ServiceError('NotFound', 'Topic does not exist', 404);
export const subscriptionNotFound = () => new ServiceError('NotFound', 'Subscription does not exist', 404);
export const invalidAction = (action: string) =>
  new ServiceError('InvalidAction', `Operation ${action} is not supported.`);
