/**
 * IdlePauseFunction: an idle-schedule tick (EventBridge Scheduler, `mwaa-ops schedule idle`) →
 * pause the environment if it is idle, with a one-time resume ahead of its next due run.
 * Wiring only; the logic is in check.ts and decision.ts. docs/pause-resume.md#idle-aware-pausing
 *
 * The configuration is read at cold start, so a missing variable fails init with its name; the
 * SDK clients and the logic load on the first invocation (shared/lazy.ts explains why).
 */
import { actionHandler } from '../shared/action-dispatch.ts';
import { once } from '../shared/lazy.ts';
import { atInit } from '../shared/stack-map.ts';
import { readIdlePauseConfig } from './config.ts';

const config = atInit(() => readIdlePauseConfig(process.env));

const loaded = once(async () => {
  const [{ buildIdleDeps }, { idleCheck }] = await Promise.all([import('./deps.ts'), import('./check.ts')]);
  const deps = buildIdleDeps(config);
  return (event: unknown) => {
    if (event === null || typeof event !== 'object' || Array.isArray(event)) return idleCheck({}, deps); // requiredString names the missing environment
    return idleCheck(event as Record<string, unknown>, deps);
  };
});

export const handler = actionHandler(async (event) => (await loaded())(event));
