import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { type BundlesData, measureBundles } from '../../../bench/bundles.bench.ts';
import { measureColdStarts, type SpawnTarget } from '../../../bench/lib/coldstart.ts';
import {
  type ResultFile,
  readResults,
  summaryMarkdown,
  writeResult,
  writeSummary,
} from '../../../bench/lib/results.ts';

/** A clock that advances by the given number of milliseconds per reading pair (start, end). */
function steppingClock(durationsMs: () => number): () => bigint {
  let now = 0n;
  let started = false;
  return () => {
    if (started) now += BigInt(Math.round(durationsMs() * 1e6));
    started = !started;
    return now;
  };
}

describe('bench/lib/coldstart', () => {
  const target = (id: string): SpawnTarget => ({ id, args: [id], env: {} });

  it('interleaves targets with the baseline, rotating the order, and discards the warm-up round', () => {
    const durations: Record<string, number> = { base: 10, a: 25, b: 40 };
    const order: string[] = [];
    const result = measureColdStarts({
      baseline: target('base'),
      targets: [target('a'), target('b')],
      runs: 2,
      warmup: 1,
      spawn: (t) => {
        order.push(t.id);
        return {};
      },
      clock: steppingClock(() => durations[order.at(-1)!]!),
    });
    expect(result.schedule).toEqual(['base', 'a', 'b', 'a', 'b', 'base', 'b', 'base', 'a']);
    expect(result.samplesMs.get('base')).toEqual([10, 10]);
    expect(result.samplesMs.get('a')).toEqual([25, 25]);
    expect(result.samplesMs.get('b')).toEqual([40, 40]);
    expect(result.failures.size).toBe(0);
  });

  it('stops running a target after it fails and reports why', () => {
    const result = measureColdStarts({
      baseline: target('base'),
      targets: [target('bad')],
      runs: 3,
      warmup: 1,
      spawn: (t) => (t.id === 'bad' ? { error: 'exit code 1: Error: boom' } : {}),
      clock: steppingClock(() => 1),
    });
    expect(result.failures.get('bad')).toBe('exit code 1: Error: boom');
    expect(result.schedule.filter((id) => id === 'bad')).toHaveLength(1);
    expect(result.samplesMs.has('bad')).toBe(false);
    expect(result.samplesMs.get('base')).toHaveLength(3);
  });
});

describe('bench/bundles', () => {
  let dist: string;

  beforeEach(() => {
    dist = mkdtempSync(join(tmpdir(), 'mwaa-ops-bench-'));
  });

  afterEach(() => {
    rmSync(dist, { recursive: true, force: true });
  });

  function writeBundle(name: string, code: string, map?: string): void {
    mkdirSync(join(dist, 'functions', name), { recursive: true });
    writeFileSync(join(dist, 'functions', name, 'index.mjs'), code);
    if (map !== undefined) writeFileSync(join(dist, 'functions', name, 'index.mjs.map'), map);
  }

  it('says there are no function bundles yet and still returns a result', async () => {
    const result = await measureBundles({ distDir: dist, spawn: () => ({ error: 'must not spawn' }) });
    expect(result.notes[0]).toMatch(/^No function bundles yet/);
    expect(result.tables).toEqual([]);
    expect(result.data).toEqual({ runs: 15, warmup: 1, baseline: null, bundles: [] });
  });

  it('lists the local cloud bundle by size even when no function is built', async () => {
    mkdirSync(join(dist, 'local'));
    writeFileSync(join(dist, 'local', 'index.mjs'), 'export const x = 1;\n');
    const result = await measureBundles({ distDir: dist });
    const data = result.data as BundlesData;
    expect(data.bundles).toEqual([
      expect.objectContaining({ name: 'local cloud', kind: 'local', rawBytes: 20, coldStart: null }),
    ]);
    expect(result.tables[0]?.rows[0]?.[0]).toBe('local cloud (not deployed)');
  });

  it('reports raw, gzip and source-map sizes and init time relative to the baseline', async () => {
    const code = `export const handler = async () => 'x';\n${'// padding\n'.repeat(100)}`;
    writeBundle('fake-fn', code, '{"version":3}');
    const spawned: SpawnTarget[] = [];
    const durations: Record<string, number> = { '(baseline)': 40, 'fake-fn': 65 };
    const result = await measureBundles({
      distDir: dist,
      runs: 4,
      functionEnv: (folder) => (folder === 'fake-fn' ? { RBAC_TABLE_NAME: 'rbac' } : undefined),
      spawn: (target) => {
        spawned.push(target);
        return {};
      },
      clock: steppingClock(() => durations[spawned.at(-1)!.id]!),
    });
    const data = result.data as BundlesData;
    const [bundle] = data.bundles;
    expect(bundle).toMatchObject({
      name: 'fake-fn',
      kind: 'function',
      path: join('dist', 'functions', 'fake-fn', 'index.mjs'),
      rawBytes: Buffer.byteLength(code),
      gzipBytes: gzipSync(code, { level: 9 }).byteLength,
      sourceMapBytes: 13,
      package: {
        files: 1,
        rawBytes: Buffer.byteLength(code),
        gzipBytes: gzipSync(code, { level: 9 }).byteLength,
        sourceMapBytes: 13,
      },
    });
    expect(bundle?.coldStart).toEqual({
      status: 'measured',
      initMedianMs: 25,
      initP90Ms: 25,
      process: { count: 4, median: 65, p90: 65, min: 65, max: 65 },
      firstInvocation: null,
    });
    expect(data.baseline).toMatchObject({ count: 4, median: 40 });
    // The child imports the bundle (never calls the handler) with a Lambda-like environment.
    const child = spawned.find((target) => target.id === 'fake-fn')!;
    expect(child.args[0]).toBe('-e');
    expect(child.args[1]).toContain('import(process.argv[1])');
    expect(child.args[1]).not.toContain('handler');
    expect(child.args[2]).toMatch(/^file:\/\/.*\/functions\/fake-fn\/index\.mjs$/);
    expect(child.env).toMatchObject({ AWS_REGION: 'us-east-1', RBAC_TABLE_NAME: 'rbac' });
    expect(spawned.find((target) => target.id === '(baseline)')!.args).toEqual(['-e', '0']);
    expect(result.notes.some((note) => note.startsWith('No function in template.yaml'))).toBe(false);
  });

  it('counts the chunks beside the entry and times a first invocation where an event is given', async () => {
    writeBundle('split-fn', 'export const handler = async () => (await import("./chunk-A.mjs")).x;\n', '{}');
    writeFileSync(join(dist, 'functions', 'split-fn', 'chunk-A.mjs'), 'export const x = 1;\n');
    writeFileSync(join(dist, 'functions', 'split-fn', 'chunk-A.mjs.map'), '{"v":3}');
    const spawned: SpawnTarget[] = [];
    const durations: Record<string, number> = {
      '(baseline)': 40,
      'split-fn': 50,
      'split-fn (first invocation)': 90,
    };
    const result = await measureBundles({
      distDir: dist,
      runs: 2,
      nodeOptions: '--enable-source-maps',
      firstInvocationEvents: { 'split-fn': { event: { ping: true } } },
      spawn: (target) => {
        spawned.push(target);
        return {};
      },
      clock: steppingClock(() => durations[spawned.at(-1)!.id]!),
    });
    const [bundle] = (result.data as BundlesData).bundles;
    expect(bundle?.package).toMatchObject({ files: 2, sourceMapBytes: 9 });
    expect(bundle?.coldStart).toMatchObject({
      initMedianMs: 10,
      firstInvocation: { status: 'measured', medianMs: 50, p90Ms: 50 },
    });
    const first = spawned.find((target) => target.id === 'split-fn (first invocation)')!;
    expect(first.args[1]).toContain('m.handler(JSON.parse(process.argv[2])');
    expect(first.args[3]).toBe('{"ping":true}');
    // SDK calls of the first invocation fail at once instead of waiting on the network.
    expect(first.env).toMatchObject({ AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_MAX_ATTEMPTS: '1' });
    // The template's Node options reach the functions and the baseline alike.
    for (const target of spawned) expect(target.env.NODE_OPTIONS).toBe('--enable-source-maps');
  });

  it('calls the handler of a real bundle once for the first-invocation figure', async () => {
    const marker = join(dist, 'handler-ran');
    writeBundle(
      'real-fn',
      `import { writeFileSync } from 'node:fs';\n` +
        `export const handler = async (event) => writeFileSync(${JSON.stringify(marker)}, JSON.stringify(event));\n`,
    );
    const result = await measureBundles({
      distDir: dist,
      runs: 1,
      firstInvocationEvents: { 'real-fn': { event: { n: 1 } } },
    });
    const [bundle] = (result.data as BundlesData).bundles;
    expect(bundle?.coldStart).toMatchObject({ firstInvocation: { status: 'measured' } });
    expect(readFileSync(marker, 'utf8')).toBe('{"n":1}');
  });

  it('notes the functions that template.yaml does not describe', async () => {
    writeBundle('orphan', 'export const handler = async () => 1;\n');
    const result = await measureBundles({
      distDir: dist,
      runs: 1,
      functionEnv: () => undefined,
      spawn: () => ({}),
      clock: steppingClock(() => 1),
    });
    expect(result.notes).toContain('No function in template.yaml for orphan: base environment only.');
  });

  it('imports a real bundle in a fresh Node process without running its handler', async () => {
    const marker = join(dist, 'handler-ran');
    writeBundle(
      'real-fn',
      `import { writeFileSync } from 'node:fs';\n` +
        `export const handler = async () => writeFileSync(${JSON.stringify(marker)}, 'ran');\n` +
        // An open handle at module scope must not keep the process alive.
        'setInterval(() => {}, 1000);\n',
    );
    writeBundle('failing-fn', "throw new Error('RBAC_TABLE_NAME is required');\n");
    const result = await measureBundles({ distDir: dist, runs: 2 });
    const data = result.data as BundlesData;
    const byName = new Map(data.bundles.map((bundle) => [bundle.name, bundle.coldStart]));
    expect(byName.get('real-fn')).toMatchObject({ status: 'measured', process: { count: 2 } });
    expect(byName.get('failing-fn')).toEqual({
      status: 'failed',
      error: 'exit code 1: Error: RBAC_TABLE_NAME is required',
    });
    expect(() => readFileSync(marker)).toThrow();
  });
});

describe('bench/lib/results', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mwaa-ops-results-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const file = (benchmark: string): ResultFile => ({
    formatVersion: 1,
    benchmark,
    timestamp: '2026-01-02T03:04:05.000Z',
    durationMs: 12,
    environment: {
      node: 'v24.0.0',
      platform: 'linux',
      arch: 'arm64',
      cpuModel: 'Test CPU',
      cpuCount: 2,
      memoryBytes: 4 * 1024 ** 3,
      commit: '0123456789abcdef0123',
      dirty: false,
    },
    notes: [`${benchmark} note`],
    tables: [{ title: `${benchmark} table`, columns: ['a'], rows: [['1 B']] }],
    data: {},
  });

  it('writes one JSON file per benchmark and a summary of all of them, registered ones first', () => {
    writeResult(dir, file('zeta'));
    writeResult(dir, file('bundles'));
    expect(JSON.parse(readFileSync(join(dir, 'bundles.json'), 'utf8'))).toEqual(file('bundles'));
    expect(readResults(dir, ['bundles']).map((result) => result.benchmark)).toEqual(['bundles', 'zeta']);
    const summary = readFileSync(writeSummary(dir, ['bundles']), 'utf8');
    expect(summary.indexOf('## bundles')).toBeLessThan(summary.indexOf('## zeta'));
    expect(summary).toContain(
      'Run 2026-01-02T03:04:05.000Z on Node v24.0.0, linux/arm64, 2 × Test CPU, 4.0 GiB RAM; commit 0123456789ab.',
    );
    expect(summary).toContain('- bundles note');
    expect(summary).toContain('### bundles table');
  });

  it('says so when there are no results', () => {
    expect(summaryMarkdown([])).toContain('No results yet.');
  });
});
