import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import type { Log } from '../../../../functions/s3-dag-trigger/process-event.ts';
import {
  parseScheduleInput,
  processSchedule,
} from '../../../../functions/scheduled-dag-trigger/process-schedule.ts';
import type { TriggerRequest } from '../../../../functions/shared/airflow/client.ts';
import { AirflowThrottledError, DagPausedError } from '../../../../functions/shared/airflow/errors.ts';
import type { DeadLetter } from '../../../../functions/shared/dead-letter.ts';
import { validateFlow } from '../../../../functions/shared/flows/model.ts';

const tick = JSON.parse(
  readFileSync(new URL('../../../../events/scheduler/flow-tick.json', import.meta.url), 'utf8'),
);
const silent = { info() {}, warn() {}, error() {} } as unknown as Log;

function setup(options: { enabled?: boolean; fail?: Error; missing?: boolean } = {}) {
  const checked = validateFlow({
    flowId: 'daily-sales',
    environment: 'dev',
    dagId: 'sales',
    enabled: options.enabled ?? true,
    schedules: [
      {
        name: 'morning',
        expression: 'cron(0 6 * * ? *)',
        timezone: 'Europe/Berlin',
        conf: { morning: true },
      },
    ],
    conf: { day: '{{scheduled_time}}' },
  });
  if (!checked.ok) throw new Error(checked.problems.join());
  const triggers: TriggerRequest[] = [];
  const letters: DeadLetter[] = [];
  return {
    triggers,
    letters,
    deps: {
      flows: { get: async () => (options.missing ? undefined : { flow: checked.flow }) },
      airflow: {
        triggerDagRun: async (_env: string, req: TriggerRequest) => {
          triggers.push(req);
          if (options.fail) throw options.fail;
          return { outcome: 'triggered' as const, runId: req.runId, unpaused: false };
        },
      },
      deadLetter: { send: async (letter: DeadLetter) => void letters.push(letter) },
      log: silent,
    },
  };
}

describe('processSchedule', () => {
  it('triggers with a run id from the schedule and its scheduled time and the schedule conf merged in', async () => {
    const h = setup();
    // The tick names the schedule as Scheduler does (<flowId>--<name>); the run id uses its own name.
    await expect(processSchedule(tick, h.deps)).resolves.toEqual({
      outcome: 'triggered',
      runId: 'sched__daily-sales__morning__20261126T060000Z',
    });
    expect(h.triggers[0]?.conf).toEqual({
      day: '2026-11-26T06:00:00Z',
      full_refresh: false,
      flow_id: 'daily-sales',
      schedule: { scheduled_time: '2026-11-26T06:00:00Z', name: 'daily-sales--morning' },
    });
  });

  it('starts one run per schedule when two schedules of the flow fire at the same instant, each with its conf', async () => {
    const h = setup();
    const at = '2026-11-26T06:00:00Z';
    const first = await processSchedule(
      { flowId: 'daily-sales', scheduleName: 'morning', scheduledTime: at, conf: { mode: 'full' } },
      h.deps,
    );
    const second = await processSchedule(
      { flowId: 'daily-sales', scheduleName: 'audit', scheduledTime: at, conf: { mode: 'audit' } },
      h.deps,
    );
    expect(first).toMatchObject({ runId: 'sched__daily-sales__morning__20261126T060000Z' });
    expect(second).toMatchObject({ runId: 'sched__daily-sales__audit__20261126T060000Z' });
    expect(h.triggers.map((t) => t.conf.mode)).toEqual(['full', 'audit']);
    expect(h.triggers.map((t) => t.anchorTime)).toEqual([at, at]);
  });

  it('dead-letters with a replay tick that holds no conf; the replay takes the conf from the flow', async () => {
    const paused = setup({ fail: new DagPausedError('DAG sales in environment dev is paused') });
    await processSchedule(tick, paused.deps);
    const letter = paused.letters[0];
    expect(letter?.replayEvent).toEqual({
      flowId: 'daily-sales',
      scheduledTime: '2026-11-26T06:00:00Z',
      scheduleName: 'daily-sales--morning',
    });
    expect(JSON.stringify(letter)).not.toContain('full_refresh');

    const h = setup();
    await expect(processSchedule(letter?.replayEvent, h.deps)).resolves.toMatchObject({
      outcome: 'triggered',
      runId: 'sched__daily-sales__morning__20261126T060000Z',
    });
    expect(h.triggers[0]?.conf).toMatchObject({ morning: true });
  });

  it('gives a retried tick the same run id', async () => {
    const h = setup();
    await processSchedule(tick, h.deps);
    await processSchedule(structuredClone(tick), h.deps);
    expect(new Set(h.triggers.map((t) => t.runId)).size).toBe(1);
  });

  it('does nothing for a disabled flow', async () => {
    const h = setup({ enabled: false });
    await expect(processSchedule(tick, h.deps)).resolves.toMatchObject({ outcome: 'disabled' });
    expect(h.triggers).toHaveLength(0);
  });

  it('dead-letters unknown flows, malformed input and permanent Airflow errors', async () => {
    const missing = setup({ missing: true });
    await expect(processSchedule(tick, missing.deps)).resolves.toMatchObject({ outcome: 'dead-lettered' });
    expect(missing.letters[0]).toMatchObject({
      errorName: 'FlowNotFoundError',
      reason: 'Flow daily-sales does not exist',
    });

    const paused = setup({ fail: new DagPausedError('DAG sales in environment dev is paused') });
    await expect(processSchedule(tick, paused.deps)).resolves.toMatchObject({ outcome: 'dead-lettered' });
    expect(paused.letters[0]).toMatchObject({ errorName: 'DagPausedError' });

    expect(parseScheduleInput({ flowId: 'x' })).toContain('lacks a valid "scheduledTime"');
    expect(parseScheduleInput({ flowId: 'x', scheduledTime: '2026-01-01T00:00:00Z', conf: [] })).toBe(
      '"conf" must be a JSON object',
    );
  });

  it('rethrows retryable errors so Lambda retries and then uses the on-failure destination', async () => {
    const h = setup({ fail: new AirflowThrottledError('slow down') });
    await expect(processSchedule(tick, h.deps)).rejects.toBeInstanceOf(AirflowThrottledError);
    expect(h.letters).toHaveLength(0);
  });
});
