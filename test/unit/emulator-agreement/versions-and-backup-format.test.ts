/**
 * The emulator and the product each have their own copy of what they must agree on (issue 12):
 * the MWAA version rules (local/mwaa/airflow/mwaa-versions.json vs
 * functions/shared/versions/airflow-versions.json) and the backup format (local/mwaa/backup-format.ts
 * vs functions/shared/backup/, both written from docs/backup-format.md). This test puts them side
 * by side, so a mistake on either side is a visible disagreement rather than a shared one.
 *
 * The same agreement is also exercised end to end: the product's MetadataTransferFunction
 * verifies (and reads) backups written by the emulated export DAG in
 * test/integration/pause-resume/*.test.ts, and the upgrade workflow
 * validates with the product's matrix and then asks the emulator's UpdateEnvironment in
 * test/integration/upgrade/end-to-end.test.ts.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from '@jest/globals';
import {
  createMemoryBackupStore,
  buildManifest as productBuildManifest,
  importOrder as productImportOrder,
  putJson as productPutJson,
  readTableFile as productReadTable,
  rewriteReferences as productRewrite,
  tableEntry as productTableEntry,
  verifyBackup as productVerify,
  writeTableFile as productWriteTable,
} from '../../../functions/shared/backup/index.ts';
import productMatrix from '../../../functions/shared/versions/airflow-versions.json' with { type: 'json' };
import { checkVersionChange } from '../../../functions/shared/versions/matrix.ts';
import emulatorVersions from '../../../local/mwaa/airflow/mwaa-versions.json' with { type: 'json' };
import { SUPPORTED_AIRFLOW_VERSIONS, versionChangeProblem } from '../../../local/mwaa/airflow/versions.ts';
import {
  type BackupObjects,
  BackupRefused,
  commitBackup,
  decodeTable,
  importOrder as emulatorImportOrder,
  rewriteReferences as emulatorRewrite,
  verifyBackup as emulatorVerify,
  encodeTable,
  fingerprint,
  newManifest,
  type Refusal,
  type Row,
  type TableEntry,
  writeJson,
  writeTable,
} from '../../../local/mwaa/backup-format.ts';

describe('MWAA versions: the emulator’s data and the product’s matrix agree', () => {
  const productSupported = productMatrix.versions.map((v) => v.version);
  const productRetired = productMatrix.retired.map((v) => v.version);
  const everyVersion = [
    ...new Set([
      ...productSupported,
      ...productRetired,
      ...emulatorVersions.offered,
      ...emulatorVersions.noLongerOffered.map((v) => v.version),
      '2.10.9',
      '2.12.0',
      '3.1.0',
      '4.0.0',
    ]),
  ];

  it('on the versions MWAA offers and the ones it no longer offers', () => {
    expect([...SUPPORTED_AIRFLOW_VERSIONS]).toEqual(productSupported);
    expect(emulatorVersions.noLongerOffered.map((v) => v.version).sort()).toEqual([...productRetired].sort());
    for (const { version, endOfSupport } of emulatorVersions.noLongerOffered) {
      if (endOfSupport === null) continue;
      const reason = productMatrix.retired.find((r) => r.version === version)?.reason;
      expect([version, reason]).toEqual([version, expect.stringContaining(endOfSupport)]);
    }
  });

  it('on every in-place change between any two versions either side knows', () => {
    const disagreements: string[] = [];
    for (const from of [...new Set([...productSupported, ...emulatorVersions.offered])]) {
      for (const to of everyVersion) {
        const emulator = versionChangeProblem(from, to) === undefined;
        const check = checkVersionChange(from, to);
        const product = check.allowed || check.kind === 'none';
        if (emulator !== product)
          disagreements.push(
            `${from} → ${to}: emulator ${emulator ? 'allows' : 'refuses'}, product ${product ? 'allows' : 'refuses'}`,
          );
      }
    }
    expect(disagreements).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

const BACKUP_ID = '20261126T190000Z-pause-dev-1a2b3c';
const EXPECTED = { environment: 'dev', backupId: BACKUP_ID };

/** Values of every kind the format defines (docs/backup-format.md "Table files"). */
const ROWS: Record<string, { spec: TableSpecLike; rows: Row[] }> = {
  variable: {
    spec: { columns: ['key', 'val', 'description'], primaryKey: ['key'] },
    rows: [
      { key: 'multi', val: 'line one\nline two ✓ ünïcødé "quoted"', description: null },
      { key: 'plain', val: 'x', description: undefined },
    ],
  },
  connection: {
    spec: { columns: ['conn_id', 'password', 'port', 'extra'], primaryKey: ['conn_id'] },
    rows: [],
  },
  slot_pool: {
    spec: { columns: ['pool', 'slots', 'include_deferred'], primaryKey: ['pool'] },
    rows: [
      { pool: 'default_pool', slots: 128, include_deferred: false },
      { pool: 'gpu', slots: 2, include_deferred: true },
    ],
  },
  dag_run: {
    spec: {
      columns: ['id', 'run_id', 'start_date', 'conf', 'duration'],
      primaryKey: ['id'],
      generatedKey: 'id',
    },
    rows: [
      {
        id: 7,
        run_id: 'manual__a',
        start_date: new Date('2026-11-26T10:15:30.123Z'),
        conf: { a: [1, 2], b: null },
        duration: 1.5,
      },
      { id: 9, run_id: 'manual__b', start_date: new Date('2026-11-26T10:15:30Z'), conf: null, duration: 0 },
    ],
  },
  xcom: {
    spec: {
      columns: ['dag_run_id', 'key', 'value'],
      primaryKey: ['dag_run_id', 'key'],
      references: { dag_run_id: 'dag_run.id' },
    },
    rows: [{ dag_run_id: 7, key: 'return_value', value: Buffer.from([0, 1, 2, 253, 254, 255]) }],
  },
};

interface TableSpecLike {
  columns: string[];
  primaryKey: string[];
  generatedKey?: string;
  references?: Record<string, string>;
}

/** One Map seen through both sides' store interfaces. */
function sharedStore() {
  const product = createMemoryBackupStore('bucket', `backups/dev/${BACKUP_ID}/`);
  const emulator: BackupObjects = {
    prefix: product.prefix,
    get: async (name) => product.objects.get(name),
    put: async (name, body) => void product.objects.set(name, Buffer.from(body)),
  };
  return { product, emulator, objects: product.objects };
}

async function emulatorBackup(kind: 'database' | 'rest' = 'database') {
  const store = sharedStore();
  await writeJson(store.emulator, 'environment.json', { Name: 'dev', AirflowVersion: '2.10.3' });
  const snapshot = store.objects.get('environment.json') as Uint8Array;
  const tables: Record<string, TableEntry> = {};
  for (const [name, { spec, rows }] of Object.entries(ROWS))
    tables[name] = await writeTable(store.emulator, name, spec, rows);
  await commitBackup(
    store.emulator,
    newManifest({
      backupId: BACKUP_ID,
      environment: 'dev',
      airflowVersion: '2.10.3',
      kind,
      createdAt: new Date('2026-11-26T19:00:41.512Z'),
      createdBy: { writer: 'emulator', executionArn: 'arn:aws:states:us-east-1:000000000000:execution:m:x' },
      activeDags: ['etl'],
      snapshot: { file: 'environment.json', ...fingerprint(snapshot) },
      tables,
      excluded: { trigger: 'encrypted' },
    }),
  );
  return store;
}

async function productBackup() {
  const store = sharedStore();
  const tables: Record<string, ReturnType<typeof productTableEntry>> = {};
  for (const [name, { spec, rows }] of Object.entries(ROWS)) {
    const file = await productWriteTable(spec.columns, rows);
    const entry = productTableEntry(name, spec, file);
    await store.product.put(entry.file, file.body);
    tables[name] = entry;
  }
  await productPutJson(
    store.product,
    'manifest.json',
    productBuildManifest({
      backupId: BACKUP_ID,
      environment: 'dev',
      airflowVersion: '2.10.3',
      kind: 'database',
      createdBy: { writer: 'product' },
      activeDags: [],
      tables,
    }),
  );
  return store;
}

const productReason = (error: unknown) => {
  const { reason, part } = error as { reason?: string; part?: string };
  return reason ?? (part ? `tampered-${part}` : String(error));
};
const emulatorReason = (error: unknown) =>
  error instanceof BackupRefused ? error.refusal : `not a refusal: ${String(error)}`;

/** The emulator's refusal names for the product's reasons (one per check of "Verification"). */
const SAME_CHECK: Record<Refusal, string> = {
  'not-committed': 'manifest-missing',
  'unreadable-manifest': 'manifest-invalid',
  'unknown-format': 'format-version',
  'other-environment': 'wrong-environment',
  'other-backup': 'wrong-backup-id',
  'missing-file': 'file-missing',
  'wrong-size': 'size-mismatch',
  'wrong-checksum': 'checksum-mismatch',
  'bad-row-count': 'invalid-row-count',
  'missing-table': 'mandatory-table-missing',
  'not-the-verified-manifest': 'tampered-manifest',
};

async function bothVerdicts(store: ReturnType<typeof sharedStore>) {
  const emulator = await emulatorVerify(store.emulator, EXPECTED).then(
    () => 'verified',
    (e) => {
      const refusal = emulatorReason(e);
      return SAME_CHECK[refusal as Refusal] ?? refusal;
    },
  );
  const product = await productVerify(store.product, EXPECTED).then(() => 'verified', productReason);
  return { emulator, product };
}

describe('backup format: the emulator’s writer and reader and the product’s agree', () => {
  it('the product verifies what the emulator writes and reads back the same rows', async () => {
    const store = await emulatorBackup();
    const { manifest, files } = await productVerify(store.product, EXPECTED);
    expect(manifest.formatVersion).toBe(1);
    for (const [name, entry] of Object.entries(manifest.tables)) {
      const body = files.get(name) as Uint8Array;
      expect(productReadTable(body, entry.columns)).toEqual(decodeTable(body, entry.columns));
    }
    const xcom = productReadTable(files.get('xcom') as Uint8Array, manifest.tables.xcom?.columns);
    expect(xcom[0]?.value).toEqual(Buffer.from([0, 1, 2, 253, 254, 255]));
  });

  it('the emulator verifies what the product writes and reads back the same rows', async () => {
    const store = await productBackup();
    const { manifest, tables } = await emulatorVerify(store.emulator, EXPECTED);
    for (const [name, entry] of Object.entries(manifest.tables)) {
      const body = tables.get(name) as Uint8Array;
      expect(decodeTable(body, entry.columns)).toEqual(productReadTable(body, entry.columns));
    }
  });

  it('both write the same JSON Lines for the same rows (encodings, column order, empty tables)', async () => {
    for (const [name, { spec, rows }] of Object.entries(ROWS)) {
      const emulator = gunzipSync(encodeTable(spec.columns, rows).body).toString('utf8');
      const product = gunzipSync((await productWriteTable(spec.columns, rows)).body).toString('utf8');
      expect([name, emulator]).toEqual([name, product]);
    }
  });

  type Mutation = (store: ReturnType<typeof sharedStore>) => void;
  type Json = Record<string, unknown>;
  const editManifest =
    (edit: (manifest: Json & { tables: Record<string, Json> }) => Json): Mutation =>
    ({ objects }) => {
      const manifest = JSON.parse(Buffer.from(objects.get('manifest.json') as Uint8Array).toString('utf8'));
      objects.set('manifest.json', Buffer.from(JSON.stringify(edit(manifest))));
    };
  const editTable = (table: string, edit: (entry: Json) => Json) =>
    editManifest((m) => ({ ...m, tables: { ...m.tables, [table]: edit(m.tables[table] ?? {}) } }));
  const editFile =
    (name: string, edit: (body: Buffer) => Buffer): Mutation =>
    ({ objects }) =>
      void objects.set(name, edit(Buffer.from(objects.get(name) as Uint8Array)));
  const flipLastByte = (body: Buffer) => {
    const copy = Buffer.from(body);
    copy[copy.length - 1] = (copy[copy.length - 1] ?? 0) ^ 0xff;
    return copy;
  };

  it.each<[string, Mutation]>([
    ['nothing changed', () => undefined],
    ['no manifest', ({ objects }) => void objects.delete('manifest.json')],
    [
      'a manifest that is not JSON',
      ({ objects }) => void objects.set('manifest.json', Buffer.from('{"format')),
    ],
    ['an unknown format version', editManifest((m) => ({ ...m, formatVersion: 3 }))],
    ['another environment', editManifest((m) => ({ ...m, environment: 'prod' }))],
    ['another backup id', editManifest((m) => ({ ...m, backupId: '20261126T190000Z-other' }))],
    ['kind neither database nor rest', editManifest((m) => ({ ...m, kind: 'sql' }))],
    ['activeDags not a list', editManifest((m) => ({ ...m, activeDags: 'etl' }))],
    ['createdBy without writer', editManifest((m) => ({ ...m, createdBy: {} }))],
    ['a table file outside the backup', editTable('variable', (t) => ({ ...t, file: '../x.jsonl.gz' }))],
    [
      'an upper-case SHA-256',
      editTable('variable', (t) => ({ ...t, sha256: String(t.sha256).toUpperCase() })),
    ],
    ['no columns', editTable('variable', (t) => ({ ...t, columns: [] }))],
    [
      'a reference without a column',
      editTable('xcom', (t) => ({ ...t, references: { dag_run_id: 'dag_run' } })),
    ],
    ['an absolute table file name', editTable('variable', (t) => ({ ...t, file: `/${String(t.file)}` }))],
    ['reuseOn beside its generatedKey', editTable('dag_run', (t) => ({ ...t, reuseOn: ['run_id'] }))],
    ['reuseOn that is not a list', editTable('dag_run', (t) => ({ ...t, reuseOn: 'run_id' }))],
    ['reuseOn without a generatedKey', editTable('variable', (t) => ({ ...t, reuseOn: ['key'] }))],
    ['a negative row count', editTable('variable', (t) => ({ ...t, rows: -1 }))],
    ['a fractional row count', editTable('variable', (t) => ({ ...t, rows: 1.5 }))],
    ['a field the format does not define', editManifest((m) => ({ ...m, comment: 'kept' }))],
    ['a missing table file', ({ objects }) => void objects.delete('tables/variable.jsonl.gz')],
    [
      'a table file one byte longer',
      editFile('tables/variable.jsonl.gz', (b) => Buffer.concat([b, Buffer.from([0])])),
    ],
    ['a table file with its last byte changed', editFile('tables/variable.jsonl.gz', flipLastByte)],
    [
      'a changed snapshot',
      editFile('environment.json', (b) => Buffer.from(b.toString('utf8').replace('dev', 'DEV'))),
    ],
    [
      'a missing mandatory table',
      editManifest(({ tables: { slot_pool: _, ...tables }, ...m }) => ({ ...m, tables })),
    ],
    [
      'a rest backup without database tables',
      editManifest(({ tables: { slot_pool: _, ...tables }, ...m }) => ({ ...m, kind: 'rest', tables })),
    ],
  ])('both reach the same verdict on %s', async (_label, mutate) => {
    const store = await emulatorBackup();
    mutate(store);
    const verdicts = await bothVerdicts(store);
    expect(verdicts.emulator).toBe(verdicts.product);
  });

  /**
   * Where the two readers knowingly differ, both readings being defensible under the document.
   * Listed so that they are decisions, not accidents: align one side and this test says so.
   */
  it.each<[string, Mutation, { emulator: string; product: string }]>([
    [
      // The product refuses any "../..", the emulator a "../.." path segment; both keep reads in the backup.
      'a table file name with "../.." inside a name',
      editTable('variable', (t) => ({ ...t, file: 'tables/variable..jsonl.gz' })),
      { emulator: 'file-missing', product: 'manifest-invalid' },
    ],
  ])('known difference: %s', async (_label, mutate, expected) => {
    const store = await emulatorBackup();
    mutate(store);
    expect(await bothVerdicts(store)).toEqual(expected);
  });

  it('both refuse a manifest that is not the recorded one before any other check, and accept the recorded one', async () => {
    const store = await emulatorBackup();
    const raw = store.objects.get('manifest.json') as Uint8Array;
    const recorded = createHash('sha256').update(raw).digest('hex');
    const verdicts = async (digest: string) => ({
      emulator: await emulatorVerify(store.emulator, { ...EXPECTED, manifestSha256: digest }).then(
        () => 'verified',
        (e) => SAME_CHECK[emulatorReason(e) as Refusal] ?? emulatorReason(e),
      ),
      product: await productVerify(store.product, { ...EXPECTED, expectedManifestSha256: digest }).then(
        () => 'verified',
        productReason,
      ),
    });
    expect(await verdicts(recorded)).toEqual({ emulator: 'verified', product: 'verified' });
    // A consistent rewrite: valid JSON, every checksum still right, only the bytes differ.
    editManifest((m) => ({ ...m, activeDags: [] }))(store);
    expect(await verdicts(recorded)).toEqual({ emulator: 'tampered-manifest', product: 'tampered-manifest' });
    // Even a manifest that no longer parses is refused as "not the recorded one" first.
    store.objects.set('manifest.json', Buffer.from('{"format'));
    expect(await verdicts(recorded)).toEqual({ emulator: 'tampered-manifest', product: 'tampered-manifest' });
  });

  it('known difference: a blank line between rows is skipped by the product, refused by the emulator', () => {
    // The document: "Each line … is one row"; a blank line is not one.
    const body = gzipSync('{"key":"a"}\n\n{"key":"b"}\n');
    expect(productReadTable(body, ['key'])).toEqual([{ key: 'a' }, { key: 'b' }]);
    expect(() => decodeTable(body, ['key'])).toThrow(/not JSON/);
  });

  it('import order: both put every table after the tables it references, and both refuse cycles', () => {
    const graph: Record<string, { references?: Record<string, string> }> = {
      xcom: { references: { dag_run_id: 'dag_run.id' } },
      log: {},
      dag_run: { references: { log_template_id: 'log_template.id' } },
      task_instance_note: { references: { dag_run_id: 'dag_run.id', parent: 'task_instance_note.id' } },
      log_template: {},
      elsewhere: { references: { x: 'not_in_backup.id' } },
    };
    for (const order of [emulatorImportOrder(graph), productImportOrder(graph)]) {
      expect([...order].sort()).toEqual(Object.keys(graph).sort());
      for (const [table, { references = {} }] of Object.entries(graph))
        for (const target of Object.values(references).map((r) => r.split('.')[0] as string))
          if (target !== table && target in graph)
            expect(order.indexOf(target)).toBeLessThan(order.indexOf(table));
    }
    const cycle = { a: { references: { b_id: 'b.id' } }, b: { references: { a_id: 'a.id' } } };
    expect(() => emulatorImportOrder(cycle)).toThrow();
    expect(() => productImportOrder(cycle)).toThrow();
  });

  it('reference rewriting: the same new keys, NULL kept, an unknown key refused', () => {
    const entry = { references: { dag_run_id: 'dag_run.id' } };
    const keys = new Map([
      [
        'dag_run',
        new Map<unknown, unknown>([
          [7, 107],
          [9, 109],
        ]),
      ],
    ]);
    for (const row of [
      { dag_run_id: 9, key: 'k' },
      { dag_run_id: null, key: 'n' },
    ])
      expect(emulatorRewrite('xcom', entry, row, keys)).toEqual(productRewrite('xcom', entry, row, keys));
    expect(emulatorRewrite('xcom', entry, { dag_run_id: 9 }, keys)).toEqual({ dag_run_id: 109 });
    expect(() => emulatorRewrite('xcom', entry, { dag_run_id: 8 }, keys)).toThrow();
    expect(() => productRewrite('xcom', entry, { dag_run_id: 8 }, keys)).toThrow();
  });
});
