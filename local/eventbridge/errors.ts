/** The errors EventBridge answers with (awsJson 1.1 `__type`), in its wording. */
import { ServiceError } from '../core/service-error.ts';

export const validation = (message: string) => new ServiceError('ValidationException', message);
export const resourceNotFound = (message: string) => new ServiceError('ResourceNotFoundException', message);
export const unknownOperation = (operation: string) =>
  new ServiceError('UnknownOperationException', `Operation ${operation} is not supported.`);
export const serializationException = () =>
  new ServiceError('SerializationException', 'Request body is not valid JSON.');
