/**
 * Benchmark `bundles`: what each Lambda bundle costs in deployment size and in cold-start init.
 *
 * - Size: raw bytes of `dist/functions/<name>/index.mjs`, the same gzip-compressed (level 9, a
 *   stand-in for the deflate of the deployment zip) and its source map separately, since the
 *   map ships in the zip but is only read when a stack trace is printed. The local cloud bundle
 *   (`dist/local/index.mjs`) is listed for size only: it is never deployed.
 * - Init: a fresh Node process imports the bundle (never calling the handler) and exits; see
 *   lib/coldstart.ts for how the bare-Node baseline is subtracted.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { root } from '../scripts/esbuild-options.ts';
import { measureColdStarts, type Spawner, type SpawnTarget } from './lib/coldstart.ts';
import { formatBytes, formatMs } from './lib/format.ts';
import { median, percentile, type Summary, summarize } from './lib/stats.ts';
import type { BenchResult, ResultTable } from './lib/types.ts';

export const name = 'bundles';

/** Rounds measured per bundle, after one discarded warm-up round; BENCH_COLD_START_RUNS overrides. */
export const DEFAULT_RUNS = 15;

export interface BundleFile {
  /** Function folder name, or `local cloud`. */
  readonly name: string;
  readonly kind: 'function' | 'local';
  /** Path relative to the dist directory's parent, e.g. `dist/functions/x/index.mjs`. */
  readonly path: string;
  readonly rawBytes: number;
  readonly gzipBytes: number;
  /** Size of `index.mjs.map`, or null when the bundle has none. */
  readonly sourceMapBytes: number | null;
}

export type ColdStart =
  | {
      readonly status: 'measured';
      readonly initMedianMs: number;
      readonly initP90Ms: number;
      readonly process: Summary;
    }
  | { readonly status: 'failed'; readonly error: string };

export interface BundlesData {
  readonly runs: number;
  readonly warmup: number;
  /** Wall time of a bare `node -e 0`, null when there was nothing to compare with it. */
  readonly baseline: Summary | null;
  readonly bundles: ReadonlyArray<BundleFile & { readonly coldStart: ColdStart | null }>;
}

export interface MeasureOptions {
  /** The `dist` directory holding `functions/<name>/index.mjs` and `local/index.mjs`. */
  readonly distDir: string;
  readonly runs?: number;
  readonly warmup?: number;
  /** Extra environment for a function's process: what template.yaml gives it. */
  readonly functionEnv?: (folder: string) => Readonly<Record<string, string>> | undefined;
  readonly spawn?: Spawner;
  readonly clock?: () => bigint;
}

/**
 * What every child process gets, so module-scope code that reads the region or builds SDK
 * clients behaves as in Lambda without reaching for this machine's settings. Nothing here is a
 * real credential. NODE_OPTIONS matches the template's Globals (source maps enabled).
 */
export function baseChildEnv(functionName: string): Record<string, string> {
  return {
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    POWERTOOLS_SERVICE_NAME: 'mwaa-ops',
    NODE_OPTIONS: '--enable-source-maps',
  };
}

// Imports the bundle given as the first argument and exits at once: module-scope work is the
// cost being measured, and an open handle (a timer, a keep-alive socket) must not add to it.
const IMPORT_ONLY =
  'import(process.argv[1]).then(() => process.exit(0), (e) => { console.error(String(e?.stack ?? e)); process.exit(1); })';

function describeFile(distDir: string, file: string, bundle: Pick<BundleFile, 'name' | 'kind'>): BundleFile {
  const content = readFileSync(file);
  const map = `${file}.map`;
  return {
    ...bundle,
    path: join('dist', file.slice(distDir.length + 1)),
    rawBytes: content.byteLength,
    gzipBytes: gzipSync(content, { level: 9 }).byteLength,
    sourceMapBytes: existsSync(map) ? statSync(map).size : null,
  };
}

/** The function bundles (sorted by name) and, if built, the local cloud bundle. */
export function findBundles(distDir: string): { functions: BundleFile[]; local: BundleFile | null } {
  const functionsDir = join(distDir, 'functions');
  const folders = existsSync(functionsDir)
    ? readdirSync(functionsDir, { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && existsSync(join(functionsDir, entry.name, 'index.mjs')))
        .map((entry) => entry.name)
        .sort()
    : [];
  const functions = folders.map((folder) =>
    describeFile(distDir, join(functionsDir, folder, 'index.mjs'), { name: folder, kind: 'function' }),
  );
  const localFile = join(distDir, 'local', 'index.mjs');
  const local = existsSync(localFile)
    ? describeFile(distDir, localFile, { name: 'local cloud', kind: 'local' })
    : null;
  return { functions, local };
}

function sizeTable(bundles: readonly BundleFile[]): ResultTable {
  return {
    title: 'Bundle sizes',
    columns: ['bundle', 'raw', 'gzip -9', 'source map'],
    rows: bundles.map((bundle) => [
      bundle.kind === 'local' ? `${bundle.name} (not deployed)` : bundle.name,
      formatBytes(bundle.rawBytes),
      formatBytes(bundle.gzipBytes),
      bundle.sourceMapBytes === null ? 'none' : formatBytes(bundle.sourceMapBytes),
    ]),
  };
}

function coldStartTable(data: BundlesData): ResultTable {
  const rows = data.bundles
    .filter((bundle) => bundle.coldStart !== null)
    .map((bundle) => {
      const cold = bundle.coldStart!;
      if (cold.status === 'failed') return [bundle.name, 'failed', '', '', cold.error];
      return [
        bundle.name,
        formatMs(cold.initMedianMs),
        formatMs(cold.initP90Ms),
        formatMs(cold.process.median),
        `${cold.process.count} runs`,
      ];
    });
  const baseline = data.baseline!;
  return {
    title: `Cold-start init (import only), minus the median of a bare node -e 0 (${formatMs(baseline.median)})`,
    columns: ['bundle', 'init median', 'init p90', 'process median', 'note'],
    rows: [
      ...rows,
      [
        'node -e 0 (baseline)',
        formatMs(0),
        formatMs(baseline.p90 - baseline.median),
        formatMs(baseline.median),
        `${baseline.count} runs`,
      ],
    ],
  };
}

/** Measure the bundles under `distDir`; the result says so plainly when there are none. */
export async function measureBundles(options: MeasureOptions): Promise<BenchResult> {
  const runs = options.runs ?? DEFAULT_RUNS;
  const warmup = options.warmup ?? 1;
  const { functions, local } = findBundles(options.distDir);
  const all = local === null ? functions : [...functions, local];
  const notes: string[] = [];

  if (functions.length === 0) {
    notes.push('No function bundles yet (dist/functions/*/index.mjs): no sizes or cold starts to measure.');
    const data: BundlesData = {
      runs,
      warmup,
      baseline: null,
      bundles: all.map((bundle) => ({ ...bundle, coldStart: null })),
    };
    return { notes, tables: all.length === 0 ? [] : [sizeTable(all)], data };
  }

  const baseline: SpawnTarget = { id: '(baseline)', args: ['-e', '0'], env: baseChildEnv('baseline') };
  const withoutTemplateEnv: string[] = [];
  const targets: SpawnTarget[] = functions.map((bundle) => {
    const templateEnv = options.functionEnv?.(bundle.name);
    if (options.functionEnv !== undefined && templateEnv === undefined) withoutTemplateEnv.push(bundle.name);
    return {
      id: bundle.name,
      args: [
        '-e',
        IMPORT_ONLY,
        pathToFileURL(join(options.distDir, 'functions', bundle.name, 'index.mjs')).href,
      ],
      env: { ...baseChildEnv(bundle.name), ...templateEnv },
    };
  });
  const measured = measureColdStarts({
    baseline,
    targets,
    runs,
    warmup,
    ...(options.spawn === undefined ? {} : { spawn: options.spawn }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  const baselineFailure = measured.failures.get(baseline.id);
  if (baselineFailure !== undefined)
    throw new Error(`the bare node -e 0 baseline failed: ${baselineFailure}`);
  const baselineSamples = measured.samplesMs.get(baseline.id)!;
  const baselineMedian = median(baselineSamples);

  const coldStart = (bundle: BundleFile): ColdStart | null => {
    if (bundle.kind !== 'function') return null;
    const failure = measured.failures.get(bundle.name);
    if (failure !== undefined) return { status: 'failed', error: failure };
    const samples = measured.samplesMs.get(bundle.name)!;
    return {
      status: 'measured',
      initMedianMs: median(samples) - baselineMedian,
      initP90Ms: percentile(samples, 90) - baselineMedian,
      process: summarize(samples),
    };
  };
  const data: BundlesData = {
    runs,
    warmup,
    baseline: summarize(baselineSamples),
    bundles: all.map((bundle) => ({ ...bundle, coldStart: coldStart(bundle) })),
  };
  notes.push(
    `Init = wall time of a fresh Node process that imports the bundle and exits, minus the median of a bare ` +
      `node -e 0; ${runs} interleaved runs per bundle after ${warmup} discarded warm-up round(s).`,
    'Sizes: gzip -9 approximates the deflate of the deployment zip; the source map ships but is read only for stack traces.',
  );
  if (withoutTemplateEnv.length > 0) {
    notes.push(`No function in template.yaml for ${withoutTemplateEnv.join(', ')}: base environment only.`);
  }
  if (measured.failures.size > 0) {
    notes.push(
      'A failed import usually means module-scope code needs a setting the benchmark does not give it.',
    );
  }
  return { notes, tables: [sizeTable(all), coldStartTable(data)], data };
}

/**
 * Each function's environment from template.yaml, resolved by the local cloud's template loader
 * (so table names, ARNs and URLs have valid shapes). Without a loader or a template the bundles
 * still run, on the base environment only.
 */
async function templateFunctionEnv(notes: string[]): Promise<MeasureOptions['functionEnv']> {
  const loader = join(root, 'local', 'template', 'index.ts');
  if (!existsSync(loader)) return undefined;
  try {
    const { loadTemplate } = (await import(
      pathToFileURL(loader).href
    )) as typeof import('../local/template/index.ts');
    // The local cloud's stand-ins turn on the optional parts (SSO), so every function is declared.
    const { localAlbIdentity, localParameters } = await import('../local/local-parameters.ts');
    const { parseTemplate } = await import('../local/template/build-model.ts');
    const text = readFileSync(join(root, 'template.yaml'), 'utf8');
    const declared = Object.keys(
      ((parseTemplate(text) as { Parameters?: object }).Parameters ?? {}) as object,
    );
    const model = loadTemplate(join(root, 'template.yaml'), {
      parameters: localParameters(declared, {}, localAlbIdentity('us-east-1', '000000000000', 'mwaa-ops')),
    });
    const byFolder = new Map(model.functions.map((fn) => [fn.folder, fn.environment]));
    return (folder) => byFolder.get(folder);
  } catch (error) {
    notes.push(
      `Function environments from template.yaml unavailable (${(error as Error).message}); base environment only.`,
    );
    return undefined;
  }
}

function runsFromEnv(): number {
  const raw = process.env.BENCH_COLD_START_RUNS;
  if (raw === undefined || raw === '') return DEFAULT_RUNS;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`BENCH_COLD_START_RUNS must be a positive integer, got "${raw}"`);
  return value;
}

export async function run(): Promise<BenchResult> {
  const extraNotes: string[] = [];
  const functionEnv = await templateFunctionEnv(extraNotes);
  const result = await measureBundles({
    distDir: join(root, 'dist'),
    runs: runsFromEnv(),
    ...(functionEnv === undefined ? {} : { functionEnv }),
  });
  return { ...result, notes: [...result.notes, ...extraNotes] };
}
