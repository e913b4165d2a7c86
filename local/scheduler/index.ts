/**
 * EventBridge Scheduler emulator: starts the wire API (api.ts) over the schedule store
 * (model.ts), with schedules from the template model and the API firing on the emulated clock.
 */
import { startServer } from '../core/http.ts';
import type { LocalSchedule, Targets } from '../core/model.ts';
import type { EmulatorHandle, ServiceContext } from '../core/service.ts';
import { ServiceError } from '../core/service-error.ts';
import { schedulerApi } from './api.ts';
import { ScheduleStore } from './model.ts';

export interface SchedulerHandle extends EmulatorHandle {
  /** The next `count` times a schedule fires, from the emulated now (empty when disabled). */
  nextFireTimes(name: string, count: number, group?: string): Date[];
}

/**
 * Start the Scheduler emulator with the template's schedules, which start firing on `ctx.clock`
 * at once.
 *
 * @example
 * const scheduler = await startScheduler(ctx, { schedules: model.schedules, targets });
 * scheduler.nextFireTimes('nightly-export', 3, 'mwaa-ops'); // [Date, Date, Date]
 */
export async function startScheduler(
  ctx: ServiceContext,
  options: { schedules: LocalSchedule[]; targets: Targets; groups?: readonly string[] },
): Promise<SchedulerHandle> {
  const store = new ScheduleStore(ctx, options.targets);
  for (const name of options.groups ?? []) store.ensureGroup(name);
  for (const schedule of options.schedules) store.putFromModel(schedule);
  const server = await startServer(schedulerApi(ctx, store));
  return {
    url: server.url,
    async close() {
      store.stopAll();
      await server.close();
    },
    nextFireTimes(name, count, groupName = 'default') {
      try {
        return store.nextFireTimes(name, count, groupName);
      } catch (error) {
        if (error instanceof ServiceError) throw new Error(error.message);
        throw error;
      }
    },
  };
}
