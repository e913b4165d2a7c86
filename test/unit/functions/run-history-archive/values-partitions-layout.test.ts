import { describe, expect, it } from '@jest/globals';
import { ArchiveRowError } from '../../../../functions/run-history-archive/errors.ts';
import { partFileKey, summaryKey } from '../../../../functions/run-history-archive/layout.ts';
import { PartitionBuffer } from '../../../../functions/run-history-archive/partitions.ts';
import { DAG_RUN, TASK_INSTANCE } from '../../../../functions/run-history-archive/schema.ts';
import {
  type ArchiveValue,
  archiveRow,
  runDateOf,
  timestampMicros,
  UNDATED_RUN_DATE,
} from '../../../../functions/run-history-archive/values.ts';

describe('Function: run-history archive values', () => {
  it('keeps microseconds and honours offsets; text without an offset is UTC', () => {
    expect(timestampMicros('2026-11-26T10:15:30.123456+00:00')).toBe(1795688130123456n);
    expect(timestampMicros('2026-11-26T12:15:30.123456+02:00')).toBe(1795688130123456n);
    expect(timestampMicros('2026-11-26T05:15:30.123456-0500')).toBe(1795688130123456n);
    expect(timestampMicros('2026-11-26T10:15:30')).toBe(1795688130000000n);
    expect(timestampMicros('2026-11-26T10:15:30.5Z')).toBe(1795688130500000n);
    expect(timestampMicros('yesterday')).toBeUndefined();
  });

  it('files a run under the UTC date of its logical date, else run_after, queued_at, start_date', () => {
    expect(runDateOf({ execution_date: '2026-11-26T23:30:00-02:00' })).toBe('2026-11-27');
    expect(runDateOf({ logical_date: null, run_after: '2026-11-20T01:00:00+00:00' })).toBe('2026-11-20');
    expect(runDateOf({ start_date: '2026-01-02T00:00:00+00:00' })).toBe('2026-01-02');
    expect(runDateOf({})).toBe(UNDATED_RUN_DATE);
  });

  it('maps Airflow 2 execution_date to logical_date and 0/1 to booleans', () => {
    const values = archiveRow(
      DAG_RUN,
      {
        dag_id: 'd',
        run_id: 'r',
        execution_date: '2026-11-26T10:15:30+00:00',
        external_trigger: 1,
        backup_id: 'b',
        airflow_version: '2.10.3',
      },
      1,
    );
    const byName = Object.fromEntries(DAG_RUN.columns.map((c, i) => [c.name, values[i]]));
    expect(byName.logical_date).toBe(1795688130000000n);
    expect(byName.external_trigger).toBe(true);
    expect(byName.conf).toBeUndefined();
  });

  it('refuses a row without a required column, naming table, column and position but not the value', () => {
    const attempt = () =>
      archiveRow(
        TASK_INSTANCE,
        { dag_id: 'secret-dag', run_id: 'r', task_id: 't', backup_id: 'b', airflow_version: '2' },
        7,
      );
    expect(attempt).toThrow(ArchiveRowError);
    expect(attempt).toThrow('task_instance row 7: column map_index is empty but required');
    expect(() =>
      archiveRow(
        TASK_INSTANCE,
        {
          dag_id: 'd',
          run_id: 'r',
          task_id: 't',
          map_index: -1,
          start_date: 'soon',
          backup_id: 'b',
          airflow_version: '2',
        },
        3,
      ),
    ).toThrow('task_instance row 3: column start_date is not an ISO-8601 timestamp');
  });
});

describe('Function: run-history archive partitions', () => {
  const collect = () => {
    const written: Array<{ runDate: string; part: number; rows: ArchiveValue[][] }> = [];
    return {
      written,
      write: async (runDate: string, part: number, rows: ArchiveValue[][]) =>
        void written.push({ runDate, part, rows }),
    };
  };

  it('never holds more than the limit: the largest partition spills as its next part', async () => {
    const { written, write } = collect();
    const buffer = new PartitionBuffer(3, write);
    const dates = ['a', 'b', 'a', 'a', 'b', 'c', 'a'];
    for (const [i, date] of dates.entries()) await buffer.add(date, [i]);
    const { rows, parts } = await buffer.finish();
    expect(rows).toBe(7);
    expect(written.map((w) => [w.runDate, w.part, w.rows.map((r) => r[0])])).toEqual([
      ['a', 0, [0, 2, 3]],
      ['b', 0, [1, 4]],
      ['a', 1, [6]],
      ['c', 0, [5]],
    ]);
    expect(Object.fromEntries(parts)).toEqual({ a: 2, b: 1, c: 1 });
  });

  it('writes one file per date when everything fits', async () => {
    const { written, write } = collect();
    const buffer = new PartitionBuffer(100, write);
    for (const date of ['b', 'a', 'b']) await buffer.add(date, [date]);
    await buffer.finish();
    expect(written.map((w) => [w.runDate, w.part, w.rows.length])).toEqual([
      ['a', 0, 1],
      ['b', 0, 2],
    ]);
  });
});

describe('Function: run-history archive layout', () => {
  it('derives every key from table, environment, run date, backup id and part', () => {
    expect(partFileKey('dag_run', 'dev', '2026-11-26', '20261126T190000Z-pause-dev-1', 3)).toBe(
      'run-history/dag_run/environment=dev/run_date=2026-11-26/20261126T190000Z-pause-dev-1-0003.parquet',
    );
    expect(summaryKey('dev', '20261126T190000Z-pause-dev-1')).toBe(
      'run-history/_archives/environment=dev/20261126T190000Z-pause-dev-1.json',
    );
    expect(() => partFileKey('dag_run', '../x', '2026-11-26', '20261126T190000Z-a', 0)).toThrow();
  });
});
