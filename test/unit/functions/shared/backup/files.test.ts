import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from '@jest/globals';
import {
  BackupFormatError,
  decodeRow,
  encodeRow,
  encodeValue,
  importOrder,
  isoTimestamp,
  readTableFile,
  rewriteReferences,
  writeTableFile,
} from '../../../../../functions/shared/backup/index.ts';
import { digest } from '../../../../../functions/shared/backup/table-file.ts';

const COLUMNS = ['key', 'val', 'description', 'blob', 'at', 'n', 'flag', 'doc'];

const awkward = [
  {
    key: 'multi',
    val: 'line one\nline two\r\n"quoted", comma',
    description: null,
    blob: null,
    at: new Date('2026-11-26T10:15:30.123Z'),
    n: 42,
    flag: true,
    doc: { nested: ['a', 1, null] },
  },
  {
    key: 'unicode ✓ 日本語 🚀',
    val: 'zero\u0000width\u200bjoiner \u2028 separator',
    description: 'tab\there',
    blob: Buffer.from([0, 1, 2, 254, 255]),
    at: null,
    n: -1.5,
    flag: false,
    doc: null,
  },
  { key: 'nulls', val: null, description: null, blob: null, at: null, n: null, flag: null, doc: null },
];

describe('Backup format: row encoding', () => {
  it('writes timestamps with offset and microseconds only when non-zero', () => {
    expect(isoTimestamp(new Date('2026-11-26T10:15:30.123Z'))).toBe('2026-11-26T10:15:30.123000+00:00');
    expect(isoTimestamp(new Date('2026-11-26T10:15:30.000Z'))).toBe('2026-11-26T10:15:30+00:00');
  });

  it('encodes binary as {"$binary": base64} and NULL as null', () => {
    expect(encodeValue(Buffer.from('hi'))).toEqual({ $binary: 'aGk=' });
    expect(encodeValue(undefined)).toBeNull();
    expect(() => encodeValue(Number.NaN)).toThrow(BackupFormatError);
  });

  it('keeps every row on exactly one line, keyed by column name', () => {
    const line = encodeRow(COLUMNS, awkward[0] as Record<string, unknown>);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(Object.keys(JSON.parse(line))).toEqual(COLUMNS);
  });

  it('rejects a line that lacks a manifest column', () => {
    expect(() => decodeRow('{"key":"a"}', ['key', 'val'])).toThrow(/lacks the column val/);
    expect(() => decodeRow('[1,2]')).toThrow(BackupFormatError);
  });
});

describe('Backup format: table files', () => {
  it('round-trips multi-line, unicode, NULL and binary values exactly', async () => {
    const file = await writeTableFile(COLUMNS, awkward);
    expect(file.rows).toBe(3);
    expect(digest(file.body)).toEqual({ bytes: file.bytes, sha256: file.sha256 });
    const rows = readTableFile(file.body, COLUMNS);
    expect(rows).toHaveLength(3);
    expect(rows[0]?.val).toBe(awkward[0]?.val);
    expect(rows[0]?.at).toBe('2026-11-26T10:15:30.123000+00:00');
    expect(rows[0]?.doc).toEqual({ nested: ['a', 1, null] });
    expect(rows[1]?.key).toBe(awkward[1]?.key);
    expect(rows[1]?.val).toBe(awkward[1]?.val);
    expect(Buffer.isBuffer(rows[1]?.blob)).toBe(true);
    expect([...((rows[1]?.blob as Buffer | undefined) ?? [])]).toEqual([0, 1, 2, 254, 255]);
    expect(rows[2]).toEqual({ ...Object.fromEntries(COLUMNS.map((c) => [c, null])), key: 'nulls' });
  });

  it('writes an empty table as a gzip of zero bytes, never nothing', async () => {
    const file = await writeTableFile(['key'], []);
    expect(file.rows).toBe(0);
    expect(file.bytes).toBeGreaterThan(0);
    expect(gunzipSync(file.body).length).toBe(0);
    expect(readTableFile(file.body)).toEqual([]);
  });

  it('gives identical content identical checksums (stable across writers)', async () => {
    const a = await writeTableFile(COLUMNS, awkward);
    const b = await writeTableFile(COLUMNS, awkward);
    expect(a.sha256).toBe(b.sha256);
  });

  it('streams many rows from an async source', async () => {
    async function* rows() {
      for (let i = 0; i < 5000; i += 1) yield { id: i, text: `row ${i} ${'x'.repeat(i % 50)}` };
    }
    const file = await writeTableFile(['id', 'text'], rows());
    expect(file.rows).toBe(5000);
    const back = readTableFile(file.body);
    expect(back[4999]).toEqual({ id: 4999, text: `row 4999 ${'x'.repeat(4999 % 50)}` });
  });
});

describe('Backup format: import order and references', () => {
  it('orders referenced tables first', () => {
    const order = importOrder({
      xcom: { references: { dag_run_id: 'dag_run.id' } },
      variable: {},
      dag_run: { references: { log_template_id: 'log_template.id' } },
      log_template: {},
    });
    expect(order.indexOf('log_template')).toBeLessThan(order.indexOf('dag_run'));
    expect(order.indexOf('dag_run')).toBeLessThan(order.indexOf('xcom'));
    expect(order).toHaveLength(4);
  });

  it('refuses a reference cycle', () => {
    expect(() =>
      importOrder({ a: { references: { b_id: 'b.id' } }, b: { references: { a_id: 'a.id' } } }),
    ).toThrow(/cycle/);
  });

  it('rewrites references through the old → new map and refuses dangling ones', () => {
    const maps = new Map([['dag_run', new Map<unknown, unknown>([[7, 101]])]]);
    const entry = { references: { dag_run_id: 'dag_run.id' } };
    expect(rewriteReferences('xcom', entry, { dag_run_id: 7, key: 'k' }, maps)).toEqual({
      dag_run_id: 101,
      key: 'k',
    });
    expect(rewriteReferences('xcom', entry, { dag_run_id: null }, maps)).toEqual({ dag_run_id: null });
    expect(() => rewriteReferences('xcom', entry, { dag_run_id: 8 }, maps)).toThrow(/does not hold/);
  });
});
