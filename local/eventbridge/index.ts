/**
 * EventBridge emulator: starts the wire API (api.ts) over the event bus (model.ts), with the
 * template's rules. PutEvents validates each entry; matching events go to each target; every
 * accepted event is recorded for tests.
 */
import { startServer } from '../core/http.ts';
import type { LocalRule, Targets } from '../core/model.ts';
import type { EmulatorHandle, ServiceContext } from '../core/service.ts';
import { ServiceError } from '../core/service-error.ts';
import { eventBridgeApi } from './api.ts';
import { EventBusStore } from './model.ts';
import { ruleFromModel } from './rules.ts';

export interface EventBridgeHandle extends EmulatorHandle {
  /**
   * Put events in-process (for `Targets.putEvents`): `aws.*` sources are allowed, faults do not
   * apply, and an invalid entry throws a `ServiceError`.
   */
  putEvents(entries: Parameters<Targets['putEvents']>[0]): Promise<void>;
  /** Every event accepted so far (API or in-process), as full envelopes, oldest first. */
  events(): Array<Record<string, unknown>>;
}

/**
 * Start the EventBridge emulator with the template's rules; scheduled rules start firing on
 * `ctx.clock` at once.
 *
 * @example
 * const events = await startEventBridge(ctx, { rules: model.rules, targets });
 * await events.putEvents([{ Source: 'aws.states', DetailType: 'Step Functions Execution Status Change', Detail }]);
 * events.events(); // [{ version: '0', id, 'detail-type': ..., detail: {...} }]
 */
export async function startEventBridge(
  ctx: ServiceContext,
  options: { rules: LocalRule[]; targets: Targets },
): Promise<EventBridgeHandle> {
  const store = new EventBusStore(ctx, options.targets);

  const startedAt = ctx.clock.now();
  for (const local of options.rules) {
    const rule = ruleFromModel(local, startedAt);
    store.setRule(rule);
  }
  const server = await startServer(eventBridgeApi(ctx, store));
  return {
    url: server.url,
    async close() {
      store.stopAll();
      await server.close();
    },
    async putEvents(entries) {
      const results = store.put(entries, true);
      const failed = results.find((result) => 'ErrorCode' in result);
      if (failed && 'ErrorCode' in failed) throw new ServiceError(failed.ErrorCode, failed.ErrorMessage);
    },
    events: () => store.recorded.map((event) => structuredClone(event)),
  };
}
