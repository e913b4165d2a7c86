/**
 * EnvironmentOpsFunction: the upgrade workflow's own steps (validateUpgrade, triggerCanary,
 * canaryStatus). Wiring only; the logic is in actions.ts. docs/upgrades.md
 *
 * The Airflow client (SDK, signing) and the actions are loaded by the first invocation
 * (shared/lazy.ts explains why).
 */
import { actionHandler } from '../shared/action-dispatch.ts';
import { once } from '../shared/lazy.ts';
import { logger } from '../shared/observability.ts';

const loaded = once(async () => {
  const [{ airflowClient }, { handleEnvironmentOp }] = await Promise.all([
    import('../shared/airflow/index.ts'),
    import('./actions.ts'),
  ]);
  const deps = { airflow: airflowClient(), log: logger };
  return (event: unknown) => handleEnvironmentOp(event, deps);
});

export const handler = actionHandler(async (event) => (await loaded())(event));
