/**
 * The export/import DAGs of Airflow 2.x (`mwaa_ops_export`, `mwaa_ops_import`), emulated: DAG
 * behaviours on the local MWAA that read and write the environment's metadata store in the
 * backup format (docs/backup-format.md), heartbeat and answer the Step Functions task token
 * through the local Step Functions API, as the Python DAGs in dags/ do on a real environment.
 *
 * What they do, in the same order as the Python DAGs:
 *   export: committed backup? (same execution → answer again; other → refuse)
 *           → active-dags.json → pause the active DAGs → one table file per table → manifest LAST
 *           → SendTaskSuccess({backupId, manifestKey, tables, activeDags}); on failure unpause
 *           what it paused and SendTaskFailure.
 *   import: the manifest's bytes have conf.backup.manifestSha256 (when given) → verify the
 *           backup (manifest, sizes, SHA-256) → one SQLite transaction: tables in
 *           dependency order, generated keys re-drawn and references rewritten, variables /
 *           connections / pools replaced, a marker log row → counts equal the manifest →
 *           previously active DAGs unpaused, previously paused ones paused (placeholder rows for DAGs the environment has not
 *           parsed yet) → SendTaskSuccess({backupId, restored}). A re-run after a committed
 *           import finds the marker and only answers.
 *
 * The backup files are written and read with this emulator's own implementation of the format
 * (backup-format.ts, written from the document), never with the product's functions/shared/backup:
 * MetadataTransferFunction verifies these backups, and must be able to disagree.
 *
 * Faults for tests: `faults.set(env, 'export-fails' | 'no-heartbeat' | 'corrupt-checksum' |
 * 'import-fails' | 'rewrite-snapshot')`, in force until `faults.clear(env)`.
 *
 * @example
 * const transfer = installTransferDags(mwaa, { s3, sfn });
 * transfer.faults.set('dev', 'corrupt-checksum');
 */

import { S3Client } from '@aws-sdk/client-s3';
import {
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import catalogue from '../../dags/mwaa_ops/catalogue.json' with { type: 'json' };
import type { DagBehaviourContext, DagBehaviourRegistry } from './airflow/instance.ts';
import { type MetadataStore, TABLES, type TableName } from './airflow/metadata-store.ts';
import {
  ACTIVE_DAGS,
  type BackupObjects,
  BackupRefused,
  commitBackup,
  decodeTableFile,
  fingerprint,
  importOrder,
  type KeyMaps,
  MANIFEST,
  type Manifest,
  newManifest,
  type Row,
  readJson,
  readManifest,
  rewriteReferences,
  rowCounts,
  SNAPSHOT,
  s3BackupObjects,
  type TableSpec,
  verifyBackup,
  writeJson,
  writeTable,
} from './backup-format.ts';
import {
  acceptRun,
  blankTaskToken,
  RefusedRun,
  settingsFrom,
  type TransferPhase,
  type TransferSettings,
} from './transfer-acceptance.ts';

/** The DAG ids the product triggers (docs/pause-resume.md); the backup never pauses or carries them. */
export const EXPORT_DAG_ID = 'mwaa_ops_export';
export const IMPORT_DAG_ID = 'mwaa_ops_import';
const isTransferDag = (dagId: string) => dagId === EXPORT_DAG_ID || dagId === IMPORT_DAG_ID;

export type TransferFault =
  | 'export-fails'
  | 'no-heartbeat'
  | 'corrupt-checksum'
  | 'import-fails'
  /** The export (running as the execution role) rewrites environment.json, manifest to match. */
  | 'rewrite-snapshot';

/** Injected failures per environment, in force until cleared. */
export interface TransferFaults {
  set(environment: string, fault: TransferFault): void;
  get(environment: string): TransferFault | undefined;
  /** Clear one environment's fault, or all. */
  clear(environment?: string): void;
}

export interface TransferDagsOptions {
  /** S3 client against the local S3 (the backup bucket). */
  s3: Pick<S3Client, 'send'>;
  /** SFN client against the local Step Functions API (AWS_ENDPOINT_URL_SFN). */
  sfn: Pick<SFNClient, 'send'>;
  /** KMS key id/ARN written with every object (SSE-KMS); the local S3 accepts any. */
  kmsKeyId?: string;
  /** Log lines without values (the cloud's logger). */
  log?: (message: string, fields?: Record<string, unknown>) => void;
  /**
   * What every environment is configured with (docs/pause-resume.md#setup): the stack name and
   * backup bucket an operator sets as `mwaa_ops.stack_name` / `mwaa_ops.backup_bucket`. An
   * environment's own AirflowConfigurationOptions with those keys win (blank = unset, which
   * fails closed as on a real environment). See transfer-acceptance.ts.
   */
  configuration?: Omit<TransferSettings, 'environment'>;
}

export interface TransferDagsHandle {
  faults: TransferFaults;
  /** Task answers sent so far, oldest first: what tests assert on (no values inside). */
  answers: Array<{ dagId: string; environment: string; kind: 'success' | 'failure'; body: string }>;
  /** Runs refused by the acceptance check (transfer-acceptance.ts), oldest first. */
  refused: Array<{ dagId: string; environment: string; error: string; reason: string; answered: boolean }>;
  /** Release runs held by `no-heartbeat` (they end failed, without answering). */
  close(): void;
}

/** What the MWAA emulator handle must offer (MwaaHandle has it). */
export interface TransferDagsHost {
  dagBehaviours: DagBehaviourRegistry;
  environments(): Array<{ name: string; airflowConfigurationOptions?: Record<string, string> }>;
  airflow(environment: string): {
    addDag(dagId: string, options?: { paused?: boolean }): void;
    store: MetadataStore;
  };
}

/** A failure whose name and message are safe to send to Step Functions. */
class TransferFailure extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** Thrown where a `no-heartbeat` run stops: the worker hangs, answers nothing and keeps its state. */
class Hang extends Error {
  override name = 'Hang';
}

const FINISHED = new Set(['success', 'failed', 'skipped', 'upstream_failed', 'removed']);

/**
 * What the emulated DAGs carry comes from the DAGs' own data catalogue (dags/mwaa_ops/catalogue.json,
 * majors["2"]), as the Python DAGs' tables.py reads it: the catalogue is the contract the emulator
 * stands in for, not product code (the emulator still writes and reads the format with its own
 * backup-format.ts). The emulated store decides which of the catalogue's tables exist.
 */
const DATABASE_CATALOGUE = catalogue.majors['2'];

type Mode = 'secret' | 'replace' | 'history';
const MODES: readonly string[] = ['secret', 'replace', 'history'] satisfies Mode[];

interface TableDef {
  name: TableName;
  mode: Mode;
  spec: (store: MetadataStore) => TableSpec;
  orderBy: string;
}

const isStoreTable = (name: string): name is TableName => (TABLES as readonly string[]).includes(name);

/** One catalogue table as the export reads it from the emulated store. */
function tableDef(entry: (typeof DATABASE_CATALOGUE.tables)[number] & { name: TableName }): TableDef {
  if (!MODES.includes(entry.mode)) throw new Error(`catalogue.json: ${entry.name} has mode ${entry.mode}`);
  const omitted = Object.keys(entry.omitted ?? {});
  return {
    name: entry.name,
    mode: entry.mode as Mode,
    spec: (s) => {
      const present = s.columns(entry.name);
      const columns = entry.only ? [...entry.only] : present.filter((c) => !omitted.includes(c));
      // references only for columns this store has (as the Python export does with the live schema)
      const references = Object.entries(entry.references ?? {}).filter(([column]) =>
        columns.includes(column),
      );
      return {
        columns,
        // The 3.x schema's task_instance has a surrogate id, which identifies the row there.
        primaryKey: entry.name === 'task_instance' && present.includes('id') ? ['id'] : [...entry.primaryKey],
        ...(entry.generatedKey ? { generatedKey: entry.generatedKey } : {}),
        ...(references.length ? { references: Object.fromEntries(references) } : {}),
      };
    },
    orderBy: entry.primaryKey.join(', '),
  };
}

/** The tables the emulated export carries, in import order: the catalogue's, where the store has them. */
const CARRIED: TableDef[] = DATABASE_CATALOGUE.tables
  .filter((entry): entry is typeof entry & { name: TableName } => isStoreTable(entry.name))
  .map(tableDef);
const CARRIED_BY_NAME = new Map(CARRIED.map((t) => [t.name as string, t]));

/** The manifest's `excluded`: the catalogue's reasons for the excluded tables the store has. */
const EXCLUDED: Record<string, string> = Object.fromEntries(
  DATABASE_CATALOGUE.excluded.flatMap((group) =>
    group.tables.filter(isStoreTable).map((name) => [name, group.why]),
  ),
);

interface TransferConf {
  taskToken: string;
  bucket: string;
  prefix: string;
  backupId: string;
  environment: string;
  executionArn: string;
  /** Import: SHA-256 of the manifest bytes the workflow verified and recorded (optional). */
  manifestSha256?: string;
}

function readConf(conf: Record<string, unknown>): TransferConf {
  const backup = (conf.backup ?? {}) as Record<string, unknown>;
  const out = {
    taskToken: conf.task_token,
    bucket: backup.bucket,
    prefix: backup.prefix,
    backupId: backup.backupId,
    environment: conf.environment,
    executionArn: conf.execution_arn,
  };
  for (const [key, value] of Object.entries(out)) {
    if (typeof value !== 'string' || value === '')
      throw new TransferFailure('MwaaOps.InvalidConf', `The DAG run conf lacks ${key}`);
  }
  const digest = backup.manifestSha256;
  if (digest === undefined) return out as TransferConf;
  if (typeof digest !== 'string' || !/^[0-9a-f]{64}$/.test(digest))
    throw new TransferFailure(
      'MwaaOps.InvalidConf',
      'conf.backup.manifestSha256 must be 64 lowercase hex digits',
    );
  return { ...(out as TransferConf), manifestSha256: digest };
}

const iso = (ms: number) => new Date(ms).toISOString().replace('Z', '+00:00');

/**
 * S3 and Step Functions clients for the DAG behaviours from the cloud's `env` (endpoints, region,
 * credentials): `installTransferDags(mwaa, transferDagClients(cloud.env))`.
 */
export function transferDagClients(env: Readonly<Record<string, string | undefined>>): {
  s3: S3Client;
  sfn: SFNClient;
} {
  const region = env.AWS_REGION ?? 'us-east-1';
  const credentials = {
    accessKeyId: env.AWS_ACCESS_KEY_ID ?? 'S3RVER',
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? 'S3RVER',
  };
  return {
    s3: new S3Client({
      region,
      credentials,
      ...(env.AWS_ENDPOINT_URL_S3 ? { endpoint: env.AWS_ENDPOINT_URL_S3, forcePathStyle: true } : {}),
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
    sfn: new SFNClient({
      region,
      credentials,
      ...(env.AWS_ENDPOINT_URL_SFN ? { endpoint: env.AWS_ENDPOINT_URL_SFN } : {}),
    }),
  };
}

export function createTransferFaults(): TransferFaults {
  const faults = new Map<string, TransferFault>();
  return {
    set: (environment, fault) => void faults.set(environment, fault),
    get: (environment) => faults.get(environment),
    clear: (environment) => (environment === undefined ? faults.clear() : void faults.delete(environment)),
  };
}

/**
 * Register the export and import DAG behaviours on the local MWAA and make both DAGs exist
 * (paused) in every environment, existing and future, as deployed DAG files would.
 */
export function installTransferDags(
  mwaa: TransferDagsHost,
  options: TransferDagsOptions,
): TransferDagsHandle {
  const faults = createTransferFaults();
  const answers: TransferDagsHandle['answers'] = [];
  const held = new Set<() => void>();
  const refused: TransferDagsHandle['refused'] = [];
  const log = options.log ?? (() => undefined);

  for (const dagId of [EXPORT_DAG_ID, IMPORT_DAG_ID]) {
    mwaa.dagBehaviours.preinstall(dagId, { paused: true });
    for (const { name } of mwaa.environments()) {
      const airflow = mwaa.airflow(name);
      if (!airflow.store.get('SELECT 1 FROM dag WHERE dag_id = ?', dagId))
        airflow.addDag(dagId, { paused: true });
    }
  }

  const answer = async (
    ctx: DagBehaviourContext,
    token: string,
    outcome: { output: unknown } | { error: Error },
  ) => {
    try {
      if ('output' in outcome) {
        const body = JSON.stringify(outcome.output);
        await options.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: body }));
        answers.push({ dagId: ctx.dagId, environment: ctx.environment, kind: 'success', body });
      } else {
        const error = outcome.error.name.startsWith('MwaaOps.')
          ? outcome.error.name
          : 'MwaaOps.UnexpectedFailure';
        // Only messages this module wrote travel; anything else is reduced to its class name.
        const cause =
          outcome.error instanceof TransferFailure
            ? outcome.error.message.slice(0, 500)
            : `${outcome.error.name} in ${ctx.dagId}`;
        await options.sfn.send(new SendTaskFailureCommand({ taskToken: token, error, cause }));
        answers.push({
          dagId: ctx.dagId,
          environment: ctx.environment,
          kind: 'failure',
          body: `${error}: ${cause}`,
        });
      }
    } catch (error) {
      // The task may have timed out already: nobody is waiting, and that is the workflow's business.
      log('task answer not delivered', { dagId: ctx.dagId, runId: ctx.runId, error: (error as Error).name });
    }
  };

  const heartbeat = (token: string) => async () => {
    try {
      await options.sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    } catch (error) {
      const name = (error as Error).name;
      // A closed task is final: stop working rather than write into a backup nobody awaits.
      if (name === 'TaskTimedOut' || name === 'InvalidToken')
        throw new TransferFailure('MwaaOps.TaskClosed', `The task token is no longer open (${name})`);
    }
  };

  const hold = () =>
    new Promise<'failed'>((resolve) => {
      const release = () => {
        held.delete(release);
        resolve('failed');
      };
      held.add(release);
    });

  /** True when the run is refused (and answered only if the refusal allows it). */
  const refuses = async (ctx: DagBehaviourContext, phase: TransferPhase): Promise<boolean> => {
    const own = mwaa.environments().find((e) => e.name === ctx.environment);
    const settings = settingsFrom(ctx.environment, own?.airflowConfigurationOptions, options.configuration);
    try {
      await acceptRun(ctx.conf, phase, settings, options.sfn);
      return false;
    } catch (error) {
      if (!(error instanceof RefusedRun)) throw error;
      log(`${phase} refused`, { runId: ctx.runId, error: error.name, reason: error.message });
      refused.push({
        dagId: ctx.dagId,
        environment: ctx.environment,
        error: error.name,
        reason: error.message,
        answered: error.answer,
      });
      if (error.answer)
        await answer(ctx, String(ctx.conf.task_token), {
          error: new TransferFailure(error.name, error.message),
        });
      return true;
    }
  };

  mwaa.dagBehaviours.register(EXPORT_DAG_ID, async (ctx) => {
    if (await refuses(ctx, 'export')) return 'failed';
    let conf: TransferConf;
    try {
      conf = readConf(ctx.conf);
    } catch (error) {
      log('export conf invalid', { runId: ctx.runId, error: (error as Error).message });
      return 'failed';
    }
    const store = s3BackupObjects(options.s3, {
      bucket: conf.bucket,
      prefix: conf.prefix,
      ...(options.kmsKeyId ? { kmsKeyId: options.kmsKeyId } : {}),
    });
    const fault = faults.get(ctx.environment);
    let paused: string[] = [];
    try {
      const result = await runExport(ctx, conf, store, {
        beat: heartbeat(conf.taskToken),
        fault,
        onPaused: (dags) => {
          paused = dags;
        },
      });
      await answer(ctx, conf.taskToken, { output: result });
      return 'success';
    } catch (error) {
      if (error instanceof Hang) return hold();
      if (paused.length) setPaused(ctx.store, paused, false);
      log('export failed', { environment: ctx.environment, runId: ctx.runId, error: (error as Error).name });
      await answer(ctx, conf.taskToken, { error: error as Error });
      return 'failed';
    }
  });

  mwaa.dagBehaviours.register(IMPORT_DAG_ID, async (ctx) => {
    if (await refuses(ctx, 'import')) return 'failed';
    let conf: TransferConf;
    try {
      conf = readConf(ctx.conf);
    } catch (error) {
      log('import conf invalid', { runId: ctx.runId, error: (error as Error).message });
      return 'failed';
    }
    const store = s3BackupObjects(options.s3, { bucket: conf.bucket, prefix: conf.prefix });
    const fault = faults.get(ctx.environment);
    try {
      const result = await runImport(ctx, conf, store, { beat: heartbeat(conf.taskToken), fault });
      await answer(ctx, conf.taskToken, { output: result });
      return 'success';
    } catch (error) {
      if (error instanceof Hang) return hold();
      log('import failed', { environment: ctx.environment, runId: ctx.runId, error: (error as Error).name });
      await answer(ctx, conf.taskToken, { error: error as Error });
      return 'failed';
    }
  });

  return {
    faults,
    answers,
    refused,
    close() {
      for (const release of [...held]) release();
    },
  };
}

function activeDags(store: MetadataStore): string[] {
  return store
    .all('SELECT dag_id FROM dag WHERE is_paused = 0 ORDER BY dag_id')
    .map((r) => String(r.dag_id))
    .filter((id) => !isTransferDag(id));
}

function pausedDags(store: MetadataStore, active: string[]): string[] {
  return store
    .all('SELECT dag_id FROM dag ORDER BY dag_id')
    .map((r) => String(r.dag_id))
    .filter((id) => !isTransferDag(id) && !active.includes(id));
}

function setPaused(store: MetadataStore, dagIds: string[], paused: boolean): void {
  for (const dagId of dagIds)
    store.run('UPDATE dag SET is_paused = ? WHERE dag_id = ?', paused ? 1 : 0, dagId);
}

interface RunOptions {
  beat: () => Promise<void>;
  fault: TransferFault | undefined;
}

function exportAnswer(manifest: Manifest, prefix: string) {
  return {
    backupId: manifest.backupId,
    manifestKey: `${prefix}${MANIFEST}`,
    tables: rowCounts(manifest),
    activeDags: manifest.activeDags.length,
  };
}

async function runExport(
  ctx: DagBehaviourContext,
  conf: TransferConf,
  backup: BackupObjects,
  options: RunOptions & { onPaused: (dags: string[]) => void },
) {
  const { store } = ctx;
  await options.beat();
  const existing = await backup.get(MANIFEST);
  if (existing !== undefined) {
    const manifest = readManifest(Buffer.from(existing).toString('utf8'));
    if (manifest.createdBy.executionArn === conf.executionArn) {
      // A retry after the commit: the DAGs stay paused, the answer is the same as before.
      setPaused(store, manifest.activeDags, true);
      return exportAnswer(manifest, conf.prefix);
    }
    throw new TransferFailure(
      'MwaaOps.BackupAlreadyCommitted',
      `s3://${conf.bucket}/${conf.prefix}${MANIFEST} already exists: a committed backup is immutable`,
    );
  }

  // Remember, then pause: a retried export finds them paused and still knows them.
  const previous = (await readJson<{ activeDags?: string[] }>(backup, ACTIVE_DAGS))?.activeDags ?? [];
  const active = [...new Set([...previous, ...activeDags(store)])].sort();
  await writeJson(backup, ACTIVE_DAGS, { activeDags: active, executionArn: conf.executionArn });
  setPaused(store, active, true);
  options.onPaused(active);
  if (options.fault === 'no-heartbeat') throw new Hang('export worker hangs');
  if (options.fault === 'export-fails')
    throw new TransferFailure('MwaaOps.TransferFailed', 'Injected failure: the export DAG failed');

  const tables: Manifest['tables'] = {};
  const startedAt = iso(ctx.clock.now());
  for (const table of CARRIED) {
    const spec = table.spec(store);
    const rows = store.all(`SELECT * FROM ${table.name} ORDER BY ${table.orderBy}`).map((row) => {
      // A task token in a run's conf would let whoever reads the backup answer that workflow.
      if (table.name === 'dag_run' && 'conf' in row) row = { ...row, conf: blankTaskToken(row.conf) };
      // The export's own run is history once the backup exists: restored as running, the new
      // scheduler would find a run with no worker behind it.
      if (row.dag_id === ctx.dagId && row.run_id === ctx.runId && !FINISHED.has(String(row.state))) {
        if (table.name === 'dag_run' || table.name === 'task_instance')
          return { ...row, state: 'success', end_date: row.end_date ?? startedAt };
      }
      return row;
    });
    tables[table.name] = await writeTable(backup, table.name, spec, rows);
    await options.beat();
  }
  // The workflow's snapshot step wrote environment.json before the export started.
  if (options.fault === 'rewrite-snapshot') {
    const written = await readJson<Record<string, unknown>>(backup, SNAPSHOT);
    await writeJson(backup, SNAPSHOT, { ...written, DagS3Path: 'rewritten/dags' });
  }
  const snapshot = await backup.get(SNAPSHOT);
  const manifest = newManifest({
    backupId: conf.backupId,
    environment: conf.environment,
    airflowVersion: ctx.airflowVersion,
    kind: 'database',
    createdAt: new Date(ctx.clock.now()),
    createdBy: { writer: 'mwaa-ops-export-dag (local emulation)', executionArn: conf.executionArn },
    activeDags: active,
    pausedDags: pausedDags(store, active),
    ...(snapshot === undefined ? {} : { snapshot: { file: SNAPSHOT, ...fingerprint(snapshot) } }),
    tables,
    excluded: EXCLUDED,
  });
  if (options.fault === 'corrupt-checksum') {
    const variable = manifest.tables.variable;
    if (variable) variable.sha256 = variable.sha256.replace(/^./, (c) => (c === '0' ? '1' : '0'));
  }
  await commitBackup(backup, manifest);
  return exportAnswer(manifest, conf.prefix);
}

const MARKER_EVENT = 'mwaa_ops_import';
const marker = (backupId: string) => JSON.stringify({ backupId });

async function runImport(
  ctx: DagBehaviourContext,
  conf: TransferConf,
  backup: BackupObjects,
  options: RunOptions,
) {
  const { store } = ctx;
  await options.beat();
  let verified: Awaited<ReturnType<typeof verifyBackup>>;
  try {
    verified = await verifyBackup(backup, {
      environment: conf.environment,
      backupId: conf.backupId,
      manifestSha256: conf.manifestSha256,
    });
  } catch (error) {
    const refusal = error instanceof BackupRefused ? error.refusal : undefined;
    throw new TransferFailure(
      refusal === 'not-committed'
        ? 'MwaaOps.BackupNotCommitted'
        : refusal === 'not-the-verified-manifest'
          ? 'MwaaOps.BackupTampered'
          : 'MwaaOps.BackupIncompatible',
      (error as Error).message,
    );
  }
  const { manifest, tables } = verified;
  const rows = new Map<string, Row[]>();
  for (const [name, entry] of Object.entries(manifest.tables)) {
    rows.set(name, decodeTableFile(tables.get(name) as Uint8Array, entry));
  }
  await options.beat();
  if (options.fault === 'no-heartbeat') throw new Hang('import worker hangs');

  const already = store.get(
    'SELECT 1 FROM log WHERE event = ? AND extra = ?',
    MARKER_EVENT,
    marker(conf.backupId),
  );
  const restored: Record<string, number> = {};
  const dropped: Record<string, string[]> = {};
  const skipped: string[] = [];
  store.run('BEGIN');
  try {
    if (already) {
      Object.assign(restored, rowCounts(manifest));
    } else {
      const maps: KeyMaps = new Map();
      for (const name of importOrder(manifest.tables)) {
        const entry = manifest.tables[name];
        const def = CARRIED_BY_NAME.get(name);
        if (!entry || !def) {
          skipped.push(name);
          continue;
        }
        const target = store.columns(def.name);
        const columns = entry.columns.filter((c) => target.includes(c));
        const lost = entry.columns.filter((c) => !target.includes(c));
        if (lost.length) dropped[name] = lost;
        const tableRows = rows.get(name) ?? [];
        const pick = (row: Row) => Object.fromEntries(columns.map((c) => [c, row[c]]));
        if (def.mode === 'secret') {
          // Replace: the target ends with exactly the backup's rows (re-encrypted by Airflow's
          // models on a real environment; the emulator stores them in clear).
          store.run(`DELETE FROM ${def.name}`);
          for (const row of tableRows) store.insert(def.name, pick(row));
          if (name === 'variable' && options.fault === 'import-fails')
            throw new TransferFailure('MwaaOps.TransferFailed', 'Injected failure: the import DAG failed');
        } else if (def.mode === 'replace') {
          store.run("DELETE FROM slot_pool WHERE pool != 'default_pool'");
          for (const row of tableRows) {
            const values = pick(row);
            if (values.pool === 'default_pool') {
              store.run(
                'UPDATE slot_pool SET slots = ?, description = ?, include_deferred = ? WHERE pool = ?',
                Number(values.slots),
                (values.description as string | null) ?? null,
                values.include_deferred ? 1 : 0,
                'default_pool',
              );
            } else store.insert(def.name, values);
          }
        } else {
          const generated = entry.generatedKey;
          const map = new Map<unknown, unknown>();
          for (const row of tableRows) {
            const values = rewriteReferences(name, entry, pick(row), maps);
            if (generated) delete values[generated];
            const id = store.insert(def.name, values);
            if (generated) map.set(row[generated], id);
          }
          if (generated) maps.set(name, map);
        }
        restored[name] = tableRows.length;
      }
      const problems = Object.entries(manifest.tables)
        .filter(([name, entry]) => !skipped.includes(name) && restored[name] !== entry.rows)
        .map(([name, entry]) => `${name}: ${restored[name] ?? 0} of ${entry.rows}`);
      if (problems.length)
        throw new TransferFailure(
          'MwaaOps.CountMismatch',
          `Restored counts differ from the manifest: ${problems.join('; ')}`,
        );
      store.insert('log', {
        dttm: iso(ctx.clock.now()),
        dag_id: ctx.dagId,
        run_id: ctx.runId,
        event: MARKER_EVENT,
        extra: marker(conf.backupId),
        owner: 'airflow',
      });
    }
    // Pause states both ways. DAG files not parsed yet get a placeholder row that keeps their
    // state until they are.
    const paused = (manifest.pausedDags ?? []).filter((id) => !isTransferDag(id));
    for (const [dagIds, state] of [
      [manifest.activeDags, 0],
      [paused, 1],
    ] as const) {
      for (const dagId of dagIds) {
        if (!store.get('SELECT 1 FROM dag WHERE dag_id = ?', dagId))
          store.insert('dag', {
            dag_id: dagId,
            is_paused: state,
            is_active: 1,
            fileloc: `/usr/local/airflow/dags/${dagId}.py`,
          });
      }
      setPaused(store, [...dagIds], state === 1);
    }
    store.run('COMMIT');
  } catch (error) {
    store.run('ROLLBACK');
    if (error instanceof TransferFailure) throw error;
    // SQLite names the constraint and columns, never the values. History rows are added, not
    // merged: one the target already holds is a DuplicateKey, as in the Python import DAG.
    const message = (error as Error).message.slice(0, 200);
    const name = /UNIQUE constraint/.test(message) ? 'MwaaOps.DuplicateKey' : 'MwaaOps.ConstraintViolation';
    throw new TransferFailure(name, `Import failed: ${message}`);
  }
  await options.beat();
  return {
    backupId: manifest.backupId,
    restored,
    alreadyImported: Boolean(already),
    droppedColumns: dropped,
    skippedTables: skipped,
    activeDags: manifest.activeDags.length,
  };
}
