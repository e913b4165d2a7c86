/**
 * EnvironmentOpsFunction: the upgrade workflow's own steps (validateUpgrade, triggerCanary,
 * canaryStatus). Wiring only; the logic is in actions.ts. docs/upgrades.md
 */
import { airflowClient } from '../shared/airflow/index.ts';
import { logger, withObservability } from '../shared/observability.ts';
import { type EnvironmentOpsDeps, handleEnvironmentOp } from './actions.ts';

const deps: EnvironmentOpsDeps = { airflow: airflowClient(), log: logger };

export const handler = withObservability(async (event: unknown) => {
  const input = (event ?? {}) as Record<string, unknown>;
  logger.appendKeys({
    action: typeof input.action === 'string' ? input.action : undefined,
    environment: typeof input.environment === 'string' ? input.environment : undefined,
    executionArn: typeof input.executionArn === 'string' ? input.executionArn : undefined,
  });
  try {
    const result = await handleEnvironmentOp(event, deps);
    logger.info('action done');
    return result;
  } catch (error) {
    const { name, message } = error as Error;
    logger.warn('action failed', { error: { name, message } });
    throw error;
  }
});
