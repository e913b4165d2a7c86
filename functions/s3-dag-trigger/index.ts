/**
 * S3DagTriggerFunction: S3 object-created events (notifications or EventBridge) → DAG runs.
 * Wiring only; the logic is in process-event.ts.
 *
 * The configuration is read at cold start, so a bad setting fails init with its name. The SDK
 * clients and the logic are loaded by the first invocation (shared/lazy.ts explains why).
 */
import { once } from '../shared/lazy.ts';
import { logger, withObservability } from '../shared/observability.ts';
import { atInit } from '../shared/stack-map.ts';
import { readTriggerConfig } from '../shared/trigger-config.ts';

const config = atInit(() => readTriggerConfig(process.env));

const loaded = once(async () => {
  const [{ buildTriggerDeps }, { processS3Event }] = await Promise.all([
    import('../shared/trigger-deps.ts'),
    import('./process-event.ts'),
  ]);
  const deps = { ...buildTriggerDeps(config), log: logger };
  return (event: unknown) => processS3Event(event, deps);
});

export const handler = withObservability(async (event: unknown) => (await loaded())(event));
