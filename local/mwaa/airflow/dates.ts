/**
 * Datetimes as Airflow stores them: PostgreSQL `timestamptz` keeps microseconds, so two logical
 * dates one microsecond apart are two keys of Airflow 2's unique (dag_id, execution_date). The
 * emulator's own "now" has the clock's millisecond resolution; dates a client sends keep theirs.
 *
 * One spelling per instant, so the store's text comparison is an instant comparison: whole
 * milliseconds as `…T10:15:30.123+00:00` (what the emulator writes for "now"), anything finer
 * with six digits, `…T10:15:30.123456+00:00`.
 */
const PATTERN = /^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d(?::?\d\d)?)?$/i;

/** Canonical text for an ISO 8601 datetime, or undefined when it is not one. */
export function airflowDate(value: string): string | undefined {
  const match = PATTERN.exec(value.trim());
  if (!match) {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : new Date(ms).toISOString().replace('Z', '+00:00');
  }
  const [, head = '', fraction = '', zone = 'Z'] = match;
  const seconds = Date.parse(`${head.replace(' ', 'T')}${zone.toUpperCase() === 'Z' ? 'Z' : zone}`);
  if (Number.isNaN(seconds)) return undefined;
  const micros = Number(fraction.padEnd(6, '0').slice(0, 6));
  return withMicros(seconds, micros);
}

/** `seconds` (epoch ms, whole seconds) plus `micros` in canonical text. */
function withMicros(seconds: number, micros: number): string {
  const stamp = new Date(seconds).toISOString().slice(0, 19);
  if (micros % 1000 === 0) return `${stamp}.${String(micros / 1000).padStart(3, '0')}+00:00`;
  return `${stamp}.${String(micros).padStart(6, '0')}+00:00`;
}

/** The same instant with its sub-second part dropped (what Airflow 2's CLI trigger does by default). */
export function zeroMicroseconds(date: string): string {
  const ms = Date.parse(date);
  return withMicros(Math.floor(ms / 1000) * 1000, 0);
}

/** Python's `datetime.isoformat(sep=' ')`, as Airflow quotes a logical date in its 409 detail. */
export function pythonIsoformat(date: string): string {
  return date
    .replace('T', ' ')
    .replace(/\.(\d{3})\+/, '.$1000+')
    .replace('.000000+', '+');
}
