/**
 * `mwaa-ops report savings <env>`: hours paused, hours running and money saved, from the pause
 * history the pause/resume workflows record in EnvironmentsTable (docs/savings.md).
 */
import type { Command } from 'commander';
import { MwaaOpsError } from '../../functions/shared/errors.ts';
import { UsageError } from '../context.ts';
import { jsonText } from '../output.ts';
import type { CommandRuntime } from '../runtime.ts';
import type { EnvironmentState, PriceInputs } from '../savings/calculate.ts';
import { monthsBetween, transitionsFromItems } from '../savings/history.ts';
import { savingsHtml } from '../savings/html.ts';
import type { SavingsOpsFactory } from '../savings/ops.ts';
import { DEFAULT_PRICES, DEFAULT_STORAGE_PRICE_GB_MONTH } from '../savings/prices.ts';
import { buildReport, reportTable } from '../savings/report.ts';
import { registerGroup } from './group.ts';

/** Neither a history nor a registry item: nothing is known about the environment. */
export class NoHistoryError extends MwaaOpsError {
  constructor(message: string) {
    super(message);
    this.name = 'NoHistoryError';
  }
}

export interface ReportDeps {
  ops: SavingsOpsFactory;
  now?: () => Date;
  /** Writes the HTML page (a real file by default). */
  writeFile: (path: string, text: string) => void;
}

/** How far back the report looks for the state at the window's start. */
const LOOKBACK_MONTHS = 12;
const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` (UTC midnight) or a full ISO 8601 time. */
export function parseTime(value: string, flag: string): number {
  const text = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  const at = /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(at))
    throw new UsageError(`${flag} must be a date (YYYY-MM-DD) or an ISO 8601 time, got "${value}"`);
  return at;
}

function nonNegative(options: Record<string, unknown>, key: string, flag: string): number | undefined {
  if (options[key] === undefined) return undefined;
  const value = Number(options[key]);
  if (!Number.isFinite(value) || value < 0)
    throw new UsageError(`${flag} must be a number ≥ 0, got "${options[key]}"`);
  return value;
}

/** The report window from --from/--to/--days; never past `now` (the future has no history). */
export function reportWindow(options: Record<string, unknown>, now: number): { start: number; end: number } {
  const end = Math.min(options.to === undefined ? now : parseTime(String(options.to), '--to'), now);
  const days = nonNegative(options, 'days', '--days') ?? 30;
  const start = options.from === undefined ? end - days * DAY_MS : parseTime(String(options.from), '--from');
  if (!(start < end))
    throw new UsageError('the report window is empty: --from must be before --to (and before now)');
  return { start, end };
}

/** Hourly prices from the options over the class's defaults. */
export function reportPrices(environmentClass: string, options: Record<string, unknown>): PriceInputs {
  const defaults = DEFAULT_PRICES[environmentClass];
  const environmentHourly = nonNegative(options, 'hourlyPrice', '--hourly-price') ?? defaults?.environment;
  if (environmentHourly === undefined) {
    throw new UsageError(
      `no default price for ${environmentClass} (defaults: ${Object.keys(DEFAULT_PRICES).join(', ')}): pass --hourly-price`,
    );
  }
  const pick = (key: string, flag: string, fallback: number | undefined) =>
    nonNegative(options, key, flag) ?? fallback ?? 0;
  return {
    environmentHourly,
    extraWorkers: pick('extraWorkers', '--extra-workers', 0),
    workerHourly: pick('workerPrice', '--worker-price', defaults?.worker),
    extraSchedulers: pick('extraSchedulers', '--extra-schedulers', 0),
    schedulerHourly: pick('schedulerPrice', '--scheduler-price', defaults?.scheduler),
    extraWebservers: pick('extraWebservers', '--extra-webservers', 0),
    webserverHourly: pick('webserverPrice', '--webserver-price', defaults?.webserver),
    storageGb: pick('storageGb', '--storage-gb', 0),
    storagePerGbMonth: pick('storagePrice', '--storage-price', DEFAULT_STORAGE_PRICE_GB_MONTH),
    pausedHourly: pick('pausedHourly', '--paused-hourly', 0),
  };
}

/** The registry's lifecycle state as "was the environment there" (PAUSING/UPGRADING: yes). */
function registryState(item: Record<string, unknown> | undefined): EnvironmentState | undefined {
  if (item?.state === 'PAUSED' || item?.state === 'RESUMING') return 'PAUSED';
  if (typeof item?.state === 'string') return 'RUNNING';
  return undefined;
}

export function registerReport(program: Command, runtime: CommandRuntime, deps: ReportDeps): Command {
  const group = registerGroup(program, {
    name: 'report',
    summary: 'reports from the operations registry (savings)',
    description: 'Reports computed from what the workflows record in EnvironmentsTable.',
  });
  const now = deps.now ?? (() => new Date());
  group
    .command('savings <environment>')
    .summary('hours paused, hours running and money saved by pausing')
    .description(
      'From the pause history the pause and resume workflows record in EnvironmentsTable: hours paused and ' +
        'running in a window, what the environment cost and what it would have cost running all the time. ' +
        'Prices are parameters, with defaults per environment class (docs/savings.md).',
    )
    .option('--from <date>', 'window start, YYYY-MM-DD (UTC) or ISO 8601 (default: --days before --to)')
    .option('--to <date>', 'window end (default and latest: now)')
    .option('--days <n>', 'window length when --from is not given (default 30)')
    .option(
      '--environment-class <class>',
      'price as this class (default: the class MWAA reports, else mw1.small)',
    )
    .option('--hourly-price <usd>', "the environment class's hourly price")
    .option('--extra-workers <n>', 'workers running beyond the included one, on average (default 0)')
    .option('--worker-price <usd>', 'hourly price of an extra worker')
    .option('--extra-schedulers <n>', 'schedulers beyond the included ones (default 0)')
    .option('--scheduler-price <usd>', 'hourly price of an extra scheduler')
    .option('--extra-webservers <n>', 'web servers beyond the included one (default 0)')
    .option('--webserver-price <usd>', 'hourly price of an extra web server')
    .option('--storage-gb <n>', 'metadata database size in GB (default 0)')
    .option(
      '--storage-price <usd>',
      `metadata database price per GB-month (default ${DEFAULT_STORAGE_PRICE_GB_MONTH})`,
    )
    .option(
      '--paused-hourly <usd>',
      'what a paused environment still costs per hour, e.g. backup storage (default 0)',
    )
    .option('--json', 'print the report as JSON (same as --output json)')
    .option('--html <file>', 'also write the report as a self-contained HTML page with a chart')
    .addHelpText(
      'after',
      '\nExamples:\n  $ mwaa-ops report savings data-dev\n  $ mwaa-ops report savings data-dev --from 2026-11-01 --to 2026-12-01 --html savings.html\n' +
        '  $ mwaa-ops report savings data-dev --environment-class mw1.medium --hourly-price 0.99 --extra-workers 1.5 --json',
    )
    .action(async (environment: string, options: Record<string, unknown>, command: Command) => {
      const context = runtime.context(command);
      const window = reportWindow(options, now().getTime());
      const ops = deps.ops(context);
      const lookbackStart = new Date(window.start);
      lookbackStart.setUTCMonth(lookbackStart.getUTCMonth() - LOOKBACK_MONTHS);
      const [items, registry, liveClass] = await Promise.all([
        ops.historyItems(environment, monthsBetween(lookbackStart.getTime(), window.end)),
        ops.registry(environment),
        typeof options.environmentClass === 'string'
          ? Promise.resolve(undefined)
          : ops.environmentClass(environment),
      ]);
      const history = transitionsFromItems(items);
      const initial = registryState(registry);
      if (history.transitions.length === 0 && initial === undefined) {
        throw new NoHistoryError(`${environment} has no pause history and is not in the registry`);
      }
      const environmentClass =
        typeof options.environmentClass === 'string' ? options.environmentClass : (liveClass ?? 'mw1.small');
      const report = buildReport({
        environment,
        window,
        transitions: history.transitions,
        skipped: history.skipped,
        // With no recorded change at all, the registry's current state held the whole window.
        ...(history.transitions.length === 0 && initial ? { initial } : {}),
        environmentClass,
        classSource: typeof options.environmentClass === 'string' ? 'option' : liveClass ? 'mwaa' : 'default',
        prices: reportPrices(environmentClass, options),
      });
      if (typeof options.html === 'string') deps.writeFile(options.html, savingsHtml(report));
      if (options.json === true || context.output === 'json') runtime.out(jsonText(report));
      else {
        runtime.out(reportTable(report));
        if (typeof options.html === 'string') runtime.out(`HTML report: ${options.html}\n`);
      }
    });
  return group;
}
