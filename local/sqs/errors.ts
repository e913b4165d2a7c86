/**
 * The errors SQS answers with, and how. SQS answers errors in awsJson 1.0 with query compatibility: `__type` carries the Smithy shape
 * id and the `x-amzn-query-error` header the legacy awsQuery code, which is how SDK clients map
 * `AWS.SimpleQueueService.NonExistentQueue` to `QueueDoesNotExist`.
 */
import type { ServerResponse } from 'node:http';
import { requestId } from '../core/http.ts';
import { ServiceError } from '../core/service-error.ts';

export const queueDoesNotExist = () =>
  new ServiceError('QueueDoesNotExist', 'The specified queue does not exist.', 400);
export const queueNameExists = () =>
  new ServiceError(
    'QueueNameExists',
    'A queue already exists with the same name and a different value for attribute(s)',
    400,
  );
export const invalidParameterValue = (message: string) =>
  new ServiceError('InvalidParameterValue', message, 400);
export const missingParameter = (name: string) =>
  new ServiceError('MissingParameter', `The request must contain the parameter ${name}.`);
export const invalidMessageContents = () =>
  new ServiceError(
    'InvalidMessageContents',
    'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF',
  );
export const receiptHandleIsInvalid = (receiptHandle: string | undefined) =>
  new ServiceError(
    'ReceiptHandleIsInvalid',
    `The input receipt handle "${receiptHandle ?? ''}" is not a valid receipt handle.`,
  );
export const invalidAttributeValue = (message: string) => new ServiceError('InvalidAttributeValue', message);
export const unsupportedOperation = (operation: string) =>
  new ServiceError('UnsupportedOperation', `Operation ${operation} is not supported.`);
export const serializationException = () =>
  new ServiceError('SerializationException', 'Request body is not valid JSON.');

/** error code → legacy awsQuery code, where they differ. */
const QUERY_CODES: Record<string, string> = {
  QueueDoesNotExist: 'AWS.SimpleQueueService.NonExistentQueue',
  QueueNameExists: 'QueueAlreadyExists',
  PurgeQueueInProgress: 'AWS.SimpleQueueService.PurgeQueueInProgress',
  InvalidMessageContents: 'InvalidMessageContents',
  UnsupportedOperation: 'AWS.SimpleQueueService.UnsupportedOperation',
};

export function sendSqsError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  sender = status < 500,
) {
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'x-amzn-requestid': requestId(),
    'x-amzn-query-error': `${QUERY_CODES[code] ?? code};${sender ? 'Sender' : 'Receiver'}`,
  });
  res.end(JSON.stringify({ __type: `com.amazonaws.sqs#${code}`, message }));
}
