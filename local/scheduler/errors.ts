/** Scheduler's restJson errors, with the HTTP statuses its API model declares. */
import { ServiceError } from '../core/service-error.ts';

export const validation = (message: string) => new ServiceError('ValidationException', message, 400);
export const notFound = (message: string) => new ServiceError('ResourceNotFoundException', message, 404);
export const conflict = (message: string) => new ServiceError('ConflictException', message, 409);
export const unknownOperation = (message: string) =>
  new ServiceError('UnknownOperationException', message, 404);
