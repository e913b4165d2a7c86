/**
 * The savings report as one self-contained HTML page: the summary table and an inline SVG bar
 * chart of running and paused hours per UTC day. No scripts, styles sheets, fonts or images
 * from elsewhere, so the file can be mailed or attached to a ticket and opened offline.
 */
import type { SavingsReport } from './report.ts';

/** Escape text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const RUNNING_COLOR = '#d9534f';
const PAUSED_COLOR = '#5cb85c';

/** Stacked bars (running below, paused above) of 24 hours per day. */
export function dailyChartSvg(days: SavingsReport['days']): string {
  const barWidth = 18;
  const gap = 4;
  const height = 200;
  const left = 36;
  const top = 10;
  const bottom = 40;
  const width = left + Math.max(1, days.length) * (barWidth + gap) + 10;
  const scale = height / 24;
  const parts: string[] = [];
  for (const hour of [0, 6, 12, 18, 24]) {
    const y = top + height - hour * scale;
    parts.push(
      `<line x1="${left}" x2="${width - 10}" y1="${y}" y2="${y}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${y + 4}" font-size="10" text-anchor="end">${hour}h</text>`,
    );
  }
  days.forEach((day, i) => {
    const x = left + i * (barWidth + gap) + gap / 2;
    const runningHeight = day.running * scale;
    const pausedHeight = day.paused * scale;
    const base = top + height;
    const label = `${day.day}: ${day.running.toFixed(1)} h running, ${day.paused.toFixed(1)} h paused`;
    parts.push(
      `<g><title>${escapeHtml(label)}</title>`,
      `<rect x="${x}" y="${(base - runningHeight).toFixed(2)}" width="${barWidth}" height="${runningHeight.toFixed(2)}" fill="${RUNNING_COLOR}"/>`,
      `<rect x="${x}" y="${(base - runningHeight - pausedHeight).toFixed(2)}" width="${barWidth}" height="${pausedHeight.toFixed(2)}" fill="${PAUSED_COLOR}"/></g>`,
      `<text x="${x + barWidth / 2}" y="${base + 12}" font-size="9" text-anchor="end" transform="rotate(-45 ${x + barWidth / 2} ${base + 12})">${escapeHtml(day.day.slice(5))}</text>`,
    );
  });
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Running and paused hours per day" ` +
    `width="${width}" height="${top + height + bottom}" viewBox="0 0 ${width} ${top + height + bottom}" font-family="sans-serif">` +
    `${parts.join('')}</svg>`
  );
}

export function savingsHtml(report: SavingsReport): string {
  const r = report.result;
  const usd = (value: number) => `$${value.toFixed(2)}`;
  const row = (label: string, value: string) =>
    `<tr><th scope="row">${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(`Savings of ${report.environment}`)}</title>
<style>
body { font-family: sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { padding: 0.3em 1em; border-bottom: 1px solid #eee; text-align: left; }
td { text-align: right; font-variant-numeric: tabular-nums; }
.key span { display: inline-block; width: 0.9em; height: 0.9em; margin: 0 0.3em 0 1em; vertical-align: middle; }
</style>
</head>
<body>
<h1>${escapeHtml(`Savings of ${report.environment}`)}</h1>
<p>${escapeHtml(`${report.from} → ${report.to}, ${report.environmentClass}, $${r.runningHourly.toFixed(4)} per running hour`)}</p>
<table>
${row('Hours running', r.running.toFixed(1))}
${row('Hours paused', r.paused.toFixed(1))}
${row('Always running would cost', usd(r.costAlwaysOn))}
${row('Cost with pauses', usd(r.costWithPauses))}
${row('Saved', `${usd(r.saved)} (${r.savedPercent.toFixed(2)}%)`)}
</table>
<p class="key"><span style="background:${RUNNING_COLOR}"></span>running<span style="background:${PAUSED_COLOR}"></span>paused (hours per UTC day)</p>
${dailyChartSvg(report.days)}
<p><small>From the pause history mwaa-ops records in EnvironmentsTable; prices are parameters of the report (docs/savings.md).</small></p>
</body>
</html>
`;
}
