/**
 * ScheduledDagTriggerFunction: EventBridge Scheduler ticks → DAG runs.
 * Wiring only; the logic is in process-schedule.ts.
 */
import { logger, withObservability } from '../shared/observability.ts';
import { buildTriggerDeps, readTriggerConfig } from '../shared/trigger-deps.ts';
import { processSchedule } from './process-schedule.ts';

const deps = { ...buildTriggerDeps(readTriggerConfig(process.env)), log: logger };

export const handler = withObservability(async (event: unknown) => processSchedule(event, deps));
