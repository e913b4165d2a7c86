/**
 * The archive's Parquet files read back by pyarrow (test/helpers/parquet-reader.ts): schema,
 * partition layout and values against the backup rows they came from.
 */
import { describe, expect, it } from '@jest/globals';
import { type ArchiveSink, archiveBackup } from '../../../functions/run-history-archive/archive.ts';
import { DAG_RUN, GLUE_TYPES, TASK_INSTANCE } from '../../../functions/run-history-archive/schema.ts';
import {
  buildManifest,
  createMemoryBackupStore,
  MANIFEST_FILE,
  putJson,
  type Row,
  type TableSpec,
  tableEntry,
  tableFileName,
  writeTableFile,
} from '../../../functions/shared/backup/index.ts';
import { readParquet } from '../../helpers/parquet-reader.ts';

const ENV = 'archive-env';
const BACKUP = '20261126T190000Z-pause-archive-1';

const DAG_RUNS: Row[] = [
  {
    id: 1,
    dag_id: 'load_sales',
    run_id: 'scheduled__2026-11-25T00:00:00+00:00',
    state: 'success',
    run_type: 'scheduled',
    execution_date: '2026-11-25T00:00:00+00:00',
    queued_at: '2026-11-26T00:00:01.000250+00:00',
    start_date: '2026-11-26T00:00:02.123456+00:00',
    end_date: '2026-11-26T00:10:00+00:00',
    data_interval_start: '2026-11-25T00:00:00+00:00',
    data_interval_end: '2026-11-26T00:00:00+00:00',
    external_trigger: false,
    conf: { password: 'hunter2' },
    creating_job_id: null,
  },
  {
    id: 2,
    dag_id: 'load_sales',
    run_id: 'manual__2026-11-26T10:15:30.123456+00:00',
    state: 'failed',
    run_type: 'manual',
    execution_date: '2026-11-26T10:15:30.123456+00:00',
    queued_at: null,
    start_date: '2026-11-26T10:15:31+00:00',
    end_date: null,
    data_interval_start: null,
    data_interval_end: null,
    external_trigger: true,
    conf: null,
    creating_job_id: null,
  },
  // A backfill, written after newer runs (rows come in id order, not date order).
  {
    id: 3,
    dag_id: 'refresh_marts',
    run_id: 'backfill__2026-10-01T00:00:00+00:00',
    state: 'success',
    run_type: 'backfill',
    execution_date: '2026-10-01T00:00:00+00:00',
    queued_at: null,
    start_date: null,
    end_date: null,
    data_interval_start: null,
    data_interval_end: null,
    external_trigger: false,
    conf: null,
    creating_job_id: null,
  },
];
const TASKS: Row[] = [
  {
    dag_id: 'load_sales',
    task_id: 'extract',
    run_id: DAG_RUNS[0]?.run_id,
    map_index: -1,
    state: 'success',
    try_number: 1,
    max_tries: 2,
    queued_dttm: '2026-11-26T00:00:03+00:00',
    start_date: '2026-11-26T00:00:04.000001+00:00',
    end_date: '2026-11-26T00:05:00+00:00',
    duration: 295.999999,
    operator: 'PythonOperator',
    pool: 'default_pool',
    pool_slots: 1,
    queue: 'default',
    priority_weight: 3,
    hostname: 'worker-1',
    trigger_timeout: null,
  },
  {
    dag_id: 'load_sales',
    task_id: 'load',
    run_id: DAG_RUNS[1]?.run_id,
    map_index: 0,
    state: null,
    try_number: 0,
    max_tries: 0,
    queued_dttm: null,
    start_date: null,
    end_date: null,
    duration: null,
    operator: null,
    pool: 'default_pool',
    pool_slots: 1,
    queue: null,
    priority_weight: null,
    hostname: '',
    trigger_timeout: null,
  },
  {
    dag_id: 'refresh_marts',
    task_id: 'build',
    run_id: DAG_RUNS[2]?.run_id,
    map_index: -1,
    state: 'success',
    try_number: 1,
    max_tries: 0,
    queued_dttm: null,
    start_date: null,
    end_date: null,
    duration: 1,
    operator: 'BashOperator',
    pool: 'default_pool',
    pool_slots: 2,
    queue: 'default',
    priority_weight: 1,
    hostname: 'worker-2',
    trigger_timeout: null,
  },
];

async function seedBackup(
  options: { kind?: 'database' | 'rest'; tables?: Record<string, { spec: TableSpec; rows: Row[] }> } = {},
) {
  const store = createMemoryBackupStore('backups-bucket', `backups/${ENV}/${BACKUP}/`);
  const tables = options.tables ?? {
    variable: {
      spec: { columns: ['key', 'val', 'description'], primaryKey: ['key'] },
      rows: [{ key: 'k', val: 'secret', description: null }],
    },
    connection: { spec: { columns: ['conn_id', 'password'], primaryKey: ['conn_id'] }, rows: [] },
    slot_pool: {
      spec: { columns: ['pool', 'slots'], primaryKey: ['pool'] },
      rows: [{ pool: 'default_pool', slots: 128 }],
    },
    dag_run: {
      spec: { columns: Object.keys(DAG_RUNS[0] as Row), primaryKey: ['id'], generatedKey: 'id' },
      rows: DAG_RUNS,
    },
    task_instance: {
      spec: {
        columns: Object.keys(TASKS[0] as Row),
        primaryKey: ['dag_id', 'task_id', 'run_id', 'map_index'],
      },
      rows: TASKS,
    },
  };
  const entries: Record<string, ReturnType<typeof tableEntry>> = {};
  for (const [name, { spec, rows }] of Object.entries(tables)) {
    const file = await writeTableFile(spec.columns, rows);
    await store.put(tableFileName(name), file.body);
    entries[name] = tableEntry(name, spec, file);
  }
  const manifest = buildManifest({
    backupId: BACKUP,
    environment: ENV,
    airflowVersion: options.kind === 'rest' ? '3.0.6' : '2.10.3',
    kind: options.kind ?? 'database',
    createdBy: { writer: 'test' },
    activeDags: [],
    tables: entries,
  });
  await putJson(store, MANIFEST_FILE, manifest);
  return store;
}

function memorySink() {
  const objects = new Map<string, { body: Uint8Array; contentType: string }>();
  const sink: ArchiveSink = {
    put: async (key, body, contentType) => void objects.set(key, { body, contentType }),
  };
  return { objects, sink };
}

const parquetKeys = (objects: Map<string, unknown>, table: string) =>
  [...objects.keys()].filter((k) => k.startsWith(`run-history/${table}/`)).sort();

/** What pyarrow must report for a column of each kind. */
const ARROW: Record<string, { arrow: string; physical: string }> = {
  string: { arrow: 'string', physical: 'BYTE_ARRAY' },
  int32: { arrow: 'int32', physical: 'INT32' },
  double: { arrow: 'double', physical: 'DOUBLE' },
  boolean: { arrow: 'bool', physical: 'BOOLEAN' },
  timestamp: { arrow: 'timestamp[us, tz=UTC]', physical: 'INT64' },
};

describe('Run-history archive files (read back with pyarrow)', () => {
  it('writes Hive-style partitions per table, environment and run date, named by the backup', async () => {
    const { objects, sink } = memorySink();
    const result = await archiveBackup({
      store: await seedBackup(),
      sink,
      environment: ENV,
      backupId: BACKUP,
      maxBufferedRows: 1000,
    });
    expect(parquetKeys(objects, 'dag_run')).toEqual([
      `run-history/dag_run/environment=${ENV}/run_date=2026-10-01/${BACKUP}-0000.parquet`,
      `run-history/dag_run/environment=${ENV}/run_date=2026-11-25/${BACKUP}-0000.parquet`,
      `run-history/dag_run/environment=${ENV}/run_date=2026-11-26/${BACKUP}-0000.parquet`,
    ]);
    // Task instances are filed under their run's date, not their own start time.
    expect(parquetKeys(objects, 'task_instance')).toEqual([
      `run-history/task_instance/environment=${ENV}/run_date=2026-10-01/${BACKUP}-0000.parquet`,
      `run-history/task_instance/environment=${ENV}/run_date=2026-11-25/${BACKUP}-0000.parquet`,
      `run-history/task_instance/environment=${ENV}/run_date=2026-11-26/${BACKUP}-0000.parquet`,
    ]);
    expect([...objects.keys()].filter((k) => !k.endsWith('.parquet'))).toEqual([
      `run-history/_archives/environment=${ENV}/${BACKUP}.json`,
    ]);
    expect(result.tables).toEqual({
      dag_run: { rows: 3, files: 3, partitions: 3 },
      task_instance: { rows: 3, files: 3, partitions: 3 },
    });
    expect(objects.get(parquetKeys(objects, 'dag_run')[0] as string)?.contentType).toBe(
      'application/vnd.apache.parquet',
    );
  });

  it('has exactly the schema of schema.ts: names, order, types, nullability', async () => {
    const { objects, sink } = memorySink();
    await archiveBackup({
      store: await seedBackup(),
      sink,
      environment: ENV,
      backupId: BACKUP,
      maxBufferedRows: 1000,
    });
    for (const table of [DAG_RUN, TASK_INSTANCE]) {
      const [file] = await readParquet([
        objects.get(parquetKeys(objects, table.name)[0] as string)?.body as Uint8Array,
      ]);
      expect(
        file?.columns.map(({ name, arrow, nullable, physical }) => ({ name, arrow, nullable, physical })),
      ).toEqual(table.columns.map((c) => ({ name: c.name, nullable: c.nullable, ...ARROW[c.kind] })));
      expect(file?.metadata).toMatchObject({
        'mwaa_ops.backup_id': BACKUP,
        'mwaa_ops.environment': ENV,
        'mwaa_ops.table': table.name,
      });
      // Every kind has a Glue type (the template test compares the Glue table with schema.ts).
      for (const c of table.columns) expect(GLUE_TYPES[c.kind]).toBeDefined();
    }
  });

  it('holds the backup rows value for value (microseconds kept), and nothing else', async () => {
    const { objects, sink } = memorySink();
    await archiveBackup({
      store: await seedBackup(),
      sink,
      environment: ENV,
      backupId: BACKUP,
      maxBufferedRows: 1000,
    });
    const files = await readParquet(
      parquetKeys(objects, 'dag_run').map((k) => objects.get(k)?.body as Uint8Array),
    );
    const runs = files.flatMap((f) => f.rows);
    expect(runs).toHaveLength(3);
    const manual = runs.find((r) => r.run_type === 'manual');
    expect(manual).toEqual({
      dag_id: 'load_sales',
      run_id: 'manual__2026-11-26T10:15:30.123456+00:00',
      state: 'failed',
      run_type: 'manual',
      logical_date: '2026-11-26T10:15:30.123456+00:00',
      run_after: null,
      queued_at: null,
      start_date: '2026-11-26T10:15:31.000000+00:00',
      end_date: null,
      data_interval_start: null,
      data_interval_end: null,
      external_trigger: true,
      triggered_by: null,
      backup_id: BACKUP,
      airflow_version: '2.10.3',
    });
    const scheduled = runs.find((r) => r.run_type === 'scheduled');
    expect(scheduled?.queued_at).toBe('2026-11-26T00:00:01.000250+00:00');
    expect(scheduled?.start_date).toBe('2026-11-26T00:00:02.123456+00:00');
    expect(JSON.stringify(runs)).not.toContain('hunter2');

    const tasks = (
      await readParquet(parquetKeys(objects, 'task_instance').map((k) => objects.get(k)?.body as Uint8Array))
    ).flatMap((f) => f.rows);
    expect(tasks.map((t) => [t.task_id, t.map_index, t.duration, t.hostname, t.state])).toEqual([
      ['build', -1, 1, 'worker-2', 'success'],
      ['extract', -1, 295.999999, 'worker-1', 'success'],
      ['load', 0, null, '', null],
    ]);
    expect(tasks[1]?.start_date).toBe('2026-11-26T00:00:04.000001+00:00');
  });

  it('bounds memory by spilling part files, and a re-run writes the same keys and bytes', async () => {
    const first = memorySink();
    await archiveBackup({
      store: await seedBackup(),
      sink: first.sink,
      environment: ENV,
      backupId: BACKUP,
      maxBufferedRows: 1,
    });
    const again = memorySink();
    await archiveBackup({
      store: await seedBackup(),
      sink: again.sink,
      environment: ENV,
      backupId: BACKUP,
      maxBufferedRows: 1,
    });
    expect([...again.objects.keys()].sort()).toEqual([...first.objects.keys()].sort());
    for (const [key, { body }] of first.objects) {
      if (key.endsWith('.parquet'))
        expect(Buffer.from(again.objects.get(key)?.body as Uint8Array).equals(Buffer.from(body))).toBe(true);
    }
    const files = await readParquet(
      parquetKeys(first.objects, 'dag_run').map((k) => first.objects.get(k)?.body as Uint8Array),
    );
    expect(
      files
        .flatMap((f) => f.rows)
        .map((r) => r.run_id)
        .sort(),
    ).toEqual(DAG_RUNS.map((r) => r.run_id).sort());
  });

  it('archives what an Airflow 3 (REST) backup holds: dag_run, and no task_instance files', async () => {
    const runs = [
      {
        dag_id: 'a3',
        run_id: 'manual__1',
        state: 'success',
        run_type: 'manual',
        logical_date: null,
        queued_at: null,
        start_date: null,
        end_date: null,
        run_after: '2026-11-20T08:00:00+00:00',
        data_interval_start: null,
        data_interval_end: null,
        triggered_by: 'rest_api',
        conf: {},
        note: null,
      },
    ];
    const store = await seedBackup({
      kind: 'rest',
      tables: {
        dag_run: {
          spec: { columns: Object.keys(runs[0] as Row), primaryKey: ['dag_id', 'run_id'] },
          rows: runs,
        },
      },
    });
    const { objects, sink } = memorySink();
    const result = await archiveBackup({
      store,
      sink,
      environment: ENV,
      backupId: BACKUP,
      maxBufferedRows: 1000,
    });
    expect(result.absent).toEqual(['task_instance']);
    expect(result.tables.task_instance).toEqual({ rows: 0, files: 0, partitions: 0 });
    expect(parquetKeys(objects, 'task_instance')).toEqual([]);
    const [file] = await readParquet([
      objects.get(parquetKeys(objects, 'dag_run')[0] as string)?.body as Uint8Array,
    ]);
    expect(parquetKeys(objects, 'dag_run')[0]).toContain('/run_date=2026-11-20/');
    expect(file?.rows[0]).toMatchObject({
      logical_date: null,
      run_after: '2026-11-20T08:00:00.000000+00:00',
      triggered_by: 'rest_api',
      airflow_version: '3.0.6',
      external_trigger: null,
    });
  });

  it('refuses a backup without a manifest or with a file that does not match it, and writes no summary', async () => {
    const store = await seedBackup();
    const tampered = createMemoryBackupStore(store.bucket, store.prefix);
    for (const [k, v] of store.objects) tampered.objects.set(k, v);
    tampered.objects.set(tableFileName('task_instance'), Buffer.from('not gzip'));
    const { objects, sink } = memorySink();
    await expect(
      archiveBackup({ store: tampered, sink, environment: ENV, backupId: BACKUP, maxBufferedRows: 1000 }),
    ).rejects.toMatchObject({
      name: 'ArchiveSourceError',
    });
    expect([...objects.keys()].filter((k) => k.includes('_archives'))).toEqual([]);
    const empty = createMemoryBackupStore(store.bucket, store.prefix);
    await expect(
      archiveBackup({ store: empty, sink, environment: ENV, backupId: BACKUP, maxBufferedRows: 1000 }),
    ).rejects.toThrow(/manifest\.json does not exist/);
  });
});
