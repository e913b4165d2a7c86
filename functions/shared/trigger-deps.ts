/**
 * Dependencies both trigger functions build once per container: flows, the Airflow client and
 * the dead-letter queue. The entry modules import this file lazily (it loads the SDK clients);
 * the configuration it takes is read at cold start by trigger-config.ts.
 */
import { airflowClient } from './airflow/index.ts';
import { dynamodbClient, shared, sqsClient } from './aws-clients.ts';
import { createSqsDeadLetterSink } from './dead-letter.ts';
import { createFlowRepository } from './flows/repository.ts';
import type { TriggerConfig } from './trigger-config.ts';

export { readTriggerConfig, type TriggerConfig } from './trigger-config.ts';

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
