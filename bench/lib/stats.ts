/**
 * Order statistics for benchmark samples. Percentiles interpolate linearly between the two
 * nearest ranks (the "R-7" definition spreadsheets and numpy use by default), so a p90 of 15
 * samples is a stable value between the 13th and 14th instead of jumping from one to the other.
 */

/** Thrown for an empty sample or an out-of-range percentile: a bug in the benchmark, not noise. */
export class StatisticsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StatisticsError';
  }
}

function sorted(samples: readonly number[]): number[] {
  if (samples.length === 0) throw new StatisticsError('cannot summarise an empty sample');
  for (const value of samples) {
    if (!Number.isFinite(value)) throw new StatisticsError(`sample holds a non-finite value: ${value}`);
  }
  return [...samples].sort((a, b) => a - b);
}

/**
 * The p-th percentile (0 ≤ p ≤ 100) of the samples, by linear interpolation between ranks.
 *
 * @example percentile([1, 2, 3, 4], 50) === 2.5
 */
export function percentile(samples: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new StatisticsError(`percentile must be within [0, 100], got ${p}`);
  const values = sorted(samples);
  const rank = (p / 100) * (values.length - 1);
  const lower = Math.floor(rank);
  const upper = Math.ceil(rank);
  const low = values[lower]!;
  return low + (values[upper]! - low) * (rank - lower);
}

/** The median (the 50th percentile): the mean of the two middle values for an even count. */
export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

/** Median, p90, min and max of a sample, in the sample's unit. */
export interface Summary {
  readonly count: number;
  readonly median: number;
  readonly p90: number;
  readonly min: number;
  readonly max: number;
}

export function summarize(samples: readonly number[]): Summary {
  const values = sorted(samples);
  return {
    count: values.length,
    median: median(values),
    p90: percentile(values, 90),
    min: values[0]!,
    max: values[values.length - 1]!,
  };
}
