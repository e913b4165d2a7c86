/**
 * The Glue tables Athena queries describe exactly the Parquet files the archive writes: the same
 * columns in the same order with the matching types, the partition keys of the S3 layout, and a
 * projection whose location template is the layout of functions/run-history-archive/layout.ts.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { partFileKey } from '../../functions/run-history-archive/layout.ts';
import { ARCHIVE_TABLES, GLUE_TYPES, PARTITION_KEYS } from '../../functions/run-history-archive/schema.ts';
import { loadTemplate, resourcesOf } from './template-file.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const template = loadTemplate(join(root, 'template.yaml'));

type TableInput = {
  Name: string;
  Parameters: Record<string, unknown>;
  PartitionKeys: Array<{ Name: string; Type: string }>;
  StorageDescriptor: {
    Columns: Array<{ Name: string; Type: string }>;
    Location: unknown;
    SerdeInfo: { SerializationLibrary: string };
  };
};

const glueTables = new Map<string, TableInput>();
for (const [, resource] of resourcesOf(template)) {
  if (resource.Type !== 'AWS::Glue::Table') continue;
  const input = resource.Properties?.TableInput as TableInput;
  glueTables.set(input.Name, input);
}

const sub = (value: unknown) => (value as { 'Fn::Sub': string })['Fn::Sub'];
/** `${name}` as a !Sub writes it (built, so the linter does not take it for a template slip). */
const placeholder = (name: string) => ['$', '{', name, '}'].join('');

describe('template.yaml run-history Glue tables', () => {
  it('declares one Glue table per archive table, and no other', () => {
    expect([...glueTables.keys()].sort()).toEqual(ARCHIVE_TABLES.map((t) => t.name).sort());
  });

  for (const table of ARCHIVE_TABLES) {
    it(`${table.name}: columns equal the Parquet schema (names, order, types)`, () => {
      const glue = glueTables.get(table.name);
      expect(glue?.StorageDescriptor.Columns).toEqual(
        table.columns.map((c) => ({ Name: c.name, Type: GLUE_TYPES[c.kind] })),
      );
      expect(glue?.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe(
        'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
      );
    });

    it(`${table.name}: partitions and projection follow the archive's S3 layout`, () => {
      const glue = glueTables.get(table.name) as TableInput;
      expect(glue.PartitionKeys).toEqual(PARTITION_KEYS.map((name) => ({ Name: name, Type: 'string' })));
      expect(glue.Parameters).toMatchObject({
        classification: 'parquet',
        'projection.enabled': 'true',
        'projection.environment.type': 'injected',
        'projection.run_date.type': 'date',
        'projection.run_date.format': 'yyyy-MM-dd',
      });
      // The projected location, filled in, is the prefix of a file the archive writes.
      const location = sub(glue.Parameters['storage.location.template'])
        .replace(placeholder('RunHistoryBucket'), 'bucket')
        .replace(placeholder('!environment'), 'dev')
        .replace(placeholder('!run_date'), '2026-11-26');
      const key = partFileKey(table.name, 'dev', '2026-11-26', '20261126T190000Z-pause-dev-1', 0);
      expect(`s3://bucket/${key}`.startsWith(location)).toBe(true);
      expect(sub(glue.StorageDescriptor.Location).replace(placeholder('RunHistoryBucket'), 'bucket')).toBe(
        `s3://bucket/run-history/${table.name}/`,
      );
      // No data column shadows a partition key.
      for (const key of PARTITION_KEYS) expect(table.columns.map((c) => c.name)).not.toContain(key);
    });
  }
});
