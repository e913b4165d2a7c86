/**
 * Dependencies both trigger functions build once per container: flows, the Airflow client and
 * the dead-letter queue, from `FLOWS_TABLE_NAME`, `DEAD_LETTER_QUEUE_URL` and
 * `FLOW_CACHE_TTL_SECONDS`.
 */
import { airflowClient } from './airflow/index.ts';
import { dynamodbClient, shared, sqsClient } from './aws-clients.ts';
import { type Env, integer, requiredString } from './config.ts';
import { createSqsDeadLetterSink } from './dead-letter.ts';
import { createFlowRepository } from './flows/repository.ts';

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

export function buildTriggerDeps(config: TriggerConfig) {
  return {
    flows: createFlowRepository({
      ddb: shared(dynamodbClient),
      tableName: config.flowsTableName,
      cacheTtlMs: config.flowCacheTtlSeconds * 1000,
    }),
    airflow: airflowClient(),
    deadLetter: createSqsDeadLetterSink(shared(sqsClient), config.deadLetterQueueUrl),
  };
}
