/** Which enabled flows an object in a bucket starts. Pure: the caller supplies the flows. */
import type { Flow, S3Trigger } from './model.ts';

export function matchesTrigger(trigger: S3Trigger, bucket: string, key: string): boolean {
  if (trigger.bucket !== bucket) return false;
  if (trigger.prefix !== undefined && !key.startsWith(trigger.prefix)) return false;
  if (trigger.suffix !== undefined && !key.endsWith(trigger.suffix)) return false;
  return true;
}

export interface RouteMatch {
  flow: Flow;
  trigger: S3Trigger;
}

/**
 * Flows whose S3 triggers match, one match per flow (a flow with two matching triggers still
 * starts one run per object). Disabled flows are returned separately so callers can say why an
 * object started nothing.
 */
export function routeObject(
  flows: readonly Flow[],
  bucket: string,
  key: string,
): { matches: RouteMatch[]; disabled: Flow[] } {
  const matches: RouteMatch[] = [];
  const disabled: Flow[] = [];
  for (const flow of flows) {
    const trigger = flow.s3.find((t) => matchesTrigger(t, bucket, key));
    if (!trigger) continue;
    if (flow.enabled) matches.push({ flow, trigger });
    else disabled.push(flow);
  }
  return { matches, disabled };
}
