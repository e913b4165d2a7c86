import { gzipSync } from 'node:zlib';
import { describe, expect, it } from '@jest/globals';
import {
  type Row,
  readTableFile,
  readTableRows,
  writeTableFile,
} from '../../../../../functions/shared/backup/index.ts';
import { decodeTableFile } from '../../../../../local/mwaa/backup-format.ts';

async function collect(rows: AsyncIterable<Row>): Promise<Row[]> {
  const out: Row[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

// Two rows as PostgreSQL's COPY text writes them with the session the export pins
// (TimeZone UTC, DateStyle ISO, bytea_output hex): escapes, NULL, a stored JSON null.
const COPY_TEXT = [
  [
    '7',
    'd',
    'line 1\\nline 2\\r\\n\\ttab \\\\ back',
    '2026-11-26 10:15:30.123+00',
    '\\\\x00ff80',
    't',
    'null',
    '9.5',
    '2026-11-26 10:15:30',
  ],
  ['9', 'ünï 🚀', '\\N', '2026-11-26 11:00:00+00', '\\N', 'f', '{"a": [1, null]}', '\\N', '\\N'],
]
  .map((fields) => `${fields.join('\t')}\n`)
  .join('');
const COLUMNS = [
  'id',
  'dag_id',
  'note',
  'execution_date',
  'conf',
  'external_trigger',
  'next_kwargs',
  'duration',
  'trigger_timeout',
];
const TYPES = {
  id: 'integer',
  dag_id: 'character varying',
  note: 'text',
  execution_date: 'timestamp with time zone',
  conf: 'bytea',
  external_trigger: 'boolean',
  next_kwargs: 'json',
  duration: 'double precision',
  trigger_timeout: 'timestamp without time zone',
};
const EXPECTED: Row[] = [
  {
    id: 7,
    dag_id: 'd',
    note: 'line 1\nline 2\r\n\ttab \\ back',
    execution_date: '2026-11-26T10:15:30.123000+00:00',
    conf: Buffer.from([0, 255, 128]),
    external_trigger: true,
    next_kwargs: { $jsonNull: true },
    duration: 9.5,
    trigger_timeout: '2026-11-26T10:15:30',
  },
  {
    id: 9,
    dag_id: 'ünï 🚀',
    note: null,
    execution_date: '2026-11-26T11:00:00+00:00',
    conf: null,
    external_trigger: false,
    next_kwargs: { a: [1, null] },
    duration: null,
    trigger_timeout: null,
  },
];

describe('Function: readTableRows', () => {
  it('reads a format v1 JSON Lines file as readTableFile does', async () => {
    const rows = [
      { key: 'a', val: 'x\ny', n: 1, at: new Date('2026-11-26T10:15:30.123Z'), raw: new Uint8Array([1, 2]) },
      { key: 'b', val: null, n: 2, at: null, raw: null },
    ];
    const file = await writeTableFile(['key', 'val', 'n', 'at', 'raw'], rows);
    const entry = { file: 'tables/t.jsonl.gz', columns: ['key', 'val', 'n', 'at', 'raw'] };
    expect(await collect(readTableRows(file.body, entry))).toEqual(readTableFile(file.body, entry.columns));
  });

  it('decodes a format v2 COPY text file into the values a JSON Lines file gives', async () => {
    const body = gzipSync(Buffer.from(COPY_TEXT, 'utf8'));
    const entry = {
      file: 'tables/t.copy.gz',
      columns: COLUMNS,
      encoding: 'copy' as const,
      columnTypes: TYPES,
    };
    expect(await collect(readTableRows(body, entry))).toEqual(EXPECTED);
  });

  it('fetches the file from a backup store and refuses a row with the wrong number of fields', async () => {
    const body = gzipSync(Buffer.from('1\t2\n', 'utf8'));
    const store = { bucket: 'b', prefix: 'p/', get: async () => body, put: async () => undefined };
    const entry = {
      file: 'tables/t.copy.gz',
      columns: ['a'],
      encoding: 'copy' as const,
      columnTypes: { a: 'integer' },
    };
    await expect(collect(readTableRows(store, entry))).rejects.toThrow(/2 fields/);
  });

  it('agrees with the local emulator reader on COPY files', () => {
    const body = gzipSync(Buffer.from(COPY_TEXT, 'utf8'));
    expect(decodeTableFile(body, { columns: COLUMNS, encoding: 'copy', columnTypes: TYPES })).toEqual(
      EXPECTED,
    );
  });
});
