/**
 * Benchmark `local-cloud`: how long the local cloud takes to start on template.yaml, the way
 * `npm start` and a test file's `beforeAll` pay for it. Each round is a fresh Node process that
 * imports `dist/local/index.mjs` (module loading: s3rver, dynalite, the Step Functions engine …),
 * calls `startLocalCloud()` (template, emulators, tables, buckets, state machines) and `stop()`.
 * The target is a start (import + startLocalCloud) under 3 s.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { root } from '../scripts/esbuild-options.ts';
import { formatMs } from './lib/format.ts';
import { summarize } from './lib/stats.ts';
import type { BenchResult } from './lib/types.ts';

export const name = 'local-cloud';

/** Fresh-process rounds; BENCH_LOCAL_CLOUD_RUNS overrides. */
export const DEFAULT_RUNS = 5;
export const TARGET_START_MS = 3000;

interface Round {
  importMs: number;
  startMs: number;
  stopMs: number;
  /** CPU time (user + system) of import + start: what the start costs on an idle machine. */
  cpuMs: number;
  breakdownMs: Record<string, number>;
}

const run = promisify(execFile);

// Runs in the child: plain ESM, no TypeScript, so nothing but the bundle is measured.
const childScript = (bundleUrl: string) => `
const c0 = process.cpuUsage();
const t0 = performance.now();
const { startLocalCloud } = await import(${JSON.stringify(bundleUrl)});
const t1 = performance.now();
const cloud = await startLocalCloud();
const t2 = performance.now();
const cpu = process.cpuUsage(c0);
await cloud.stop();
const t3 = performance.now();
console.log(JSON.stringify({ importMs: t1 - t0, startMs: t2 - t1, stopMs: t3 - t2, cpuMs: (cpu.user + cpu.system) / 1000, breakdownMs: cloud.startupBreakdownMs }));
`;

export async function runBench(): Promise<BenchResult> {
  const bundle = join(root, 'dist', 'local', 'index.mjs');
  if (!existsSync(bundle)) {
    return {
      notes: ['dist/local/index.mjs is missing: run `npm run build` first.'],
      tables: [],
      data: { rounds: [] },
    };
  }
  const runs = Number(process.env.BENCH_LOCAL_CLOUD_RUNS ?? DEFAULT_RUNS);
  const rounds: Round[] = [];
  for (let i = 0; i < runs; i += 1) {
    const { stdout } = await run(
      process.execPath,
      ['--input-type=module', '-e', childScript(pathToFileURL(bundle).href)],
      {
        cwd: root,
        timeout: 60_000,
      },
    );
    rounds.push(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Round);
  }
  const row = (label: string, samples: number[]) => {
    const s = summarize(samples);
    return [label, formatMs(s.median), formatMs(s.p90), formatMs(s.min), formatMs(s.max)];
  };
  const total = rounds.map((r) => r.importMs + r.startMs);
  const medianTotal = summarize(total).median;
  const services = Object.keys(rounds[0]?.breakdownMs ?? {});
  return {
    notes: [
      `${runs} fresh Node processes on template.yaml; "ready at" is when each part of startLocalCloud was done.`,
      `Median import + start: ${formatMs(medianTotal)} (target < ${TARGET_START_MS} ms: ${medianTotal < TARGET_START_MS ? 'met' : 'NOT met'}).`,
      'Start-up is CPU-bound on one thread: on a loaded machine wall time exceeds the CPU time row, which is what an idle machine would take (plus process start).',
    ],
    tables: [
      {
        title: 'Local cloud start-up',
        columns: ['phase', 'median', 'p90', 'min', 'max'],
        rows: [
          row(
            'import dist/local/index.mjs',
            rounds.map((r) => r.importMs),
          ),
          row(
            'startLocalCloud()',
            rounds.map((r) => r.startMs),
          ),
          row('import + start', total),
          row(
            'import + start, CPU time',
            rounds.map((r) => r.cpuMs),
          ),
          row(
            'stop()',
            rounds.map((r) => r.stopMs),
          ),
          ...services.map((service) =>
            row(
              `  ready at: ${service}`,
              rounds.map((r) => r.breakdownMs[service] ?? 0),
            ),
          ),
        ],
      },
    ],
    data: { runs, targetStartMs: TARGET_START_MS, rounds },
  };
}

export { runBench as run };
