/**
 * Wall-clock arithmetic in IANA time zones with nothing but `Intl`: convert an instant to the
 * local date/time of a zone, and a local date/time back to the instant(s) it names. Daylight
 * saving transitions make the second conversion partial (a spring-forward gap names no instant)
 * and ambiguous (a fall-back overlap names two).
 */

export interface WallTime {
  year: number;
  /** 1–12 */
  month: number;
  /** 1–31 */
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** True when `timeZone` is an IANA zone name this runtime knows (e.g. `Europe/Berlin`, `UTC`). */
export function isValidTimeZone(timeZone: string): boolean {
  if (!timeZone) return false;
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The local date and time of `instant` (epoch ms) in `timeZone`. */
export function toWallTime(instant: number, timeZone: string): WallTime {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(instant))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year ?? 1970,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

const wallAsUtc = (wall: WallTime) =>
  Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);

/** Offset of `timeZone` from UTC at `instant`, in ms (Berlin in winter: +3 600 000). */
export function offsetAt(instant: number, timeZone: string): number {
  const whole = Math.floor(instant / 1000) * 1000;
  return wallAsUtc(toWallTime(whole, timeZone)) - whole;
}

/**
 * Every instant whose local time in `timeZone` is `wall`, earliest first: none inside a
 * spring-forward gap, two inside a fall-back overlap, otherwise one.
 */
export function fromWallTime(wall: WallTime, timeZone: string): number[] {
  const guess = wallAsUtc(wall);
  const day = 86_400_000;
  // Offsets a day either side bracket any transition near this wall time.
  const offsets = new Set([offsetAt(guess - day, timeZone), offsetAt(guess + day, timeZone)]);
  const instants: number[] = [];
  for (const offset of offsets) {
    const candidate = guess - offset;
    if (wallAsUtc(toWallTime(candidate, timeZone)) === guess) instants.push(candidate);
  }
  return [...new Set(instants)].sort((a, b) => a - b);
}
