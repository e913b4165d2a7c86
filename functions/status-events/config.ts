/** StatusEventsFunction's settings, read once at cold start. */
import { type Env, requiredString } from '../shared/config.ts';

export interface StatusEventsConfig {
  environmentsTable: string;
  waitersTable: string;
  deadLetterQueueUrl: string;
}

export function readStatusEventsConfig(env: Env): StatusEventsConfig {
  return {
    environmentsTable: requiredString(env, 'ENVIRONMENTS_TABLE_NAME'),
    waitersTable: requiredString(env, 'STATUS_WAITERS_TABLE_NAME'),
    deadLetterQueueUrl: requiredString(env, 'DEAD_LETTER_QUEUE_URL'),
  };
}
