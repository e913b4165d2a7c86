import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { formatBytes, markdownTable, textTable } from '../../../bench/lib/format.ts';
import { median, percentile, StatisticsError, summarize } from '../../../bench/lib/stats.ts';

describe('bench/lib/stats', () => {
  it('returns the middle value of an odd sample and the mean of the middle two of an even one', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('interpolates percentiles linearly between ranks', () => {
    const samples = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
    expect(percentile(samples, 0)).toBe(10);
    expect(percentile(samples, 100)).toBe(100);
    // rank 0.9 × 9 = 8.1: between 90 and 100, a tenth of the way.
    expect(percentile(samples, 90)).toBeCloseTo(91, 10);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
  });

  it('does not depend on the order of the samples or modify them', () => {
    const samples = [3, 1, 2];
    expect(percentile(samples, 90)).toBeCloseTo(2.8, 10);
    expect(samples).toEqual([3, 1, 2]);
  });

  it('keeps every percentile within the sample range and monotonic in p', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 50 }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 100 }),
        (samples, a, b) => {
          const [low, high] = a <= b ? [a, b] : [b, a];
          const min = Math.min(...samples);
          const max = Math.max(...samples);
          const pLow = percentile(samples, low);
          const pHigh = percentile(samples, high);
          return pLow >= min && pHigh <= max && pLow <= pHigh;
        },
      ),
    );
  });

  it('rejects an empty sample, non-finite values and percentiles outside [0, 100]', () => {
    expect(() => median([])).toThrow(StatisticsError);
    expect(() => median([1, Number.NaN])).toThrow('non-finite');
    expect(() => percentile([1], 101)).toThrow('within [0, 100]');
    expect(() => percentile([1], -1)).toThrow(StatisticsError);
  });

  it('summarises count, median, p90, min and max', () => {
    expect(summarize([4, 2, 8, 6])).toEqual({ count: 4, median: 5, p90: 7.4, min: 2, max: 8 });
  });
});

describe('bench/lib/format', () => {
  const table = {
    title: 'Sizes',
    columns: ['bundle', 'raw'],
    rows: [
      ['a', '1 B'],
      ['long-name', '10.0 KiB'],
    ],
  };

  it('formats bytes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.00 MiB');
    expect(formatBytes(2 * 1024 ** 3)).toBe('2.0 GiB');
  });

  it('aligns text columns, numbers to the right', () => {
    expect(textTable(table).split('\n')).toEqual([
      'Sizes',
      'bundle          raw',
      '---------  --------',
      'a               1 B',
      'long-name  10.0 KiB',
    ]);
  });

  it('renders Markdown with right-aligned numeric columns and escaped pipes', () => {
    const markdown = markdownTable({ ...table, rows: [...table.rows, ['x|y', '2 B']] });
    expect(markdown.split('\n')).toEqual([
      '### Sizes',
      '',
      '| bundle | raw |',
      '| --- | ---: |',
      '| a | 1 B |',
      '| long-name | 10.0 KiB |',
      '| x\\|y | 2 B |',
    ]);
  });
});
