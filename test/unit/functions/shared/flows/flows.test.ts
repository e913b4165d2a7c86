import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { s3Conf, scheduleConf } from '../../../../../functions/shared/flows/conf.ts';
import { validateFlow } from '../../../../../functions/shared/flows/model.ts';
import { routeObject } from '../../../../../functions/shared/flows/routing.ts';
import { s3RunId, scheduleRunId } from '../../../../../functions/shared/flows/run-ids.ts';

const base = {
  flowId: 'sales',
  environment: 'dev-env',
  dagId: 'load_sales',
  s3: [{ bucket: 'landing', prefix: 'sales/' }],
};

describe('flow validation', () => {
  it('applies defaults to a minimal flow', () => {
    const result = validateFlow(base);
    expect(result).toEqual({
      ok: true,
      flow: { ...base, enabled: true, conf: {}, onPaused: 'fail', schedules: [] },
    });
  });

  it('reports every problem with its path', () => {
    const result = validateFlow({
      flowId: 'Bad Id',
      environment: '1env',
      dagId: 'ok',
      s3: [{ bucket: 'UPPER' }],
      conf: { s3: 'x', path: '{{nope}}' },
      extra: true,
    });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems.join('\n');
    expect(problems).toContain('flowId: must be 1-64 lower-case');
    expect(problems).toContain('environment: must be an MWAA environment name');
    expect(problems).toContain('s3.0.bucket: must be an S3 bucket name');
    expect(problems).toContain('Unrecognized key: "extra"');
  });

  it('rejects reserved conf keys, unknown placeholders, duplicate schedule names and trigger-less flows', () => {
    const problems = (value: unknown) => {
      const result = validateFlow(value);
      return result.ok ? [] : result.problems;
    };
    expect(problems({ ...base, conf: { flow_id: 'x' } })).toEqual([
      'conf.flow_id: "flow_id" is reserved: mwaa-ops sets it',
    ]);
    expect(problems({ ...base, conf: { p: '{{ nope }}' } })[0]).toContain('unknown placeholder {{nope}}');
    expect(
      problems({
        ...base,
        schedules: [
          { name: 'daily', expression: 'cron(0 6 * * ? *)' },
          { name: 'daily', expression: 'rate(1 hour)' },
        ],
      }),
    ).toEqual(['schedules: schedule name "daily" is used twice']);
    expect(problems({ ...base, s3: [] })).toEqual(['flow: a flow needs at least one S3 trigger or schedule']);
    expect(problems({ ...base, schedules: [{ name: 'x', expression: 'every day' }] })[0]).toContain(
      'must be cron(',
    );
  });
});

describe('routing', () => {
  const flow = (flowId: string, trigger: object, enabled = true) => {
    const result = validateFlow({ ...base, flowId, enabled, s3: [trigger] });
    if (!result.ok) throw new Error(result.problems.join());
    return result.flow;
  };
  const flows = [
    flow('csv', { bucket: 'landing', prefix: 'sales/', suffix: '.csv' }),
    flow('all-sales', { bucket: 'landing', prefix: 'sales/' }),
    flow('off', { bucket: 'landing' }, false),
    flow('other', { bucket: 'elsewhere' }),
  ];

  it('matches bucket, prefix and suffix against the decoded key', () => {
    expect(routeObject(flows, 'landing', 'sales/2024 Q1 ü.csv').matches.map((m) => m.flow.flowId)).toEqual([
      'csv',
      'all-sales',
    ]);
    expect(routeObject(flows, 'landing', 'sales/x.json').matches.map((m) => m.flow.flowId)).toEqual([
      'all-sales',
    ]);
  });

  it('separates disabled flows and returns nothing for unmatched objects', () => {
    expect(routeObject(flows, 'landing', 'hr/x.csv')).toMatchObject({
      matches: [],
      disabled: [{ flowId: 'off' }],
    });
    expect(routeObject(flows, 'nowhere', 'x')).toEqual({ matches: [], disabled: [] });
  });
});

describe('run ids', () => {
  const object = { bucket: 'landing', key: 'sales/a b.csv', sequencer: '0055AED6DCD90281E5', etag: 'e' };

  it('are deterministic per flow and object identity, and differ between uploads of the same key', () => {
    expect(s3RunId('sales', object)).toBe(s3RunId('sales', { ...object }));
    expect(s3RunId('sales', object)).not.toBe(
      s3RunId('sales', { ...object, sequencer: '0055AED6DCD90281E6' }),
    );
    expect(s3RunId('sales', object)).not.toBe(s3RunId('other', object));
    expect(s3RunId('sales', { ...object, versionId: 'v1' })).not.toBe(
      s3RunId('sales', { ...object, versionId: 'v2' }),
    );
  });

  it('always match Airflow’s default run id pattern, whatever the key', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.option(fc.string(), { nil: undefined }),
        (key, sequencer, versionId) => {
          const id = s3RunId('flow-1', { bucket: 'b', key, sequencer, versionId });
          return /^[A-Za-z0-9_.~:+-]+$/.test(id) && id.length <= 250 && !id.startsWith('scheduled__');
        },
      ),
    );
  });

  it('derive schedule run ids from the scheduled time only', () => {
    expect(scheduleRunId('sales', '2026-11-26T06:00:00Z')).toBe('sched__sales__20261126T060000Z');
    expect(scheduleRunId('sales', '2026-11-26T07:00:00+01:00')).toBe('sched__sales__20261126T060000Z');
    expect(() => scheduleRunId('sales', 'not a time')).toThrow('scheduledTime is not a timestamp');
  });

  it('put the schedule’s name into the run id, so two schedules firing at one instant are two runs', () => {
    const at = '2026-11-26T06:00:00Z';
    expect(scheduleRunId('sales', at, 'morning')).toBe('sched__sales__morning__20261126T060000Z');
    expect(scheduleRunId('sales', at, 'morning')).not.toBe(scheduleRunId('sales', at, 'audit'));
    expect(() => scheduleRunId('sales', at, 'no spaces')).toThrow('scheduleName');
  });
});

describe('conf', () => {
  it('fills placeholders and adds the object under reserved keys', () => {
    const conf = s3Conf(
      'sales',
      { input: '{{uri}}', nested: { k: ['{{ key }}'] }, n: 1 },
      { bucket: 'landing', key: 'a b.csv', size: 3, sequencer: 's' },
    );
    expect(conf).toEqual({
      input: 's3://landing/a b.csv',
      nested: { k: ['a b.csv'] },
      n: 1,
      flow_id: 'sales',
      s3: {
        bucket: 'landing',
        key: 'a b.csv',
        uri: 's3://landing/a b.csv',
        size: 3,
        etag: null,
        version_id: null,
        sequencer: 's',
        event_time: null,
        event_name: null,
      },
    });
  });

  it('merges a schedule’s own conf over the flow template', () => {
    expect(
      scheduleConf(
        'sales',
        { a: 1, day: '{{scheduled_time}}' },
        { scheduledTime: '2026-01-01T00:00:00Z' },
        { a: 2 },
      ),
    ).toEqual({
      a: 2,
      day: '2026-01-01T00:00:00Z',
      flow_id: 'sales',
      schedule: { scheduled_time: '2026-01-01T00:00:00Z', name: null },
    });
  });
});
