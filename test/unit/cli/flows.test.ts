import { describe, expect, it } from '@jest/globals';
import type { FlowsStore } from '../../../cli/flows-store.ts';
import type { Flow } from '../../../functions/shared/flows/model.ts';
import { desiredSchedules, staleSchedules } from '../../../functions/shared/flows/schedules.ts';
import { runCliCaptured } from '../../helpers/cli-run.ts';

const FLOW = {
  flowId: 'sales',
  environment: 'dev',
  dagId: 'load_sales',
  conf: { input: '{{uri}}' },
  s3: [{ bucket: 'landing', prefix: 'sales/' }],
  schedules: [{ name: 'morning', expression: 'cron(0 6 * * ? *)', timezone: 'Europe/Berlin' }],
};

function memoryStore() {
  const rows = new Map<string, Flow>();
  const schedules = new Set<string>(['sales--old']);
  const store: FlowsStore = {
    list: async () => ({
      flows: [...rows.values()],
      invalid: [{ flowId: 'broken', problems: ['dagId: required'] }],
    }),
    get: async (id) => (rows.has(id) ? { flow: rows.get(id)! } : undefined),
    put: async (flow) => void rows.set(flow.flowId, flow),
    delete: async (id) => rows.delete(id),
    syncSchedules: async (flow) => {
      const desired = 'dagId' in flow ? desiredSchedules(flow) : [];
      const stale = staleSchedules(flow.flowId, [...schedules], desired);
      for (const name of stale) schedules.delete(name);
      for (const d of desired) schedules.add(d.name);
      return { upserted: desired.map((d) => d.name), deleted: stale };
    },
  };
  return { store, rows, schedules };
}

function run(args: string[], files: Record<string, string> = {}, store = memoryStore().store) {
  return runCliCaptured(args, {
    flows: () => store,
    readInput: (path) => {
      if (!(path in files)) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return files[path]!;
    },
  });
}

describe('mwaa-ops flows', () => {
  it('validates a file offline and lists every problem', async () => {
    const ok = await run(['flows', 'validate', 'f.json'], { 'f.json': JSON.stringify([FLOW]) });
    expect(ok).toMatchObject({ code: 0, stdout: '1 valid flow(s): sales\n' });
    const bad = await run(['flows', 'validate', 'f.json'], {
      'f.json': JSON.stringify([{ ...FLOW, dagId: 'bad id', conf: { s3: 1 } }]),
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('flow "sales": dagId: must be an Airflow DAG id');
    expect(bad.stderr).toContain('flow "sales": conf.s3: "s3" is reserved');
  });

  it('puts flows with their schedules and removes schedules no longer declared', async () => {
    const mem = memoryStore();
    const result = await run(['flows', 'put', 'f.json'], { 'f.json': JSON.stringify(FLOW) }, mem.store);
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toBe('put sales; schedules: sales--morning; removed schedules: sales--old\n');
    expect(mem.rows.get('sales')?.onPaused).toBe('fail');
    expect([...mem.schedules]).toEqual(['sales--morning']);
  });

  it('writes nothing when any flow in the file is invalid', async () => {
    const mem = memoryStore();
    const result = await run(
      ['flows', 'put', 'f.json'],
      { 'f.json': JSON.stringify([FLOW, { ...FLOW, flowId: 'x', environment: '' }]) },
      mem.store,
    );
    expect(result.code).toBe(1);
    expect(mem.rows.size).toBe(0);
  });

  it('dry-runs an object: the flows, run ids and conf it would produce', async () => {
    const mem = memoryStore();
    await run(['flows', 'put', 'f.json'], { 'f.json': JSON.stringify(FLOW) }, mem.store);
    const result = await run(
      ['--output', 'json', 'flows', 'test', 'landing', 'sales/a b.csv'],
      {},
      mem.store,
    );
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out.runs).toHaveLength(1);
    expect(out.runs[0]).toMatchObject({
      flowId: 'sales',
      dagId: 'load_sales',
      runId: expect.stringMatching(/^s3__sales__[0-9a-f]{16}$/),
      conf: { input: 's3://landing/sales/a b.csv', s3: { key: 'sales/a b.csv' } },
    });
    expect(out.invalid).toEqual([{ flowId: 'broken', problems: ['dagId: required'] }]);
    const none = await run(['flows', 'test', 'landing', 'hr/x.csv'], {}, mem.store);
    expect(none.stdout).toContain('no enabled flow matches s3://landing/hr/x.csv');
  });

  it('gets, lists and deletes', async () => {
    const mem = memoryStore();
    await run(['flows', 'put', 'f.json'], { 'f.json': JSON.stringify(FLOW) }, mem.store);
    expect(JSON.parse((await run(['flows', 'get', 'sales'], {}, mem.store)).stdout).dagId).toBe('load_sales');
    const list = await run(['flows', 'list'], {}, mem.store);
    expect(list.stdout).toContain('sales  enabled   dev/load_sales  s3://landing/sales/*');
    expect(list.stdout).toContain('broken  INVALID  dagId: required');
    expect((await run(['flows', 'delete', 'sales'], {}, mem.store)).stdout).toBe(
      'deleted sales; removed schedules: sales--morning\n',
    );
    expect((await run(['flows', 'get', 'sales'], {}, mem.store)).code).toBe(1);
  });
});
