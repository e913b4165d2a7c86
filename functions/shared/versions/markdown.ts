/**
 * The version matrix as the Markdown table docs/upgrades.md shows between its
 * `<!-- version-matrix:start -->` / `<!-- version-matrix:end -->` markers. A unit test compares
 * the two, so the doc cannot drift from airflow-versions.json.
 */
import { allowedChangesFrom, SUPPORTED_VERSIONS } from './matrix.ts';

export const MATRIX_START = '<!-- version-matrix:start -->';
export const MATRIX_END = '<!-- version-matrix:end -->';

/** One row per supported version: Python, end of support, upgrades and downgrades allowed in place. */
export function matrixMarkdownTable(): string {
  const rows = SUPPORTED_VERSIONS.map((v) => {
    const changes = allowedChangesFrom(v.version);
    const list = (kind: 'upgrade' | 'downgrade') =>
      changes
        .filter((c) => c.kind === kind)
        .map((c) => c.to)
        .join(', ') || '—';
    return `| ${v.version} | ${v.python} | ${v.endOfSupport ?? 'not announced'} | ${list('upgrade')} | ${list('downgrade')} |`;
  });
  return [
    '| Airflow | Python | End of support | Upgrade in place to | Downgrade in place to |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** The table inside `doc`, between the markers (undefined when the markers are missing). */
export function tableInDoc(doc: string): string | undefined {
  const start = doc.indexOf(MATRIX_START);
  const end = doc.indexOf(MATRIX_END);
  if (start < 0 || end < start) return undefined;
  return doc.slice(start + MATRIX_START.length, end).trim();
}
