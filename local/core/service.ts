/** What every emulator receives at start, and what it hands back. */
import type { Clock } from './clock.ts';
import type { FaultRegistry } from './faults.ts';

export interface ServiceContext {
  clock: Clock;
  faults: FaultRegistry;
  region: string;
  accountId: string;
  /** Structured local-cloud log line (printed only when the cloud runs with `log: true`). */
  log(service: string, message: string, fields?: Record<string, unknown>): void;
}

export interface EmulatorHandle {
  /** Base URL on 127.0.0.1, used for `AWS_ENDPOINT_URL_<SERVICE>`. */
  url: string;
  close(): Promise<void>;
}

/**
 * Environment variable suffixes for the endpoints the local cloud serves
 * (`AWS_ENDPOINT_URL_<KEY>`), as the AWS SDKs name them.
 */
export type EndpointKey =
  | 'S3'
  | 'DYNAMODB'
  | 'SFN'
  | 'STS'
  | 'SNS'
  | 'SQS'
  | 'EVENTBRIDGE'
  | 'SCHEDULER'
  | 'MWAA'
  | 'LAMBDA';
