/**
 * Airflow 3.x backup and restore through the REST API (`kind: rest` in docs/backup-format.md):
 * variables, connections, pools and DAG pause states, plus the DAG run history as a read-only
 * archive. Airflow 3 forbids direct database access from tasks, so no DAG is involved: this
 * function reads and writes through MWAA's InvokeRestApi and answers the task token itself.
 */

import catalogue from '../../dags/mwaa_ops/catalogue.json' with { type: 'json' };
import { AirflowRequestError } from '../shared/airflow/errors.ts';
import type { AirflowClient, RestResponse } from '../shared/airflow/index.ts';
import { MAX_REST_PATH } from '../shared/airflow/index.ts';
import { BackupAlreadyCommittedError } from '../shared/backup/errors.ts';
import {
  ACTIVE_DAGS_FILE,
  type BackupStore,
  buildManifest,
  digest,
  getJson,
  isTransferDag,
  MANIFEST_FILE,
  type Manifest,
  parseManifest,
  putJson,
  type Row,
  readTableFile,
  rowCounts,
  SNAPSHOT_FILE,
  type TableSpec,
  tableEntry,
  verifyBackup,
  writeTableFile,
} from '../shared/backup/index.ts';
import { DagsNotParsedError, RestoreCountMismatchError, SecretsNotExportableError } from './errors.ts';
import type { Secrets, SecretsRequest } from './secrets-task.ts';

/** What Airflow 3's API prints in place of a secret. */
const MASK = '***';
const PAGE = 100;

export interface RestTransferDeps {
  airflow: Pick<AirflowClient, 'rest' | 'setPaused'>;
  /** SendTaskHeartbeat; called between resources. */
  heartbeat: () => Promise<void>;
  now?: () => Date;
  /**
   * Reads what the REST API masks through a task (secrets-task.ts). Without it a masked secret
   * is refused (SecretsNotExportableError), as before.
   */
  secrets?: (request: SecretsRequest) => Promise<Secrets>;
}

export interface TransferTarget {
  environment: string;
  backupId: string;
  executionArn: string;
  airflowVersion: string;
}

/**
 * What the transfer carries and leaves behind: the data catalogue's Airflow 3 entry
 * (dags/mwaa_ops/catalogue.json, majors["3"]), shared with the 2.x DAGs, the emulator and the docs.
 * The table files are written in its order; the rows of each are built below, per REST resource.
 */
const REST_CATALOGUE = catalogue.majors['3'];

const SPECS: Record<string, TableSpec> = Object.fromEntries(
  REST_CATALOGUE.tables.map((table) => [
    table.name,
    { columns: [...table.columns], primaryKey: [...table.primaryKey] },
  ]),
);

const EXCLUDED: Record<string, string> = Object.fromEntries(
  REST_CATALOGUE.excluded.flatMap((group) => group.tables.map((name) => [name, group.why])),
);

/** Connection fields that the REST API and the backup's `connection` table name alike. */
const CONNECTION_DETAILS = ['description', 'host', 'schema', 'login', 'password', 'port', 'extra'] as const;

/** The shared connection fields of `source`, null when absent (both directions of the transfer). */
function connectionDetails(source: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(CONNECTION_DETAILS.map((field) => [field, source[field] ?? null]));
}

function expect2xx(response: RestResponse, what: string): Record<string, unknown> {
  if (response.status >= 200 && response.status < 300)
    return (response.body ?? {}) as Record<string, unknown>;
  // Airflow's detail may quote the request body (secrets): report the status only.
  throw new AirflowRequestError(`Airflow refused to ${what} (HTTP ${response.status})`, {
    status: response.status,
  });
}

async function listAll(
  deps: RestTransferDeps,
  environment: string,
  path: string,
  member: string,
  query: Record<string, string> = {},
): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const response = await deps.airflow.rest(environment, {
      method: 'GET',
      path,
      query: { ...query, limit: PAGE, offset },
    });
    const body = expect2xx(response, `list ${path}`);
    const items = (body[member] ?? []) as Record<string, unknown>[];
    out.push(...items);
    const total = Number(body.total_entries ?? out.length);
    if (items.length < PAGE || out.length >= total) return out;
  }
}

function itemPath(collection: string, id: string): string {
  const path = `/${collection}/${encodeURIComponent(id)}`;
  if (path.length > MAX_REST_PATH) {
    throw new AirflowRequestError(
      `The ${collection} id ${id.slice(0, 20)}… is too long for InvokeRestApi's ${MAX_REST_PATH}-character path`,
    );
  }
  return path;
}

const masked = (value: unknown) =>
  typeof value === 'string' && (value === MASK || value.includes(`"${MASK}"`));

/** Read everything, write the table files and the manifest (last); returns the manifest. */
export async function exportThroughRest(
  deps: RestTransferDeps,
  store: BackupStore,
  target: TransferTarget,
): Promise<{ manifest: Manifest; resumed: boolean }> {
  const { environment } = target;
  const existing = await store.get(MANIFEST_FILE);
  if (existing !== undefined) {
    const manifest = parseManifest(Buffer.from(existing).toString('utf8'));
    if (manifest.createdBy.executionArn === target.executionArn) return { manifest, resumed: true };
    throw new BackupAlreadyCommittedError(
      `${store.prefix}${MANIFEST_FILE} already exists: a committed backup is immutable; start a new execution`,
    );
  }

  const dags = await listAll(deps, environment, '/dags', 'dags');
  const previous = (await getJson<{ activeDags?: string[] }>(store, ACTIVE_DAGS_FILE))?.activeDags ?? [];
  const nowActive = dags.filter((d) => d.is_paused === false).map((d) => String(d.dag_id));
  const active = [...new Set([...previous, ...nowActive])].filter((id) => !isTransferDag(id)).sort();
  // Remembered before pausing: a retried or failed export still knows what to re-enable.
  await putJson(store, ACTIVE_DAGS_FILE, { activeDags: active, executionArn: target.executionArn });
  const paused: string[] = [];
  try {
    for (const dagId of active) {
      await deps.airflow.setPaused(environment, dagId, true);
      paused.push(dagId);
    }
    await deps.heartbeat();

    const variables = await listAll(deps, environment, '/variables', 'variables');
    const connections = await listAll(deps, environment, '/connections', 'connections');
    const request: SecretsRequest = {
      variableKeys: variables.filter((v) => masked(v.value)).map((v) => String(v.key)),
      connectionIds: connections
        .filter((c) => masked(c.password) || masked(c.extra))
        .map((c) => String(c.connection_id)),
    };
    if (request.variableKeys.length + request.connectionIds.length > 0) {
      if (!deps.secrets) {
        const problems = [
          ...request.variableKeys.map((key) => `variable ${key}`),
          ...request.connectionIds.map((id) => `connection ${id}`),
        ];
        throw new SecretsNotExportableError(
          `Airflow ${target.airflowVersion} masks secrets in its REST API, so these cannot be backed up: ${problems.join(', ')}. Keep them in a secrets backend (e.g. Secrets Manager) or remove them before pausing.`,
        );
      }
      unmask(variables, connections, await deps.secrets(request));
      await deps.heartbeat();
    }
    const pools = await listAll(deps, environment, '/pools', 'pools');
    const runs = await listAll(deps, environment, '/dags/~/dagRuns', 'dag_runs', { order_by: 'id' });
    await deps.heartbeat();

    const rows: Record<string, Row[]> = {
      variable: variables
        .map((v) => ({ key: v.key, val: v.value, description: v.description ?? null }))
        .sort(byKey('key')),
      connection: connections
        .map((c) => ({ conn_id: c.connection_id, conn_type: c.conn_type, ...connectionDetails(c) }))
        .sort(byKey('conn_id')),
      slot_pool: pools
        .map((p) => ({
          pool: p.name,
          slots: p.slots,
          description: p.description ?? null,
          include_deferred: p.include_deferred === true,
        }))
        .sort(byKey('pool')),
      // Pause states as they were before this export paused anything.
      dag: dags
        .filter((d) => !isTransferDag(String(d.dag_id)))
        .map((d) => ({
          dag_id: d.dag_id,
          is_paused: !active.includes(String(d.dag_id)) && d.is_paused !== false,
        }))
        .sort(byKey('dag_id')),
      dag_run: runs.map((r) => ({ ...r, run_id: r.dag_run_id })).sort(byKey('dag_id', 'run_id')),
    };

    const tables: Manifest['tables'] = {};
    for (const [name, spec] of Object.entries(SPECS)) {
      const file = await writeTableFile(spec.columns, rows[name] ?? []);
      const entry = tableEntry(name, spec, file);
      await store.put(entry.file, file.body, 'application/gzip');
      tables[name] = entry;
    }
    await deps.heartbeat();
    const snapshot = await store.get(SNAPSHOT_FILE);
    const manifest = buildManifest({
      backupId: target.backupId,
      environment,
      airflowVersion: target.airflowVersion,
      kind: 'rest',
      createdAt: (deps.now ?? (() => new Date()))(),
      createdBy: { writer: 'mwaa-ops-metadata-transfer', executionArn: target.executionArn },
      activeDags: active,
      pausedDags: dags
        .map((d) => String(d.dag_id))
        .filter((id) => !isTransferDag(id) && !active.includes(id))
        .sort(),
      ...(snapshot === undefined ? {} : { snapshot: { file: SNAPSHOT_FILE, ...digest(snapshot) } }),
      tables,
      excluded: EXCLUDED,
    });
    await putJson(store, MANIFEST_FILE, manifest);
    return { manifest, resumed: false };
  } catch (error) {
    // Leave the environment as it was: the DAGs this export paused run again.
    for (const dagId of paused) {
      await deps.airflow.setPaused(environment, dagId, false).catch(() => undefined);
    }
    throw error;
  }
}

/** Fields a task and the REST API both show in clear: equal unless a secrets backend shadows the row. */
const CLEAR_FIELDS = ['conn_type', 'host', 'schema', 'login', 'port'] as const;

/**
 * Put the task's values in place of the API's `***`, in place. A connection the task sees with
 * other clear fields than the API lists is shadowed by a secrets backend (tasks read backends
 * first): the database row's secret cannot be read then, so the export refuses.
 */
function unmask(
  variables: Record<string, unknown>[],
  connections: Record<string, unknown>[],
  secrets: Secrets,
) {
  for (const variable of variables) {
    const value = secrets.variables.get(String(variable.key));
    if (value !== undefined) variable.value = value;
  }
  const shadowed: string[] = [];
  for (const connection of connections) {
    const full = secrets.connections.get(String(connection.connection_id));
    if (!full) continue;
    if (CLEAR_FIELDS.some((field) => (full[field] ?? null) !== (connection[field] ?? null))) {
      shadowed.push(String(connection.connection_id));
      continue;
    }
    connection.password = full.password;
    connection.extra = full.extra;
  }
  if (shadowed.length) {
    throw new SecretsNotExportableError(
      `These connections are also defined in a secrets backend, which tasks read first, so the secret stored in Airflow cannot be read: ${shadowed.join(', ')}. Remove the duplicate (backend or Airflow) before pausing.`,
    );
  }
}

function byKey(...keys: string[]) {
  return (a: Row, b: Row) => {
    for (const key of keys) {
      const x = String(a[key] ?? '');
      const y = String(b[key] ?? '');
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  };
}

/** One REST collection that an import makes equal to the backup. */
interface SyncedCollection {
  /** Path segment and list member: `variables`, `connections`, `pools`. */
  collection: string;
  /** The id field of a listed item. */
  idField: string;
  /** Singular noun for error messages. */
  label: string;
  /** An id Airflow refuses to delete; left in place when the backup lacks it. */
  undeletable?: string;
  /**
   * Fields Airflow 3 lets a PATCH of `undeletable` change. Airflow 3.0 answers 400 to any other
   * update of default_pool (its description cannot be restored through the API) and reads
   * `update_mask` as a repeated parameter, which InvokeRestApi's query map cannot repeat: after a
   * refused full PATCH, one PATCH per field.
   */
  undeletableFields?: string[];
}

/**
 * Make `spec.collection` hold exactly `wanted`: PATCH the items that exist, POST the others,
 * DELETE what the backup does not hold, then heartbeat. Re-running it is harmless.
 */
async function syncCollection(
  deps: RestTransferDeps,
  environment: string,
  spec: SyncedCollection,
  wanted: Array<{ id: string; body: Record<string, unknown> }>,
): Promise<void> {
  const { rest } = deps.airflow;
  const { collection, idField, label } = spec;
  const existing = new Set(
    (await listAll(deps, environment, `/${collection}`, collection)).map((item) => String(item[idField])),
  );
  for (const { id, body } of wanted) {
    if (existing.has(id) && id === spec.undeletable && spec.undeletableFields) {
      const full = await rest(environment, { method: 'PATCH', path: itemPath(collection, id), body });
      if (full.status !== 400) {
        expect2xx(full, `restore ${label} ${id}`);
        continue;
      }
      for (const field of spec.undeletableFields) {
        const response = await rest(environment, {
          method: 'PATCH',
          path: itemPath(collection, id),
          query: { update_mask: field },
          body: { [field]: body[field] },
        });
        expect2xx(response, `restore ${label} ${id} (${field})`);
      }
      continue;
    }
    const response = existing.has(id)
      ? await rest(environment, { method: 'PATCH', path: itemPath(collection, id), body })
      : await rest(environment, { method: 'POST', path: `/${collection}`, body });
    expect2xx(response, `restore ${label} ${id}`);
  }
  const wantedIds = new Set(wanted.map((item) => item.id));
  for (const id of existing) {
    if (!wantedIds.has(id) && id !== spec.undeletable)
      expect2xx(
        await rest(environment, { method: 'DELETE', path: itemPath(collection, id) }),
        `delete ${label} ${id}`,
      );
  }
  await deps.heartbeat();
}

/**
 * Restore variables, connections and pools with replace semantics, then unpause `activeDags`;
 * the answer counts what the target holds afterwards, checked against the manifest.
 */
export async function importThroughRest(
  deps: RestTransferDeps,
  store: BackupStore,
  target: Pick<TransferTarget, 'environment' | 'backupId'> & {
    /** The manifest digest the registry recorded: a manifest swapped since is refused. */
    expectedManifestSha256?: string | null;
  },
): Promise<{ restored: Record<string, number>; archivedOnly: string[]; manifest: Manifest }> {
  const { environment } = target;
  const { manifest, files } = await verifyBackup(store, target);
  const read = (name: string): Row[] => {
    const entry = manifest.tables[name];
    const body = files.get(name);
    return entry && body ? readTableFile(body, entry.columns) : [];
  };

  // Variables, connections, pools: update or create each, then remove the ones the backup does not hold.
  await syncCollection(
    deps,
    environment,
    { collection: 'variables', idField: 'key', label: 'variable' },
    read('variable').map((v) => ({
      id: String(v.key),
      body: { key: v.key, value: v.val ?? '', description: v.description ?? null },
    })),
  );
  await syncCollection(
    deps,
    environment,
    { collection: 'connections', idField: 'connection_id', label: 'connection' },
    read('connection').map((c) => ({
      id: String(c.conn_id),
      body: { connection_id: String(c.conn_id), conn_type: c.conn_type, ...connectionDetails(c) },
    })),
  );
  await syncCollection(
    deps,
    environment,
    // default_pool cannot be deleted; it is updated in place when the backup holds it.
    {
      collection: 'pools',
      idField: 'name',
      label: 'pool',
      undeletable: 'default_pool',
      undeletableFields: ['slots', 'include_deferred'],
    },
    read('slot_pool').map((p) => ({
      id: String(p.pool),
      body: {
        name: String(p.pool),
        slots: Number(p.slots),
        description: p.description ?? null,
        include_deferred: p.include_deferred === true || p.include_deferred === 1,
      },
    })),
  );

  // DAG pause states, both ways: the previously active DAGs are unpaused, the previously paused
  // ones paused (a DAG file may say is_paused_upon_creation=False).
  const present = new Set((await listAll(deps, environment, '/dags', 'dags')).map((d) => String(d.dag_id)));
  const missing = manifest.activeDags.filter((id) => !present.has(id));
  if (missing.length) {
    throw new DagsNotParsedError(
      `${missing.length} previously active DAG(s) are not parsed yet in ${environment} (${missing.slice(0, 5).join(', ')}); the import is safe to retry`,
    );
  }
  for (const dagId of manifest.activeDags) await deps.airflow.setPaused(environment, dagId, false);
  for (const dagId of manifest.pausedDags ?? []) {
    if (present.has(dagId)) await deps.airflow.setPaused(environment, dagId, true);
  }

  const restored = {
    variable: (await listAll(deps, environment, '/variables', 'variables')).length,
    connection: (await listAll(deps, environment, '/connections', 'connections')).length,
    slot_pool: (await listAll(deps, environment, '/pools', 'pools')).length,
  };
  const problems = Object.entries(restored)
    .filter(([name, count]) => manifest.tables[name] !== undefined && manifest.tables[name]?.rows !== count)
    .map(([name, count]) => `${name}: ${count} of ${manifest.tables[name]?.rows}`);
  if (problems.length)
    throw new RestoreCountMismatchError(`Restored counts differ from the manifest: ${problems.join('; ')}`);
  const archivedOnly = Object.keys(manifest.tables).filter((name) => !(name in restored) && name !== 'dag');
  return { restored: { ...restored, dag: manifest.activeDags.length }, archivedOnly, manifest };
}

export { rowCounts };
