/**
 * How Airflow's REST API renders metadata rows: `/api/v1` (Airflow 2, connexion) and `/api/v2`
 * (Airflow 3, FastAPI) name and format fields differently, and clients parse them.
 */
import { parseConf } from './instance.ts';
import type { Row } from './metadata-store.ts';
import type { AirflowFlavor } from './versions.ts';

/** Airflow 2 prints `+00:00` offsets, Airflow 3 a `Z`. */
export const apiDate = (flavor: AirflowFlavor, value: unknown): string | null => {
  if (value === null || value === undefined || value === '') return null;
  const text = String(value);
  return flavor.major === 3 ? text.replace(/\+00:00$/, 'Z') : text;
};

const bool = (value: unknown) => Number(value) === 1;

export function dagShape(flavor: AirflowFlavor, row: Row): Row {
  const common = {
    dag_id: row.dag_id,
    dag_display_name: row.dag_id,
    is_paused: bool(row.is_paused),
    last_parsed_time: apiDate(flavor, row.last_parsed_time),
    last_expired: null,
    fileloc: row.fileloc,
    file_token: Buffer.from(String(row.fileloc)).toString('base64url'),
    owners: String(row.owners ?? 'airflow').split(','),
    description: row.description ?? null,
    timetable_description: row.timetable_description ?? null,
    tags: [],
    max_active_tasks: row.max_active_tasks,
    max_active_runs: row.max_active_runs,
    has_task_concurrency_limits: false,
    has_import_errors: bool(row.has_import_errors),
  };
  if (flavor.major === 3) {
    return {
      ...common,
      is_stale: bool(row.is_stale),
      bundle_name: 'dags-folder',
      bundle_version: null,
      relative_fileloc: String(row.fileloc).split('/').pop(),
      max_consecutive_failed_dag_runs: 0,
      timetable_summary: row.schedule_interval ?? null,
      // Airflow 3 renamed next_dagrun → next_dagrun_logical_date, next_dagrun_create_after →
      // next_dagrun_run_after (v2-rest-api-generated.yaml, DAGResponse).
      next_dagrun_logical_date: apiDate(flavor, row.next_dagrun),
      next_dagrun_data_interval_start: apiDate(flavor, row.next_dagrun_data_interval_start),
      next_dagrun_data_interval_end: apiDate(flavor, row.next_dagrun_data_interval_end),
      next_dagrun_run_after: apiDate(flavor, row.next_dagrun_create_after),
    };
  }
  return {
    ...common,
    is_active: bool(row.is_active),
    is_subdag: false,
    root_dag_id: null,
    last_pickled: null,
    scheduler_lock: null,
    pickle_id: null,
    default_view: 'grid',
    // Airflow 2 renders a cron schedule as {__type: CronExpression, value} (v1.yaml ScheduleInterval).
    schedule_interval: row.schedule_interval
      ? { __type: 'CronExpression', value: row.schedule_interval }
      : null,
    next_dagrun: apiDate(flavor, row.next_dagrun),
    next_dagrun_data_interval_start: apiDate(flavor, row.next_dagrun_data_interval_start),
    next_dagrun_data_interval_end: apiDate(flavor, row.next_dagrun_data_interval_end),
    next_dagrun_create_after: apiDate(flavor, row.next_dagrun_create_after),
  };
}

export function dagRunShape(flavor: AirflowFlavor, row: Row): Row {
  const d = (key: string) => apiDate(flavor, row[key]);
  const common = {
    dag_run_id: row.run_id,
    dag_id: row.dag_id,
    start_date: d('start_date'),
    end_date: d('end_date'),
    data_interval_start: d('data_interval_start'),
    data_interval_end: d('data_interval_end'),
    last_scheduling_decision: d('last_scheduling_decision'),
    run_type: row.run_type,
    state: row.state,
    conf: parseConf(row.conf),
    note: row.note ?? null,
  };
  if (flavor.major === 3) {
    return {
      ...common,
      logical_date: d('logical_date'),
      queued_at: d('queued_at'),
      run_after: d('run_after'),
      triggered_by: row.triggered_by ?? null,
      dag_versions: [],
      bundle_version: null,
      dag_display_name: row.dag_id,
    };
  }
  return {
    ...common,
    logical_date: d('execution_date'),
    execution_date: d('execution_date'),
    external_trigger: bool(row.external_trigger),
  };
}

export function taskInstanceShape(flavor: AirflowFlavor, row: Row): Row {
  const d = (key: string) => apiDate(flavor, row[key]);
  const common = {
    task_id: row.task_id,
    dag_id: row.dag_id,
    dag_run_id: row.run_id,
    map_index: row.map_index,
    start_date: d('start_date'),
    end_date: d('end_date'),
    duration: row.duration ?? null,
    state: row.state ?? null,
    try_number: row.try_number,
    max_tries: row.max_tries,
    hostname: row.hostname ?? '',
    unixname: row.unixname ?? '',
    pool: row.pool,
    pool_slots: row.pool_slots,
    queue: row.queue ?? null,
    priority_weight: row.priority_weight ?? null,
    operator: row.operator ?? null,
    queued_when: d('queued_dttm'),
    pid: row.pid ?? null,
    executor_config: '{}',
    note: null,
    rendered_fields: {},
    trigger: null,
    triggerer_job: null,
  };
  if (flavor.major === 3) {
    return {
      id: row.id,
      ...common,
      task_display_name: row.task_id,
      executor: null,
      rendered_map_index: null,
      dag_version: null,
    };
  }
  return { ...common, execution_date: null, sla_miss: null };
}

export function variableShape(flavor: AirflowFlavor, row: Row): Row {
  const base = { key: row.key, value: row.val ?? '', description: row.description ?? null };
  return flavor.major === 3 ? { ...base, is_encrypted: bool(row.is_encrypted) } : base;
}

export function connectionShape(flavor: AirflowFlavor, row: Row, detailed: boolean): Row {
  const base: Row = {
    connection_id: row.conn_id,
    conn_type: row.conn_type,
    description: row.description ?? null,
    host: row.host ?? null,
    login: row.login ?? null,
    schema: row.schema ?? null,
    port: row.port ?? null,
  };
  // Airflow 2 never returns the password; Airflow 3 returns it masked.
  if (flavor.major === 3) return { ...base, password: row.password ? '***' : null, extra: row.extra ?? null };
  return detailed ? { ...base, extra: row.extra ?? null } : base;
}

export function poolShape(row: Row, usage: { running: number; queued: number }): Row {
  const slots = Number(row.slots);
  return {
    name: row.pool,
    slots,
    occupied_slots: usage.running,
    running_slots: usage.running,
    queued_slots: usage.queued,
    scheduled_slots: 0,
    deferred_slots: 0,
    open_slots: slots < 0 ? -1 : Math.max(0, slots - usage.running),
    description: row.description ?? null,
    include_deferred: bool(row.include_deferred),
  };
}
