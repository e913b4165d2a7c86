/**
 * Benchmark `bundles`: what each Lambda bundle costs in deployment size and in cold-start init.
 *
 * - Size: raw bytes of `dist/functions/<name>/index.mjs` (the entry module, what init parses),
 *   then of every `.mjs` in the folder (the entry plus the chunks code splitting writes, which
 *   the first invocation loads as it needs them), the same gzip-compressed (level 9, a stand-in
 *   for the deflate of the deployment zip) and the source maps separately. The local cloud
 *   bundle (`dist/local/index.mjs`) is listed for size only: it is never deployed.
 * - Init: a fresh Node process imports the bundle (never calling the handler) and exits; see
 *   lib/coldstart.ts for how the bare-Node baseline is subtracted. Every child, the baseline
 *   included, runs with the Node options template.yaml deploys (`NODE_OPTIONS` in Globals).
 * - Init + first invocation: the same, then one call of the handler with an event it answers
 *   without reaching AWS (FIRST_INVOCATION_EVENTS), so what init defers to the first
 *   invocation (SDK clients, the tracer, the logic) is measured too.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
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
  /** Every `.mjs` beside the entry (the entry and its chunks) and their maps. */
  readonly package: {
    readonly files: number;
    readonly rawBytes: number;
    readonly gzipBytes: number;
    readonly sourceMapBytes: number;
  };
}

export type ColdStart =
  | {
      readonly status: 'measured';
      readonly initMedianMs: number;
      readonly initP90Ms: number;
      readonly process: Summary;
      /** Import, then one handler call (FIRST_INVOCATION_EVENTS); null when there is no event. */
      readonly firstInvocation: FirstInvocation | null;
    }
  | { readonly status: 'failed'; readonly error: string };

export type FirstInvocation =
  | {
      readonly status: 'measured';
      readonly medianMs: number;
      readonly p90Ms: number;
      readonly process: Summary;
    }
  | { readonly status: 'failed'; readonly error: string };

/**
 * For each function, an event its handler answers without an AWS call, or with one call that
 * fails at once (AWS_ENDPOINT_URL points at a closed local port, AWS_MAX_ATTEMPTS=1): the first
 * invocation then costs what init deferred (tracer, SDK clients, logic), not a network wait.
 */
export const FIRST_INVOCATION_EVENTS: Readonly<
  Record<string, { readonly event: unknown; readonly path: string }>
> = {
  authenticator: {
    event: { httpMethod: 'GET', path: '/health', headers: {}, queryStringParameters: {} },
    path: 'GET /health (no AWS call)',
  },
  'environment-ops': { event: { action: 'bench-unknown-action' }, path: 'unknown action (no AWS call)' },
  'idle-pause': { event: {}, path: 'tick without an environment (refused, no AWS call)' },
  'metadata-transfer': { event: { action: 'bench-unknown-action' }, path: 'unknown action (no AWS call)' },
  'run-history-archive': { event: { action: 'bench-unknown-action' }, path: 'unknown action (no AWS call)' },
  's3-dag-trigger': {
    event: { Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'landing' },
    path: 's3:TestEvent (no AWS call)',
  },
  'scheduled-dag-trigger': {
    event: {},
    path: 'malformed tick → dead-letter SendMessage (refused at once)',
  },
  'status-events': {
    event: { source: 'aws.airflow', 'detail-type': 'MWAA Environment Status Change', detail: {} },
    path: 'event without an environment → dead-letter SendMessage (refused at once)',
  },
};

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
  /** NODE_OPTIONS of the template's Globals, given to the baseline (functions get theirs). */
  readonly nodeOptions?: string;
  /** Events for the init + first invocation figure, by folder; FIRST_INVOCATION_EVENTS by default. */
  readonly firstInvocationEvents?: Readonly<Record<string, { readonly event: unknown }>>;
  readonly spawn?: Spawner;
  readonly clock?: () => bigint;
}

/**
 * What every child process gets, so module-scope code that reads the region or builds SDK
 * clients behaves as in Lambda without reaching for this machine's settings. Nothing here is a
 * real credential. The Lambda variables are the ones the runtime sets with `Tracing: Active`,
 * so Powertools enables the tracer as it does in Lambda (its segments go to a UDP port nobody
 * listens on). `nodeOptions` is the template's NODE_OPTIONS, given to the baseline too.
 */
export function baseChildEnv(functionName: string, nodeOptions?: string): Record<string, string> {
  return {
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    LAMBDA_TASK_ROOT: '/var/task',
    _HANDLER: 'index.handler',
    _X_AMZN_TRACE_ID: 'Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=1',
    AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
    POWERTOOLS_SERVICE_NAME: 'mwaa-ops',
    ...(nodeOptions === undefined ? {} : { NODE_OPTIONS: nodeOptions }),
  };
}

// Imports the bundle given as the first argument and exits at once: module-scope work is the
// cost being measured, and an open handle (a timer, a keep-alive socket) must not add to it.
const IMPORT_ONLY =
  'import(process.argv[1]).then(() => process.exit(0), (e) => { console.error(String(e?.stack ?? e)); process.exit(1); })';

// Imports the bundle, calls its handler once with the event in argv[2] and exits. The handler's
// own outcome (an answer or a rejection) does not matter; a failed import does.
const IMPORT_AND_INVOKE =
  'import(process.argv[1]).then(async (m) => { const context = { awsRequestId: "bench-1", functionName: "bench", ' +
  'functionVersion: "$LATEST", invokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:bench", ' +
  'memoryLimitInMB: "256", logGroupName: "/aws/lambda/bench", logStreamName: "bench", ' +
  'getRemainingTimeInMillis: () => 30000 }; try { await m.handler(JSON.parse(process.argv[2]), context); } catch {} ' +
  'process.exit(0); }, (e) => { console.error(String(e?.stack ?? e)); process.exit(1); })';

/** Where the first invocation's SDK calls go: a closed port, one attempt, so they fail at once. */
const NO_AWS = { AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_MAX_ATTEMPTS: '1' };

/** The `.mjs` files in the entry's folder: the entry and the chunks code splitting writes. */
function packageOf(entry: string): BundleFile['package'] {
  const dir = dirname(entry);
  const files = readdirSync(dir).filter((file) => file.endsWith('.mjs'));
  let rawBytes = 0;
  let gzipBytes = 0;
  let sourceMapBytes = 0;
  for (const file of files) {
    const content = readFileSync(join(dir, file));
    rawBytes += content.byteLength;
    // Per file, as the zip deflates each entry on its own.
    gzipBytes += gzipSync(content, { level: 9 }).byteLength;
    const map = join(dir, `${file}.map`);
    if (existsSync(map)) sourceMapBytes += statSync(map).size;
  }
  return { files: files.length, rawBytes, gzipBytes, sourceMapBytes };
}

function describeFile(distDir: string, file: string, bundle: Pick<BundleFile, 'name' | 'kind'>): BundleFile {
  const content = readFileSync(file);
  const map = `${file}.map`;
  return {
    ...bundle,
    path: join('dist', file.slice(distDir.length + 1)),
    rawBytes: content.byteLength,
    gzipBytes: gzipSync(content, { level: 9 }).byteLength,
    sourceMapBytes: existsSync(map) ? statSync(map).size : null,
    package: packageOf(file),
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
    columns: [
      'bundle',
      'entry raw',
      'entry gzip -9',
      'all files',
      'all raw',
      'all gzip -9',
      'all source maps',
    ],
    rows: bundles.map((bundle) => [
      bundle.kind === 'local' ? `${bundle.name} (not deployed)` : bundle.name,
      formatBytes(bundle.rawBytes),
      formatBytes(bundle.gzipBytes),
      String(bundle.package.files),
      formatBytes(bundle.package.rawBytes),
      formatBytes(bundle.package.gzipBytes),
      formatBytes(bundle.package.sourceMapBytes),
    ]),
  };
}

function coldStartTable(data: BundlesData): ResultTable {
  const rows = data.bundles
    .filter((bundle) => bundle.coldStart !== null)
    .map((bundle) => {
      const cold = bundle.coldStart!;
      if (cold.status === 'failed') return [bundle.name, 'failed', '', '', '', '', cold.error];
      const first = cold.firstInvocation;
      const firstCells =
        first === null
          ? ['', '']
          : first.status === 'failed'
            ? ['failed', '']
            : [formatMs(first.medianMs), formatMs(first.p90Ms)];
      const note = [
        `${cold.process.count} runs`,
        ...(first?.status === 'failed' ? [`first invocation: ${first.error}`] : []),
        ...(FIRST_INVOCATION_EVENTS[bundle.name] ? [FIRST_INVOCATION_EVENTS[bundle.name]!.path] : []),
      ].join('; ');
      return [
        bundle.name,
        formatMs(cold.initMedianMs),
        formatMs(cold.initP90Ms),
        ...firstCells,
        formatMs(cold.process.median),
        note,
      ];
    });
  const baseline = data.baseline!;
  return {
    title: `Cold-start init (import only) and init + first invocation, minus the median of a bare node -e 0 (${formatMs(baseline.median)})`,
    columns: [
      'bundle',
      'init median',
      'init p90',
      'init + 1st invocation median',
      'init + 1st invocation p90',
      'process median',
      'note',
    ],
    rows: [
      ...rows,
      [
        'node -e 0 (baseline)',
        formatMs(0),
        formatMs(baseline.p90 - baseline.median),
        '',
        '',
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

  const baseline: SpawnTarget = {
    id: '(baseline)',
    args: ['-e', '0'],
    env: baseChildEnv('baseline', options.nodeOptions),
  };
  const events = options.firstInvocationEvents ?? FIRST_INVOCATION_EVENTS;
  const firstId = (bundle: BundleFile) => `${bundle.name} (first invocation)`;
  const withoutTemplateEnv: string[] = [];
  const targets: SpawnTarget[] = functions.flatMap((bundle) => {
    const templateEnv = options.functionEnv?.(bundle.name);
    if (options.functionEnv !== undefined && templateEnv === undefined) withoutTemplateEnv.push(bundle.name);
    const url = pathToFileURL(join(options.distDir, 'functions', bundle.name, 'index.mjs')).href;
    const env = { ...baseChildEnv(bundle.name, options.nodeOptions), ...templateEnv };
    const event = events[bundle.name];
    return [
      { id: bundle.name, args: ['-e', IMPORT_ONLY, url], env },
      ...(event === undefined
        ? []
        : [
            {
              id: firstId(bundle),
              args: ['-e', IMPORT_AND_INVOKE, url, JSON.stringify(event.event)],
              env: { ...env, ...NO_AWS },
            },
          ]),
    ];
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

  const firstInvocation = (bundle: BundleFile): FirstInvocation | null => {
    if (events[bundle.name] === undefined) return null;
    const failure = measured.failures.get(firstId(bundle));
    if (failure !== undefined) return { status: 'failed', error: failure };
    const samples = measured.samplesMs.get(firstId(bundle))!;
    return {
      status: 'measured',
      medianMs: median(samples) - baselineMedian,
      p90Ms: percentile(samples, 90) - baselineMedian,
      process: summarize(samples),
    };
  };
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
      firstInvocation: firstInvocation(bundle),
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
    `Node options: NODE_OPTIONS=${options.nodeOptions === undefined ? '(unset)' : options.nodeOptions} for every child and the baseline` +
      `${options.nodeOptions === undefined ? '' : " (template.yaml's Globals)"}; Lambda's tracing variables set, so the tracer is enabled as with Tracing: Active.`,
    'Init + 1st invocation = the same process, then one handler call with an event answered without reaching AWS (the note says which); it shows what init defers to the first invocation.',
    'Sizes: entry = index.mjs, what init parses; all = the entry and every chunk it may load (the deployment package), gzip -9 per file approximates the zip. Source maps ship too.',
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
async function templateFunctionEnv(
  notes: string[],
  project: string,
): Promise<{ functionEnv: MeasureOptions['functionEnv']; nodeOptions: string | undefined } | undefined> {
  const loader = join(root, 'local', 'template', 'index.ts');
  if (!existsSync(loader)) return undefined;
  try {
    const { loadTemplate } = (await import(
      pathToFileURL(loader).href
    )) as typeof import('../local/template/index.ts');
    // The local cloud's stand-ins turn on the optional parts (SSO), so every function is declared.
    const { localAlbIdentity, localParameters } = await import('../local/local-parameters.ts');
    const { parseTemplate } = await import('../local/template/build-model.ts');
    const text = readFileSync(join(project, 'template.yaml'), 'utf8');
    const declared = Object.keys(
      ((parseTemplate(text) as { Parameters?: object }).Parameters ?? {}) as object,
    );
    const model = loadTemplate(join(project, 'template.yaml'), {
      parameters: localParameters(declared, {}, localAlbIdentity('us-east-1', '000000000000', 'mwaa-ops')),
    });
    const byFolder = new Map(model.functions.map((fn) => [fn.folder, fn.environment]));
    const globals = (
      parseTemplate(text) as { Globals?: { Function?: { Environment?: { Variables?: object } } } }
    ).Globals?.Function?.Environment?.Variables as Record<string, unknown> | undefined;
    const nodeOptions = typeof globals?.NODE_OPTIONS === 'string' ? globals.NODE_OPTIONS : undefined;
    return { functionEnv: (folder) => byFolder.get(folder), nodeOptions };
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
  // BENCH_PROJECT_DIR measures another checkout (say, of an older commit, built there) with this
  // benchmark: its dist/ bundles with its template.yaml's environment and Node options.
  const project = process.env.BENCH_PROJECT_DIR?.trim() || root;
  if (project !== root) extraNotes.push(`Bundles and template.yaml of ${project} (BENCH_PROJECT_DIR).`);
  const fromTemplate = await templateFunctionEnv(extraNotes, project);
  const distDir = join(project, 'dist');
  const result = await measureBundles({
    distDir,
    runs: runsFromEnv(),
    ...(fromTemplate?.functionEnv === undefined ? {} : { functionEnv: fromTemplate.functionEnv }),
    ...(fromTemplate?.nodeOptions === undefined ? {} : { nodeOptions: fromTemplate.nodeOptions }),
  });
  return { ...result, notes: [...result.notes, ...extraNotes] };
}
