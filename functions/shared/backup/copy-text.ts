/**
 * Format v2 table files (docs/backup-format.md "COPY files"): PostgreSQL COPY text, gzip. One
 * row per line, fields separated by tabs, `\N` for NULL, backslash escapes for tab, newline,
 * carriage return and backslash. Values are decoded by the column's PostgreSQL type into what
 * the JSON Lines reader gives for the same value, so a consumer cannot tell the versions apart:
 * binary as Buffer, timestamps as ISO-8601 strings (`2026-11-26T10:15:30.123456+00:00`), JSON
 * parsed (a stored JSON `null` as `{"$jsonNull": true}`), integers and floats as numbers.
 */

import type { Row } from './encoding.ts';
import { BackupFormatError } from './errors.ts';

const ESCAPES: Record<string, string> = {
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
};

/** One COPY text field: `\N` → null, escapes decoded (octal `\ooo` and hex `\xhh` too). */
export function unescapeCopyField(field: string): string | null {
  if (field === '\\N') return null;
  if (!field.includes('\\')) return field;
  let out = '';
  for (let i = 0; i < field.length; ) {
    const char = field[i] as string;
    const next = field[i + 1];
    if (char !== '\\' || next === undefined) {
      out += char;
      i += 1;
    } else if (next in ESCAPES) {
      out += ESCAPES[next];
      i += 2;
    } else if (/[0-7]/.test(next)) {
      const digits = /^[0-7]{1,3}/.exec(field.slice(i + 1))?.[0] ?? next;
      out += String.fromCharCode(Number.parseInt(digits, 8));
      i += 1 + digits.length;
    } else if (next === 'x' && /^[0-9a-fA-F]/.test(field.slice(i + 2))) {
      const digits = /^[0-9a-fA-F]{1,2}/.exec(field.slice(i + 2))?.[0] ?? '';
      out += String.fromCharCode(Number.parseInt(digits, 16));
      i += 2 + digits.length;
    } else {
      out += next;
      i += 2;
    }
  }
  return out;
}

/** `2026-11-26 10:15:30.123456+00` (DateStyle ISO, TimeZone UTC) → `2026-11-26T10:15:30.123456+00:00`. */
function isoFromCopy(text: string, withZone: boolean): string {
  const match = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)?([+-]\d{2})?(:?\d{2})?$/.exec(text);
  if (!match) throw new BackupFormatError('A timestamp in a COPY file is not in ISO form');
  const [, date, time, fraction, hours, minutes] = match;
  const micros = fraction ? `.${fraction.slice(1).padEnd(6, '0')}` : '';
  if (!withZone || hours === undefined) return `${date}T${time}${micros}`;
  return `${date}T${time}${micros}${hours}:${(minutes ?? '00').replace(':', '')}`;
}

/** A field's text as the value the JSON Lines reader gives for the same column value. */
export function decodeCopyValue(text: string | null, type: string): unknown {
  if (text === null) return null;
  switch (type) {
    case 'bytea':
      return Buffer.from(text.slice(2), 'hex');
    case 'smallint':
    case 'integer':
    case 'bigint':
    case 'double precision':
    case 'real':
    case 'numeric':
      return Number(text);
    case 'boolean':
      return text === 't';
    case 'timestamp with time zone':
      return isoFromCopy(text, true);
    case 'timestamp without time zone':
      return isoFromCopy(text, false);
    case 'json':
    case 'jsonb':
      return text.trim() === 'null' ? { $jsonNull: true } : JSON.parse(text);
    default:
      return text;
  }
}

/** One COPY text line (without its newline) as a row keyed by column name. */
export function decodeCopyRow(
  line: string,
  columns: readonly string[],
  types: Readonly<Record<string, string>>,
): Row {
  const fields = line.split('\t');
  if (fields.length !== columns.length)
    throw new BackupFormatError(
      `A COPY row has ${fields.length} fields; the manifest lists ${columns.length} columns`,
    );
  const row: Row = {};
  columns.forEach((column, index) => {
    row[column] = decodeCopyValue(unescapeCopyField(fields[index] as string), types[column] ?? 'text');
  });
  return row;
}
