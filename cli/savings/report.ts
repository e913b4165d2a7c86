/**
 * A savings report: the numbers for one environment and window, and the two ways of showing
 * them as text (a table) that do not need a browser. The HTML page is in html.ts.
 */
import {
  dailyHours,
  type EnvironmentState,
  hoursByState,
  intervalsInWindow,
  type PriceInputs,
  type Savings,
  savings,
  type Transition,
} from './calculate.ts';

export interface SavingsReport {
  readonly environment: string;
  readonly from: string;
  readonly to: string;
  readonly environmentClass: string;
  /** Where the class came from: the command line, MWAA (the environment exists), or the default. */
  readonly classSource: 'option' | 'mwaa' | 'default';
  readonly prices: PriceInputs;
  readonly result: Savings;
  readonly days: ReadonlyArray<{ day: string; paused: number; running: number }>;
  /** State changes inside the window, and unreadable history entries skipped. */
  readonly changes: number;
  readonly skipped: number;
}

export interface ReportInputs {
  environment: string;
  window: { start: number; end: number };
  transitions: readonly Transition[];
  skipped: number;
  /** The state before any recorded change, when the history does not tell (from the registry). */
  initial?: EnvironmentState;
  environmentClass: string;
  classSource: SavingsReport['classSource'];
  prices: PriceInputs;
}

export function buildReport(inputs: ReportInputs): SavingsReport {
  const intervals = intervalsInWindow(inputs.transitions, inputs.window, inputs.initial);
  return {
    environment: inputs.environment,
    from: new Date(inputs.window.start).toISOString(),
    to: new Date(inputs.window.end).toISOString(),
    environmentClass: inputs.environmentClass,
    classSource: inputs.classSource,
    prices: inputs.prices,
    result: savings(hoursByState(intervals), inputs.prices),
    days: dailyHours(intervals),
    changes: inputs.transitions.filter((t) => t.at > inputs.window.start && t.at < inputs.window.end).length,
    skipped: inputs.skipped,
  };
}

const usd = (value: number) => `$${value.toFixed(2)}`;
const hours = (value: number) => value.toFixed(1);

/** The report as an aligned text table. */
export function reportTable(report: SavingsReport): string {
  const r = report.result;
  const rows: Array<[string, string, string]> = [
    ['', 'hours', 'USD'],
    ['Running', hours(r.running), usd(r.running * r.runningHourly)],
    ['Paused', hours(r.paused), usd(r.paused * r.pausedHourly)],
    ['Always running would cost', '', usd(r.costAlwaysOn)],
    ['Cost with pauses', '', usd(r.costWithPauses)],
    ['Saved', '', `${usd(r.saved)} (${r.savedPercent.toFixed(2)}%)`],
  ];
  const w0 = Math.max(...rows.map((row) => row[0].length));
  const w1 = Math.max(...rows.map((row) => row[1].length));
  const lines = [
    `Savings of ${report.environment}, ${report.from} → ${report.to}`,
    `${report.environmentClass} (${report.classSource === 'mwaa' ? 'from MWAA' : report.classSource === 'option' ? 'given' : 'default class'}), ` +
      `$${r.runningHourly.toFixed(4)} per running hour, $${r.pausedHourly.toFixed(4)} per paused hour; ` +
      `${report.changes} state change(s) in the window`,
    '',
    ...rows.map(([a, b, c]) => `${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`.trimEnd()),
  ];
  if (report.skipped > 0) lines.push('', `note: ${report.skipped} unreadable history entr(y/ies) skipped`);
  return `${lines.join('\n')}\n`;
}
