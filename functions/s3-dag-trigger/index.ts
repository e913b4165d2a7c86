/**
 * S3DagTriggerFunction: S3 object-created events (notifications or EventBridge) → DAG runs.
 * Wiring only; the logic is in process-event.ts.
 */
import { logger, withObservability } from '../shared/observability.ts';
import { buildTriggerDeps, readTriggerConfig } from '../shared/trigger-deps.ts';
import { processS3Event } from './process-event.ts';

const deps = { ...buildTriggerDeps(readTriggerConfig(process.env)), log: logger };

export const handler = withObservability(async (event: unknown) => processS3Event(event, deps));
