/**
 * The Airflow metadata database of one emulated environment, in SQLite (`node:sqlite`). Table
 * and column names follow Airflow's own schema (airflow/models/*.py) for the environment's major
 * version, because the backup format carries them: on 2.x `dag_run.execution_date` and
 * `external_trigger`, on 3.x `dag_run.logical_date` (nullable), `run_after` and `triggered_by`.
 *
 * Simplifications, on purpose: `dag_run.conf` holds JSON text (Airflow pickles it), the run note
 * lives in `dag_run.note` (Airflow keeps it in `dag_run_note`), and secrets are stored in clear
 * with `is_encrypted = 0` (no Fernet key locally).
 */
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';

export type Row = Record<string, unknown>;
export type Major = 2 | 3;

const schemaFor = (major: Major): string[] => {
  const dateCol = major === 3 ? 'logical_date' : 'execution_date';
  return [
    `CREATE TABLE dag (
      dag_id TEXT PRIMARY KEY,
      is_paused INTEGER NOT NULL DEFAULT 1,
      ${major === 3 ? 'is_stale INTEGER NOT NULL DEFAULT 0' : 'is_active INTEGER NOT NULL DEFAULT 1,\n      is_subdag INTEGER NOT NULL DEFAULT 0'},
      last_parsed_time TEXT,
      fileloc TEXT,
      owners TEXT,
      description TEXT,
      timetable_description TEXT,
      max_active_tasks INTEGER NOT NULL DEFAULT 16,
      max_active_runs INTEGER NOT NULL DEFAULT 16,
      has_import_errors INTEGER NOT NULL DEFAULT 0,
      schedule_interval TEXT,
      next_dagrun TEXT,
      next_dagrun_data_interval_start TEXT,
      next_dagrun_data_interval_end TEXT,
      next_dagrun_create_after TEXT
    )`,
    `CREATE TABLE dag_run (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      dag_id TEXT NOT NULL,
      queued_at TEXT,
      ${dateCol} TEXT${major === 2 ? ' NOT NULL' : ''},
      start_date TEXT,
      end_date TEXT,
      state TEXT,
      run_id TEXT NOT NULL,
      creating_job_id INTEGER,
      ${major === 2 ? 'external_trigger INTEGER NOT NULL DEFAULT 1,' : 'run_after TEXT,\n      triggered_by TEXT,'}
      run_type TEXT NOT NULL,
      conf TEXT,
      data_interval_start TEXT,
      data_interval_end TEXT,
      last_scheduling_decision TEXT,
      updated_at TEXT,
      clear_number INTEGER NOT NULL DEFAULT 0,
      note TEXT,
      UNIQUE (dag_id, run_id)${major === 2 ? ',\n      UNIQUE (dag_id, execution_date)' : ''}
    )`,
    `CREATE TABLE task_instance (
      ${major === 3 ? 'id TEXT PRIMARY KEY,' : ''}
      task_id TEXT NOT NULL,
      dag_id TEXT NOT NULL,
      run_id TEXT NOT NULL,
      map_index INTEGER NOT NULL DEFAULT -1,
      start_date TEXT,
      end_date TEXT,
      duration REAL,
      state TEXT,
      try_number INTEGER NOT NULL DEFAULT 0,
      max_tries INTEGER NOT NULL DEFAULT 0,
      hostname TEXT,
      unixname TEXT,
      job_id INTEGER,
      pool TEXT NOT NULL DEFAULT 'default_pool',
      pool_slots INTEGER NOT NULL DEFAULT 1,
      queue TEXT,
      priority_weight INTEGER,
      operator TEXT,
      queued_dttm TEXT,
      pid INTEGER,
      updated_at TEXT,
      ${major === 3 ? 'UNIQUE' : 'PRIMARY KEY'} (dag_id, task_id, run_id, map_index)
    )`,
    `CREATE TABLE log (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      dttm TEXT,
      dag_id TEXT,
      task_id TEXT,
      map_index INTEGER,
      event TEXT,
      ${dateCol} TEXT,
      run_id TEXT,
      owner TEXT,
      extra TEXT,
      try_number INTEGER
    )`,
    `CREATE TABLE variable (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      key TEXT NOT NULL UNIQUE,
      val TEXT,
      description TEXT,
      is_encrypted INTEGER NOT NULL DEFAULT 0
    )`,
    `CREATE TABLE connection (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      conn_id TEXT NOT NULL UNIQUE,
      conn_type TEXT NOT NULL,
      description TEXT,
      host TEXT,
      schema TEXT,
      login TEXT,
      password TEXT,
      port INTEGER,
      is_encrypted INTEGER NOT NULL DEFAULT 0,
      is_extra_encrypted INTEGER NOT NULL DEFAULT 0,
      extra TEXT
    )`,
    `CREATE TABLE slot_pool (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      pool TEXT NOT NULL UNIQUE,
      slots INTEGER NOT NULL,
      description TEXT,
      include_deferred INTEGER NOT NULL DEFAULT 0
    )`,
  ];
};

/** Every table the store holds, in dependency order (as a dump and a restore walk them). */
export const TABLES = [
  'dag',
  'dag_run',
  'task_instance',
  'log',
  'variable',
  'connection',
  'slot_pool',
] as const;
export type TableName = (typeof TABLES)[number];

/** Thrown when a run id (or, on 2.x, an execution date) is already taken for the DAG. */
export class DagRunAlreadyExistsError extends Error {
  override name = 'DagRunAlreadyExistsError';
}

export interface MetadataStore {
  readonly major: Major;
  /** `execution_date` on 2.x, `logical_date` on 3.x. */
  readonly dateColumn: 'execution_date' | 'logical_date';
  all(sql: string, ...params: SQLInputValue[]): Row[];
  get(sql: string, ...params: SQLInputValue[]): Row | undefined;
  run(sql: string, ...params: SQLInputValue[]): { changes: number; lastInsertRowid: number };
  /** Insert a row from an object, keeping only columns the table has. */
  insert(table: TableName, row: Row): number;
  columns(table: TableName): string[];
  dump(): Record<TableName, Row[]>;
  /** Rebuild the schema for another major version, carrying rows across (an upgrade's db migration). */
  migrate(to: Major): void;
  close(): void;
}

const toSql = (value: unknown): SQLInputValue => {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'object') return JSON.stringify(value);
  return value as SQLInputValue;
};

/** Column renames between the 2.x and 3.x schemas (2.x name → 3.x name). */
const RENAMES_2_TO_3: Partial<Record<TableName, Record<string, string>>> = {
  dag_run: { execution_date: 'logical_date' },
  log: { execution_date: 'logical_date' },
};

export function openMetadataStore(major: Major): MetadataStore {
  const db = new DatabaseSync(':memory:');
  let current: Major = major;
  const create = (m: Major) => {
    for (const ddl of schemaFor(m)) db.exec(ddl);
  };
  create(major);
  db.prepare(
    "INSERT INTO slot_pool (pool, slots, description, include_deferred) VALUES ('default_pool', 128, 'Default pool', 0)",
  ).run();

  const columns = (table: TableName) =>
    (db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map((c) => c.name);

  const insert = (table: TableName, row: Row) => {
    const cols = columns(table).filter((c) => row[c] !== undefined);
    const sql = `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`;
    return Number(db.prepare(sql).run(...cols.map((c) => toSql(row[c]))).lastInsertRowid);
  };

  const dump = () => {
    const out = {} as Record<TableName, Row[]>;
    for (const table of TABLES)
      out[table] = db.prepare(`SELECT * FROM ${table} ORDER BY rowid`).all() as Row[];
    return out;
  };

  return {
    get major() {
      return current;
    },
    get dateColumn() {
      return current === 3 ? 'logical_date' : 'execution_date';
    },
    all: (sql, ...params) => db.prepare(sql).all(...params) as Row[],
    get: (sql, ...params) => db.prepare(sql).get(...params) as Row | undefined,
    run: (sql, ...params) => {
      const result = db.prepare(sql).run(...params);
      return { changes: Number(result.changes), lastInsertRowid: Number(result.lastInsertRowid) };
    },
    insert,
    columns,
    dump,
    migrate(to) {
      if (to === current) return;
      const rows = dump();
      for (const table of TABLES) db.exec(`DROP TABLE ${table}`);
      create(to);
      for (const table of TABLES) {
        const renames = RENAMES_2_TO_3[table] ?? {};
        for (const row of rows[table]) {
          const moved: Row = {};
          for (const [key, value] of Object.entries(row)) {
            const forward = to === 3 ? renames[key] : Object.entries(renames).find(([, v]) => v === key)?.[0];
            moved[forward ?? key] = value;
          }
          if (table === 'dag') {
            // Airflow 3 replaced dag.is_active with its inverse, is_stale.
            if (to === 3) moved.is_stale = row.is_active === 0 ? 1 : 0;
            else moved.is_active = row.is_stale === 1 ? 0 : 1;
          }
          if (table === 'dag_run' && to === 3) moved.run_after = row.queued_at ?? row.execution_date;
          if (table === 'dag_run' && to === 2 && moved.execution_date == null)
            moved.execution_date = row.run_after;
          if (table === 'task_instance' && to === 3) moved.id = crypto.randomUUID();
          insert(table, moved);
        }
      }
      current = to;
    },
    close: () => db.close(),
  };
}
