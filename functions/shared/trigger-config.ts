/**
 * The trigger functions' settings, read at cold start: `FLOWS_TABLE_NAME`,
 * `DEAD_LETTER_QUEUE_URL` and `FLOW_CACHE_TTL_SECONDS`. Kept apart from trigger-deps.ts, which
 * loads the SDK clients, so reading (and rejecting) the configuration costs no SDK import.
 */
import { type Env, integer, requiredString } from './config.ts';

export interface TriggerConfig {
  flowsTableName: string;
  deadLetterQueueUrl: string;
  flowCacheTtlSeconds: number;
}

export function readTriggerConfig(env: Env): TriggerConfig {
  return {
    flowsTableName: requiredString(env, 'FLOWS_TABLE_NAME'),
    deadLetterQueueUrl: requiredString(env, 'DEAD_LETTER_QUEUE_URL'),
    flowCacheTtlSeconds: integer(env, 'FLOW_CACHE_TTL_SECONDS', 30, { min: 0, max: 3600 }),
  };
}
