/**
 * Cold-start timing by spawning fresh Node processes.
 *
 * Each sample is the wall time of one `spawnSync` (measured with `process.hrtime.bigint()`), so
 * it includes starting Node itself. To isolate what a bundle adds, a bare `node -e 0` is timed
 * the same way and its median is subtracted. Targets are interleaved round by round (and the
 * order rotates each round) so a burst of machine noise lands on every target alike instead of
 * on whichever one happened to run during it. The first round(s) warm the disk cache and are
 * discarded.
 */
import { spawnSync } from 'node:child_process';

/** One thing to time: the arguments of a `node` process and its environment. */
export interface SpawnTarget {
  readonly id: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/** Outcome of one process run; `error` is set when it failed (exit code, signal, timeout). */
export interface SpawnOutcome {
  readonly error?: string;
}

export type Spawner = (target: SpawnTarget) => SpawnOutcome;

/** Runs `process.execPath` (the Node running the benchmark) with the target's arguments. */
export function nodeSpawner(timeoutMs = 30_000): Spawner {
  return (target) => {
    const result = spawnSync(process.execPath, [...target.args], {
      env: { ...target.env },
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
      timeout: timeoutMs,
    });
    if (result.error) return { error: result.error.message };
    if (result.status !== 0) {
      const firstLine = (result.stderr ?? '').split('\n').find((line) => line.trim() !== '') ?? '';
      const how = result.signal ? `killed by ${result.signal}` : `exit code ${result.status}`;
      return { error: firstLine ? `${how}: ${firstLine.trim()}` : how };
    }
    return {};
  };
}

export interface ColdStartOptions {
  /** Timed like the targets; its median is what the targets' figures are relative to. */
  readonly baseline: SpawnTarget;
  readonly targets: readonly SpawnTarget[];
  /** Measured rounds (samples per target). */
  readonly runs: number;
  /** Rounds run first and discarded. */
  readonly warmup: number;
  readonly spawn?: Spawner;
  /** Nanosecond clock; injectable so tests need no real time. */
  readonly clock?: () => bigint;
}

export interface ColdStartSamples {
  /** Milliseconds per measured round, by target id (the baseline included). */
  readonly samplesMs: ReadonlyMap<string, readonly number[]>;
  /** Targets that failed once; they are not run again and have no samples. */
  readonly failures: ReadonlyMap<string, string>;
  /** The order targets ran in, for inspection (ids, warm-up rounds included). */
  readonly schedule: readonly string[];
}

/** Rotate a list left by `by` places. */
function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = items.length === 0 ? 0 : by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/** Time every target (and the baseline) `warmup + runs` times, interleaved. */
export function measureColdStarts(options: ColdStartOptions): ColdStartSamples {
  const spawn = options.spawn ?? nodeSpawner();
  const clock = options.clock ?? process.hrtime.bigint;
  const all = [options.baseline, ...options.targets];
  const samples = new Map<string, number[]>(all.map((target) => [target.id, []]));
  const failures = new Map<string, string>();
  const schedule: string[] = [];

  for (let round = 0; round < options.warmup + options.runs; round += 1) {
    for (const target of rotate(all, round)) {
      if (failures.has(target.id)) continue;
      schedule.push(target.id);
      const started = clock();
      const outcome = spawn(target);
      const elapsed = clock() - started;
      if (outcome.error !== undefined) {
        failures.set(target.id, outcome.error);
        samples.delete(target.id);
        continue;
      }
      if (round >= options.warmup) samples.get(target.id)!.push(Number(elapsed) / 1e6);
    }
  }
  return { samplesMs: samples, failures, schedule };
}
