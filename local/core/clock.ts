/**
 * The local cloud's clock. Emulated time runs `speed` times faster than real time from the
 * moment the cloud starts, so an MWAA environment that takes "25 minutes" to create is ready in
 * a second at speed 1500. Every emulator reads time and schedules work through this clock.
 */
export interface Clock {
  /** How many emulated milliseconds pass per real millisecond. */
  readonly speed: number;
  /** Current emulated time, epoch milliseconds. */
  now(): number;
  /** Current emulated time as a Date. */
  date(): Date;
  /** Resolve after `emulatedMs` of emulated time. */
  sleep(emulatedMs: number): Promise<void>;
  /** Run `fn` after `emulatedMs` of emulated time; returns a cancel function. */
  after(emulatedMs: number, fn: () => void): () => void;
  /** Real milliseconds that correspond to `emulatedMs`. */
  toReal(emulatedMs: number): number;
  /** Cancel every pending timer (used by `stop`). */
  dispose(): void;
}

export function createClock(speed = 1, start: number = Date.now()): Clock {
  if (!(speed > 0) || !Number.isFinite(speed))
    throw new RangeError(`clockSpeed must be a positive number, got ${speed}`);
  const realStart = Date.now();
  const timers = new Set<NodeJS.Timeout>();
  const toReal = (emulatedMs: number) => Math.max(0, emulatedMs / speed);
  const now = () => start + (Date.now() - realStart) * speed;
  const after = (emulatedMs: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, toReal(emulatedMs));
    timer.unref?.();
    timers.add(timer);
    return () => {
      clearTimeout(timer);
      timers.delete(timer);
    };
  };
  return {
    speed,
    now,
    date: () => new Date(now()),
    toReal,
    after,
    sleep: (emulatedMs) =>
      new Promise<void>((resolve) => {
        // A sleeping caller keeps the process alive, unlike background timers.
        const timer = setTimeout(resolve, toReal(emulatedMs));
        timers.add(timer);
      }),
    dispose() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
