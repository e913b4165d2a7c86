/**
 * One environment's Airflow: its metadata store plus the part of the scheduler the project
 * needs — triggered runs move queued → running → success (or failed) on the emulated clock —
 * and the inspector tests use to seed and read it.
 */
import type { Clock } from '../../core/clock.ts';
import {
  DagRunAlreadyExistsError,
  type MetadataStore,
  openMetadataStore,
  type Row,
  type TableName,
} from './metadata-store.ts';
import { type AirflowFlavor, flavorOf } from './versions.ts';

/** Emulated time a triggered run waits in `queued` before the scheduler starts it. */
export const QUEUED_MS = 15_000;
/** Emulated time a run takes when its DAG declares no duration. */
export const DEFAULT_RUN_MS = 120_000;

export class DagNotFoundError extends Error {
  override name = 'DagNotFoundError';
}

export interface DagDeclaration {
  /** The run ends `failed` instead of `success`. */
  fail?: boolean;
  /** Emulated run time once running. */
  durationMs?: number;
  /** Task ids, run in order; default one task named `run`. */
  tasks?: string[];
}

/** What a DAG behaviour receives when a run of its DAG starts (it reads `conf`). */
export interface DagBehaviourContext {
  environment: string;
  airflowVersion: string;
  dagId: string;
  runId: string;
  conf: Record<string, unknown>;
  store: MetadataStore;
  clock: Clock;
}

/**
 * Code that stands in for a DAG's Python when a run starts: the export/import DAGs plug in here.
 * Resolve with the run's final state; resolving with nothing falls back to the declared outcome.
 */
export type DagBehaviour = (
  ctx: DagBehaviourContext,
) => Promise<'success' | 'failed' | undefined> | 'success' | 'failed' | undefined;

export interface DagBehaviourRegistry {
  /** Attach a behaviour to DAG ids equal to `match` (string), matching it (RegExp) or accepted by it (function). */
  /**
   * With `options.environment` the behaviour applies to that environment only and wins over
   * behaviours registered for every environment (how a test puts real Airflow behind one
   * environment's transfer DAGs while the others keep the emulated ones).
   */
  register(
    match: string | RegExp | ((dagId: string) => boolean),
    behaviour: DagBehaviour,
    options?: { environment?: string },
  ): void;
  find(dagId: string, environment?: string): DagBehaviour | undefined;
  clear(): void;
  /**
   * Put a DAG into every environment created from now on, as a DAG file in the shared DAG folder
   * would be parsed into each new environment (paused by default, like MWAA's
   * `dags_are_paused_at_creation`). Existing environments are not touched.
   */
  preinstall(dagId: string, options?: { paused?: boolean }): void;
  preinstalled(): Array<{ dagId: string; paused: boolean }>;
}

export function createDagBehaviourRegistry(): DagBehaviourRegistry {
  let entries: Array<{ test: (dagId: string) => boolean; behaviour: DagBehaviour; environment?: string }> =
    [];
  const installed = new Map<string, boolean>();
  return {
    register(match, behaviour, options = {}) {
      const test =
        typeof match === 'string'
          ? (id: string) => id === match
          : match instanceof RegExp
            ? (id: string) => match.test(id)
            : match;
      entries.push({ test, behaviour, ...(options.environment ? { environment: options.environment } : {}) });
    },
    find: (dagId, environment) =>
      (
        entries.find((e) => e.environment !== undefined && e.environment === environment && e.test(dagId)) ??
        entries.find((e) => e.environment === undefined && e.test(dagId))
      )?.behaviour,
    clear() {
      entries = [];
      installed.clear();
    },
    preinstall(dagId, options = {}) {
      installed.set(dagId, options.paused ?? true);
    },
    preinstalled: () => [...installed].map(([dagId, paused]) => ({ dagId, paused })),
  };
}

export interface TriggerOptions {
  runId?: string;
  conf?: Record<string, unknown>;
  /** 3.x: may be null (no logical date). 2.x: defaults to now. */
  logicalDate?: string | null;
  note?: string | null;
  /** Who triggered (3.x `triggered_by`): 'rest_api', 'cli', 'test'. */
  triggeredBy?: string;
}

/** Seed and inspect one environment's Airflow (`cloud.airflow(env)`). */
export interface AirflowInspector {
  readonly environment: string;
  readonly version: string;
  readonly store: MetadataStore;
  addDag(
    dagId: string,
    options?: DagDeclaration & { paused?: boolean; fileloc?: string; description?: string },
  ): void;
  declareDag(dagId: string, declaration: DagDeclaration): void;
  /**
   * What the scheduler computed for the DAG's next run, as Airflow keeps it in the `dag` table:
   * `runAfter` (next_dagrun_create_after, when the run will be created), the run's logical date
   * (next_dagrun, by default one `intervalMs` before runAfter, as for an interval timetable) and
   * its data interval. `runAfter: null` is a DAG without a predictable next run.
   */
  setNextRun(
    dagId: string,
    next: { runAfter: string | null; intervalMs?: number; scheduleInterval?: string },
  ): void;
  triggerDagRun(dagId: string, options?: TriggerOptions): Row;
  dagRuns(dagId?: string): Row[];
  taskInstances(dagId?: string, runId?: string): Row[];
  /** Resolves when the run reaches one of `states` (default: success or failed). */
  waitForRun(dagId: string, runId: string, states?: string[]): Promise<Row>;
  variables(): Record<string, string>;
  setVariable(key: string, value: string, description?: string): void;
  connections(): Row[];
  setConnection(connection: Row & { conn_id: string; conn_type: string }): void;
  pools(): Row[];
  setPool(pool: string, slots: number, description?: string, includeDeferred?: boolean): void;
  runQuery(sql: string, ...params: Array<string | number | null>): Row[];
  dump(): Record<TableName, Row[]>;
}

export interface AirflowInstance extends AirflowInspector {
  readonly flavor: AirflowFlavor;
  /** The emulated clock the instance keeps time with (the CLI's "now"). */
  readonly clock: Clock;
  setPaused(dagId: string, paused: boolean): void;
  /** Change the Airflow version in place (the upgrade's database migration). */
  setVersion(version: string): void;
  close(): void;
}

const iso = (ms: number) => new Date(ms).toISOString().replace('Z', '+00:00');

export function createAirflowInstance(options: {
  environment: string;
  version: string;
  clock: Clock;
  behaviours: DagBehaviourRegistry;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}): AirflowInstance {
  const { environment, clock, behaviours } = options;
  let flavor = flavorOf(options.version);
  const store = openMetadataStore(flavor.major);
  const declarations = new Map<string, DagDeclaration>();
  const cancels = new Set<() => void>();
  const waiters = new Set<() => void>();
  let closed = false;

  const later = (ms: number, fn: () => void) => {
    const cancel = clock.after(ms, () => {
      cancels.delete(cancel);
      if (!closed) fn();
    });
    cancels.add(cancel);
  };
  const notify = () => {
    for (const w of [...waiters]) w();
  };

  const getRun = (dagId: string, runId: string) =>
    store.get('SELECT * FROM dag_run WHERE dag_id = ? AND run_id = ?', dagId, runId);
  const dagRow = (dagId: string) => store.get('SELECT * FROM dag WHERE dag_id = ?', dagId);

  const finish = (dagId: string, runId: string, state: 'success' | 'failed') => {
    const run = getRun(dagId, runId);
    if (run?.state !== 'running') return;
    const now = clock.now();
    const nowIso = iso(now);
    store.run(
      'UPDATE dag_run SET state = ?, end_date = ?, updated_at = ? WHERE id = ?',
      state,
      nowIso,
      nowIso,
      Number(run.id),
    );
    const tis = store.all(
      'SELECT task_id FROM task_instance WHERE dag_id = ? AND run_id = ? ORDER BY rowid',
      dagId,
      runId,
    );
    const started = Date.parse(String(run.start_date));
    tis.forEach((ti, index) => {
      const tiState = state === 'success' ? 'success' : index === 0 ? 'failed' : 'upstream_failed';
      store.run(
        'UPDATE task_instance SET state = ?, end_date = ?, duration = ?, updated_at = ? WHERE dag_id = ? AND run_id = ? AND task_id = ?',
        tiState,
        nowIso,
        (now - started) / 1000,
        nowIso,
        dagId,
        runId,
        String(ti.task_id),
      );
    });
    store.insert('log', {
      dttm: nowIso,
      dag_id: dagId,
      event: `dag_run_${state}`,
      run_id: runId,
      owner: 'airflow',
    });
    options.log?.(`DAG run ${state}`, { environment, dagId, runId });
    notify();
  };

  const start = (dagId: string, runId: string) => {
    const run = getRun(dagId, runId);
    if (run?.state !== 'queued') return;
    if (Number(dagRow(dagId)?.is_paused) === 1) return; // a paused DAG's runs wait in the queue
    const nowIso = iso(clock.now());
    store.run(
      'UPDATE dag_run SET state = ?, start_date = ?, updated_at = ? WHERE id = ?',
      'running',
      nowIso,
      nowIso,
      Number(run.id),
    );
    const declaration = declarations.get(dagId) ?? {};
    for (const taskId of declaration.tasks ?? ['run']) {
      store.insert('task_instance', {
        id: flavor.major === 3 ? crypto.randomUUID() : undefined,
        task_id: taskId,
        dag_id: dagId,
        run_id: runId,
        map_index: -1,
        start_date: nowIso,
        state: 'running',
        try_number: 1,
        max_tries: 0,
        hostname: 'ip-10-0-0-1.ec2.internal',
        unixname: 'airflow',
        pool: 'default_pool',
        pool_slots: 1,
        queue: 'default',
        priority_weight: 1,
        operator: 'PythonOperator',
        queued_dttm: String(run.queued_at),
        updated_at: nowIso,
      });
    }
    notify();
    const declared: 'success' | 'failed' = declaration.fail ? 'failed' : 'success';
    const behaviour = behaviours.find(dagId, environment);
    if (!behaviour) {
      later(declaration.durationMs ?? DEFAULT_RUN_MS, () => finish(dagId, runId, declared));
      return;
    }
    const conf = parseConf(run.conf);
    Promise.resolve()
      .then(() =>
        behaviour({ environment, airflowVersion: flavor.version, dagId, runId, conf, store, clock }),
      )
      .then(
        (outcome) => {
          if (!closed) finish(dagId, runId, outcome ?? declared);
        },
        (error: unknown) => {
          options.log?.('DAG behaviour failed', { environment, dagId, runId, error: String(error) });
          if (!closed) finish(dagId, runId, 'failed');
        },
      );
  };

  const startQueued = (dagId: string) => {
    for (const run of store.all("SELECT run_id FROM dag_run WHERE dag_id = ? AND state = 'queued'", dagId)) {
      const runId = String(run.run_id);
      later(QUEUED_MS, () => start(dagId, runId));
    }
  };

  const instance: AirflowInstance = {
    environment,
    clock,
    get version() {
      return flavor.version;
    },
    get flavor() {
      return flavor;
    },
    store,
    addDag(dagId, opts = {}) {
      const { paused = false, fileloc, description, ...declaration } = opts;
      store.run('DELETE FROM dag WHERE dag_id = ?', dagId);
      store.insert('dag', {
        dag_id: dagId,
        is_paused: paused,
        is_active: true,
        is_stale: false,
        last_parsed_time: iso(clock.now()),
        fileloc: fileloc ?? `/usr/local/airflow/dags/${dagId}.py`,
        owners: 'airflow',
        description: description ?? null,
        timetable_description: 'Never, external triggers only',
      });
      declarations.set(dagId, { ...declarations.get(dagId), ...declaration });
    },
    declareDag(dagId, declaration) {
      declarations.set(dagId, { ...declarations.get(dagId), ...declaration });
    },
    setNextRun(dagId, next) {
      if (!dagRow(dagId)) throw new DagNotFoundError(`DAG ${dagId} not found`);
      const after = next.runAfter === null ? null : Date.parse(next.runAfter);
      const start = after === null ? null : iso(after - (next.intervalMs ?? 86_400_000));
      store.run(
        'UPDATE dag SET schedule_interval = ?, timetable_description = ?, next_dagrun = ?, next_dagrun_data_interval_start = ?, next_dagrun_data_interval_end = ?, next_dagrun_create_after = ? WHERE dag_id = ?',
        next.scheduleInterval ?? null,
        next.scheduleInterval ? `Schedule: ${next.scheduleInterval}` : 'Never, external triggers only',
        start,
        start,
        after === null ? null : iso(after),
        after === null ? null : iso(after),
        dagId,
      );
    },
    setPaused(dagId, paused) {
      if (!dagRow(dagId)) throw new DagNotFoundError(`DAG ${dagId} not found`);
      store.run('UPDATE dag SET is_paused = ? WHERE dag_id = ?', paused ? 1 : 0, dagId);
      store.insert('log', {
        dttm: iso(clock.now()),
        dag_id: dagId,
        event: paused ? 'paused' : 'unpaused',
        owner: 'airflow',
      });
      if (!paused) startQueued(dagId);
    },
    triggerDagRun(dagId, trigger = {}) {
      if (!dagRow(dagId)) throw new DagNotFoundError(`DAG with dag_id: '${dagId}' not found`);
      const now = clock.now();
      const nowIso = iso(now);
      const logical = trigger.logicalDate === undefined ? nowIso : trigger.logicalDate;
      const runId = trigger.runId ?? `manual__${logical ?? nowIso}`;
      // Airflow's own wording (DagRunAlreadyExists), whichever of the two keys clashed.
      const clash = `A DAG Run already exists for DAG ${dagId} at ${logical} with run id ${runId}`;
      if (getRun(dagId, runId)) throw new DagRunAlreadyExistsError(clash);
      if (
        flavor.major === 2 &&
        store.get('SELECT 1 FROM dag_run WHERE dag_id = ? AND execution_date = ?', dagId, logical)
      ) {
        throw new DagRunAlreadyExistsError(clash);
      }
      store.insert('dag_run', {
        dag_id: dagId,
        queued_at: nowIso,
        [store.dateColumn]: logical,
        state: 'queued',
        run_id: runId,
        external_trigger: true,
        run_after: nowIso,
        triggered_by: trigger.triggeredBy ?? 'rest_api',
        run_type: 'manual',
        conf: JSON.stringify(trigger.conf ?? {}),
        data_interval_start: logical ?? nowIso,
        data_interval_end: logical ?? nowIso,
        updated_at: nowIso,
        clear_number: 0,
        note: trigger.note ?? null,
      });
      store.insert('log', { dttm: nowIso, dag_id: dagId, event: 'trigger', run_id: runId, owner: 'airflow' });
      options.log?.('DAG run queued', { environment, dagId, runId });
      later(QUEUED_MS, () => start(dagId, runId));
      notify();
      return getRun(dagId, runId) as Row;
    },
    dagRuns: (dagId) =>
      dagId
        ? store.all('SELECT * FROM dag_run WHERE dag_id = ? ORDER BY id', dagId)
        : store.all('SELECT * FROM dag_run ORDER BY id'),
    taskInstances(dagId, runId) {
      if (dagId && runId)
        return store.all(
          'SELECT * FROM task_instance WHERE dag_id = ? AND run_id = ? ORDER BY rowid',
          dagId,
          runId,
        );
      if (dagId) return store.all('SELECT * FROM task_instance WHERE dag_id = ? ORDER BY rowid', dagId);
      return store.all('SELECT * FROM task_instance ORDER BY rowid');
    },
    waitForRun(dagId, runId, states = ['success', 'failed']) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (closed) {
            waiters.delete(check);
            reject(new Error(`Environment ${environment} closed while waiting for ${dagId}/${runId}`));
            return;
          }
          const run = getRun(dagId, runId);
          if (run && states.includes(String(run.state))) {
            waiters.delete(check);
            resolve(run);
          }
        };
        waiters.add(check);
        check();
      });
    },
    variables: () =>
      Object.fromEntries(
        store
          .all('SELECT key, val FROM variable ORDER BY key')
          .map((r) => [String(r.key), String(r.val ?? '')]),
      ),
    setVariable(key, value, description) {
      store.run(
        'INSERT INTO variable (key, val, description, is_encrypted) VALUES (?, ?, ?, 0) ON CONFLICT(key) DO UPDATE SET val = excluded.val, description = excluded.description',
        key,
        value,
        description ?? null,
      );
    },
    connections: () => store.all('SELECT * FROM connection ORDER BY conn_id'),
    setConnection(connection) {
      store.run('DELETE FROM connection WHERE conn_id = ?', connection.conn_id);
      store.insert('connection', connection);
    },
    pools: () => store.all('SELECT * FROM slot_pool ORDER BY pool'),
    setPool(pool, slots, description, includeDeferred = false) {
      store.run(
        'INSERT INTO slot_pool (pool, slots, description, include_deferred) VALUES (?, ?, ?, ?) ON CONFLICT(pool) DO UPDATE SET slots = excluded.slots, description = excluded.description, include_deferred = excluded.include_deferred',
        pool,
        slots,
        description ?? null,
        includeDeferred ? 1 : 0,
      );
    },
    runQuery: (sql, ...params) => store.all(sql, ...params),
    dump: () => store.dump(),
    setVersion(version) {
      const next = flavorOf(version);
      store.migrate(next.major);
      flavor = next;
    },
    close() {
      closed = true;
      for (const cancel of cancels) cancel();
      cancels.clear();
      notify();
      store.close();
    },
  };
  for (const { dagId, paused } of behaviours.preinstalled()) instance.addDag(dagId, { paused });
  return instance;
}

export function parseConf(value: unknown): Record<string, unknown> {
  if (typeof value !== 'string' || value === '') return {};
  try {
    const parsed: unknown = JSON.parse(value);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}
