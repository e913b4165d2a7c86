/**
 * The run-history archive's tables: one definition per column that the Parquet writer, the Glue
 * table in template.yaml (test/template/run-history-glue.test.ts compares them) and the docs
 * (docs/run-history-archive.md) all follow. Adding a column is an addition to all three.
 *
 * Only what answers "what ran, when, how did it end" is archived. Left out on purpose:
 * `dag_run.conf` (operators' parameters, which may carry credentials; pickled on 2.x),
 * notes (free text by users), surrogate ids (meaningless outside their environment).
 */
import type { Row } from '../shared/backup/index.ts';

/** How a value is stored: the Parquet physical/logical type and the matching Glue (Hive) type. */
export type ColumnKind = 'string' | 'int32' | 'double' | 'boolean' | 'timestamp';

export interface ArchiveColumn {
  name: string;
  kind: ColumnKind;
  /** false → REQUIRED in Parquet: every row has a value (a row without one is refused). */
  nullable: boolean;
  /** Where the value comes from in a backup row (default: the column of the same name). */
  from?: (row: Row) => unknown;
}

export interface ArchiveTable {
  /** The backup table it is read from, and the archive's table name (Glue table, S3 prefix). */
  name: 'dag_run' | 'task_instance';
  columns: readonly ArchiveColumn[];
}

/** Glue / Athena type of each kind (Hive DDL names, as AWS::Glue::Table Columns take them). */
export const GLUE_TYPES: Readonly<Record<ColumnKind, string>> = {
  string: 'string',
  int32: 'int',
  double: 'double',
  boolean: 'boolean',
  timestamp: 'timestamp',
};

/** Partition keys, in path order: `environment=<env>/run_date=YYYY-MM-DD/`. Not in the files. */
export const PARTITION_KEYS = ['environment', 'run_date'] as const;

/** Columns every archive table ends with: which backup the row was read from. */
const PROVENANCE: readonly ArchiveColumn[] = [
  { name: 'backup_id', kind: 'string', nullable: false },
  { name: 'airflow_version', kind: 'string', nullable: false },
];

const str = (name: string): ArchiveColumn => ({ name, kind: 'string', nullable: true });
const ts = (name: string): ArchiveColumn => ({ name, kind: 'timestamp', nullable: true });

export const DAG_RUN: ArchiveTable = {
  name: 'dag_run',
  columns: [
    { name: 'dag_id', kind: 'string', nullable: false },
    { name: 'run_id', kind: 'string', nullable: false },
    str('state'),
    str('run_type'),
    // Airflow 2 calls it execution_date, Airflow 3 logical_date (and allows NULL there).
    {
      name: 'logical_date',
      kind: 'timestamp',
      nullable: true,
      from: (r) => r.logical_date ?? r.execution_date,
    },
    ts('run_after'),
    ts('queued_at'),
    ts('start_date'),
    ts('end_date'),
    ts('data_interval_start'),
    ts('data_interval_end'),
    { name: 'external_trigger', kind: 'boolean', nullable: true },
    str('triggered_by'),
    ...PROVENANCE,
  ],
};

export const TASK_INSTANCE: ArchiveTable = {
  name: 'task_instance',
  columns: [
    { name: 'dag_id', kind: 'string', nullable: false },
    { name: 'run_id', kind: 'string', nullable: false },
    { name: 'task_id', kind: 'string', nullable: false },
    { name: 'map_index', kind: 'int32', nullable: false },
    str('state'),
    { name: 'try_number', kind: 'int32', nullable: true },
    { name: 'max_tries', kind: 'int32', nullable: true },
    ts('queued_dttm'),
    ts('start_date'),
    ts('end_date'),
    { name: 'duration', kind: 'double', nullable: true },
    str('operator'),
    str('pool'),
    { name: 'pool_slots', kind: 'int32', nullable: true },
    str('queue'),
    { name: 'priority_weight', kind: 'int32', nullable: true },
    str('hostname'),
    ...PROVENANCE,
  ],
};

/** In the order they are archived: dag_run first, because it dates the task instances. */
export const ARCHIVE_TABLES: readonly ArchiveTable[] = [DAG_RUN, TASK_INSTANCE];
