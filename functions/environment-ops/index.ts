/**
 * EnvironmentOpsFunction: the upgrade workflow's own steps (validateUpgrade, triggerCanary,
 * canaryStatus). Wiring only; the logic is in actions.ts. docs/upgrades.md
 */
import { actionHandler } from '../shared/action-dispatch.ts';
import { airflowClient } from '../shared/airflow/index.ts';
import { logger } from '../shared/observability.ts';
import { type EnvironmentOpsDeps, handleEnvironmentOp } from './actions.ts';

const deps: EnvironmentOpsDeps = { airflow: airflowClient(), log: logger };

export const handler = actionHandler((event) => handleEnvironmentOp(event, deps));
