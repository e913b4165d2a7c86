/** Rendering result tables for the terminal and for SUMMARY.md. */
import type { ResultTable } from './types.ts';

/** Bytes in a unit a person reads at a glance (B, KiB, MiB, GiB; binary multiples). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(2)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

/** Milliseconds with one decimal; differences may be negative when noise exceeds the effect. */
export function formatMs(ms: number): string {
  return `${ms.toFixed(1)} ms`;
}

/** A column is numeric-looking when every cell starts with a digit or a minus sign. */
function rightAligned(table: ResultTable, column: number): boolean {
  return table.rows.length > 0 && table.rows.every((row) => /^-?\d/.test(row[column] ?? ''));
}

/** The table as aligned plain text, numbers right-aligned. */
export function textTable(table: ResultTable): string {
  const widths = table.columns.map((header, i) =>
    Math.max(header.length, ...table.rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (rightAligned(table, i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [
    table.title,
    line(table.columns),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...table.rows.map(line),
  ].join('\n');
}

function escapeCell(cell: string): string {
  return cell.replace(/\|/g, '\\|');
}

/** The table as GitHub-flavoured Markdown under a level-3 heading. */
export function markdownTable(table: ResultTable): string {
  const align = table.columns.map((_, i) => (rightAligned(table, i) ? '---:' : '---'));
  return [
    `### ${table.title}`,
    '',
    `| ${table.columns.map(escapeCell).join(' | ')} |`,
    `| ${align.join(' | ')} |`,
    ...table.rows.map((row) => `| ${row.map(escapeCell).join(' | ')} |`),
  ].join('\n');
}
