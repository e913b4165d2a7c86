/**
 * `npm run bench [-- <name>...]`: run the registered benchmarks in order (or the named ones),
 * print each one's tables, write `bench/results/<name>.json` and rebuild
 * `bench/results/SUMMARY.md` from every result file. `npm run bench` builds the bundles first.
 */
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runEnvironment } from './lib/environment.ts';
import { textTable } from './lib/format.ts';
import { RESULT_FORMAT_VERSION, writeResult, writeSummary } from './lib/results.ts';
import type { BenchModule } from './lib/types.ts';

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = join(benchDir, '..');
const resultsDir = join(benchDir, 'results');

/** Benchmarks in the order they run; each is `bench/<name>.bench.ts` exporting `name` and `run`. */
const REGISTERED = ['bundles', 'local-cloud', 'triggering', 'sso', 'pause-resume', 'dags'] as const;

async function load(name: string): Promise<BenchModule> {
  const module = (await import(`./${name}.bench.ts`)) as Partial<BenchModule>;
  if (module.name !== name || typeof module.run !== 'function') {
    throw new Error(`bench/${name}.bench.ts must export name = '${name}' and a run() function`);
  }
  return module as BenchModule;
}

async function main(args: readonly string[]): Promise<number> {
  const unknown = args.filter((arg) => !(REGISTERED as readonly string[]).includes(arg));
  if (unknown.length > 0) {
    process.stderr.write(
      `bench: unknown benchmark(s): ${unknown.join(', ')}. Known: ${REGISTERED.join(', ')}\n`,
    );
    return 2;
  }
  const selected = args.length === 0 ? [...REGISTERED] : REGISTERED.filter((name) => args.includes(name));
  const environment = runEnvironment(root);
  process.stdout.write(
    `Node ${environment.node} on ${environment.cpuCount} × ${environment.cpuModel}` +
      `${environment.commit ? `, commit ${environment.commit.slice(0, 12)}${environment.dirty ? ' (+ local changes)' : ''}` : ''}\n`,
  );
  let failed = 0;
  for (const name of selected) {
    process.stdout.write(`\n== ${name} ==\n`);
    const startedAt = new Date();
    const started = process.hrtime.bigint();
    try {
      const benchmark = await load(name);
      const result = await benchmark.run();
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      for (const note of result.notes) process.stdout.write(`${note}\n`);
      for (const table of result.tables) process.stdout.write(`\n${textTable(table)}\n`);
      const path = writeResult(resultsDir, {
        formatVersion: RESULT_FORMAT_VERSION,
        benchmark: name,
        timestamp: startedAt.toISOString(),
        durationMs,
        environment,
        ...result,
      });
      process.stdout.write(`\nwrote ${relative(root, path)}\n`);
    } catch (error) {
      failed += 1;
      const { name: errorName, message } =
        error instanceof Error ? error : { name: 'Error', message: String(error) };
      process.stderr.write(`bench ${name} failed: ${errorName}: ${message}\n`);
    }
  }
  const summary = writeSummary(resultsDir, REGISTERED);
  process.stdout.write(`wrote ${relative(root, summary)}\n`);
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
