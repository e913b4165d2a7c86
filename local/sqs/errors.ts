/**
 * SQS answers errors in awsJson 1.0 with query compatibility: `__type` carries the Smithy shape
 * id and the `x-amzn-query-error` header the legacy awsQuery code, which is how SDK clients map
 * `AWS.SimpleQueueService.NonExistentQueue` to `QueueDoesNotExist`.
 */
import type { ServerResponse } from 'node:http';
import { requestId } from '../core/http.ts';

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
