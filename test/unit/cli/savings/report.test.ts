import { describe, expect, it } from '@jest/globals';
import { escapeHtml } from '../../../../cli/savings/html.ts';
import type { SavingsOps } from '../../../../cli/savings/ops.ts';
import { runCliCaptured } from '../../../helpers/cli-run.ts';

const NOW = new Date('2026-12-03T00:00:00Z');

/** Paused every night 20:00–08:00 from Nov 30 on; before that it ran. */
function fakeSavings(overrides: Partial<SavingsOps> = {}) {
  const asked: string[][] = [];
  const transitions: Array<{ state: string; at: string; execution: string }> = [];
  for (const day of ['2026-11-30', '2026-12-01', '2026-12-02']) {
    transitions.push({ state: 'PAUSED', at: `${day}T20:00:00.000Z`, execution: `pause-${day}` });
  }
  for (const day of ['2026-12-01', '2026-12-02']) {
    transitions.push({ state: 'RUNNING', at: `${day}T08:00:00.000Z`, execution: `resume-${day}` });
  }
  const ops: SavingsOps = {
    historyItems: async (environment, months) => {
      asked.push([...months]);
      return environment === 'dev'
        ? months.includes('2026-12')
          ? [
              {
                environment: 'dev#history#2026-11',
                transitions: transitions.filter((t) => t.at < '2026-12'),
              },
              {
                environment: 'dev#history#2026-12',
                transitions: transitions.filter((t) => t.at >= '2026-12'),
              },
            ]
          : []
        : [];
    },
    registry: async (environment) => (environment === 'dev' ? { environment, state: 'PAUSED' } : undefined),
    environmentClass: async () => undefined,
    ...overrides,
  };
  return { ops, asked };
}

async function report(args: string[], ops: SavingsOps, files: Record<string, string> = {}) {
  return runCliCaptured(['report', 'savings', ...args], {
    savings: () => ops,
    now: () => NOW,
    writeFile: (path, text) => {
      files[path] = text;
    },
  });
}

describe('mwaa-ops report savings', () => {
  it('prints hours and money for the window from the recorded history', async () => {
    const { ops, asked } = fakeSavings();
    const result = await report(['dev', '--from', '2026-11-30', '--to', '2026-12-03'], ops);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    // 72 h: running 20 + 12 + 12 = 44, paused 12 + 12 + 4 = 28. mw1.small $0.49 by default.
    expect(result.stdout).toMatch(/^Running\s+44\.0\s+\$21\.56$/m);
    expect(result.stdout).toMatch(/^Paused\s+28\.0\s+\$0\.00$/m);
    expect(result.stdout).toMatch(/^Always running would cost\s+\$35\.28$/m);
    expect(result.stdout).toMatch(/^Saved\s+\$13\.72 \(38\.89%\)$/m);
    expect(result.stdout).toContain('mw1.small (default class)');
    // Twelve months back for the state at the window start, through the window's last month.
    expect(asked[0]![0]).toBe('2025-11');
    expect(asked[0]!.at(-1)).toBe('2026-12');
  });

  it('prices extra capacity and another class from the options, and prints JSON', async () => {
    const { ops } = fakeSavings({ environmentClass: async () => 'mw1.medium' });
    const result = await report(
      ['dev', '--from', '2026-11-30', '--to', '2026-12-03', '--extra-workers', '2', '--json'],
      ops,
    );
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({ environment: 'dev', environmentClass: 'mw1.medium', classSource: 'mwaa' });
    expect(json.result.runningHourly).toBeCloseTo(0.74 + 2 * 0.11, 12);
    expect(json.result.paused).toBeCloseTo(28, 9);
    expect(json.days).toHaveLength(3);
  });

  it('writes a self-contained HTML page with an inline SVG chart', async () => {
    const files: Record<string, string> = {};
    const { ops } = fakeSavings();
    const result = await report(['dev', '--days', '3', '--html', '/out/savings.html'], ops, files);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('HTML report: /out/savings.html');
    const page = files['/out/savings.html']!;
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
    expect(page.match(/<rect /g)).toHaveLength(6);
    expect(page).toContain('38.89%');
    // Nothing loaded from elsewhere: no scripts, links, sources or CSS urls.
    expect(page).not.toMatch(/<script|<link|\ssrc=|\shref=|url\(/i);
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('uses the registry state for a window without recorded changes', async () => {
    const { ops } = fakeSavings({ historyItems: async () => [] });
    const result = await report(['dev', '--days', '1', '--json'], ops);
    expect(JSON.parse(result.stdout).result).toMatchObject({ paused: 24, running: 0, savedPercent: 100 });
  });

  it('rejects bad input with a usage error, and an unknown environment with exit 1', async () => {
    const { ops } = fakeSavings();
    const badDate = await report(['dev', '--from', 'last week'], ops);
    expect(badDate.code).toBe(2);
    expect(badDate.stderr).toContain('--from must be a date');
    const empty = await report(['dev', '--from', '2026-12-02', '--to', '2026-12-01'], ops);
    expect(empty.code).toBe(2);
    const noPrice = await report(['dev', '--environment-class', 'mw1.xlarge'], ops);
    expect(noPrice.code).toBe(2);
    expect(noPrice.stderr).toContain('no default price for mw1.xlarge');
    const negative = await report(['dev', '--hourly-price', '-1'], ops);
    expect(negative.code).toBe(2);
    const unknown = await report(['nobody'], ops);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('NoHistoryError');
  });
});
