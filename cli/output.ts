/** Small helpers for printing command results as aligned text or as JSON. */
import { styleText } from 'node:util';

/** Aligned `label  value` lines; labels are bold when colours are on. */
export function keyValueLines(rows: ReadonlyArray<readonly [string, string]>, color: boolean): string {
  const width = Math.max(0, ...rows.map(([label]) => label.length));
  return rows
    .map(([label, value]) => {
      const padded = label.padEnd(width);
      return `${color ? styleText('bold', padded, { validateStream: false }) : padded}  ${value}\n`;
    })
    .join('');
}

/** Stable, indented JSON with a trailing newline, for `--output json`. */
export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
