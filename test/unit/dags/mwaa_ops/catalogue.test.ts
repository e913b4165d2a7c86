/**
 * The data catalogue (dags/mwaa_ops/catalogue.json) is valid against its schema
 * (catalogue.schema.json, JSON Schema 2020-12) and holds together where a schema cannot say it:
 * import order, references to carried generated keys, `since` among the versions, the docs' rows
 * naming carried tables only and every carried table somewhere.
 */
import { describe, expect, it } from '@jest/globals';
import { Ajv2020 } from 'ajv/dist/2020.js';
import catalogue from '../../../../dags/mwaa_ops/catalogue.json' with { type: 'json' };
import schema from '../../../../dags/mwaa_ops/catalogue.schema.json' with { type: 'json' };
import { compareVersions } from '../../../../functions/shared/airflow/versions.ts';

// strictRequired off: the schema's `not: { required: [only, omitted] }` names properties defined beside it.
const validator = () => new Ajv2020({ allErrors: true, strict: true, strictRequired: false }).compile(schema);
const clone = (): Record<string, unknown> => JSON.parse(JSON.stringify(catalogue));
const DATABASE = catalogue.majors['2'];
const REST = catalogue.majors['3'];

describe('dags/mwaa_ops/catalogue.json', () => {
  it('is valid against catalogue.schema.json', () => {
    const validate = validator();
    const valid = validate(catalogue);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('the schema refuses what it is there to refuse', () => {
    const validate = validator();
    const broken = (edit: (c: typeof catalogue) => void) => {
      const copy = clone() as typeof catalogue;
      edit(copy);
      return validate(copy);
    };
    expect(broken(() => undefined)).toBe(true);
    expect(
      broken((c) => {
        (c.majors['2'].tables[0] as { mode: string }).mode = 'merge';
      }),
    ).toBe(false);
    expect(
      broken((c) => {
        (c.majors['2'].tables[0] as Record<string, unknown>).primaryKey = [];
      }),
    ).toBe(false);
    expect(
      broken((c) => {
        (c.majors['2'].tables[0] as Record<string, unknown>).extra = true;
      }),
    ).toBe(false);
    expect(
      broken((c) => {
        (c.majors['2'] as { versions: string[] }).versions = ['2.10'];
      }),
    ).toBe(false);
    expect(
      broken((c) => {
        (c.majors['3'] as { kind: string }).kind = 'database';
      }),
    ).toBe(false);
    // both `only` and `omitted`
    expect(
      broken((c) => {
        (c.majors['2'].tables.find((t) => t.only) as Record<string, unknown>).omitted = { id: 'x' };
      }),
    ).toBe(false);
    // reuseOn without a generated key
    expect(
      broken((c) => {
        delete (c.majors['2'].tables[0] as Record<string, unknown>).generatedKey;
      }),
    ).toBe(false);
  });

  describe('Airflow 2.x (the DAGs)', () => {
    const names = DATABASE.tables.map((t) => t.name);

    it('names each table once and never both carried and excluded', () => {
      const excluded = DATABASE.excluded.flatMap((g) => g.tables);
      expect(new Set(names).size).toBe(names.length);
      expect(new Set(excluded).size).toBe(excluded.length);
      expect(names.filter((n) => excluded.includes(n))).toEqual([]);
    });

    it('lists every table after the generated keys it references', () => {
      const problems: string[] = [];
      for (const [i, table] of DATABASE.tables.entries()) {
        for (const [column, target] of Object.entries(table.references ?? {})) {
          const [name, key] = target.split('.');
          const referenced = DATABASE.tables.findIndex((t) => t.name === name);
          if (referenced < 0 || referenced >= i)
            problems.push(`${table.name}.${column}: ${name} is not before it`);
          else if (DATABASE.tables[referenced]?.generatedKey !== key)
            problems.push(`${table.name}.${column}: ${target} is not a generated key`);
        }
      }
      expect(problems).toEqual([]);
    });

    it('gives every table a `since` among the versions, no later than the tables it references', () => {
      const [first] = DATABASE.versions;
      expect(
        DATABASE.versions.filter((v, i, all) => i > 0 && compareVersions(v, all[i - 1] ?? v) <= 0),
      ).toEqual([]);
      for (const table of DATABASE.tables) {
        expect([table.name, DATABASE.versions.includes(table.since)]).toEqual([table.name, true]);
        for (const target of Object.values(table.references ?? {})) {
          const since = DATABASE.tables.find((t) => `${t.name}.${t.generatedKey}` === target)?.since ?? first;
          expect([table.name, target, compareVersions(since ?? '', table.since) <= 0]).toEqual([
            table.name,
            target,
            true,
          ]);
        }
      }
    });

    it('keys the secret tables by columns they export', () => {
      for (const table of DATABASE.tables) {
        if (!table.only) continue;
        expect([table.name, table.primaryKey.every((c) => table.only?.includes(c))]).toEqual([
          table.name,
          true,
        ]);
      }
      expect(DATABASE.tables.filter((t) => t.mode === 'secret').map((t) => t.name)).toEqual([
        'variable',
        'connection',
      ]);
    });

    it('shows every carried table in a row of what is preserved, and names no other', () => {
      const shown = DATABASE.preserved.flatMap((row) => row.tables);
      expect(shown.filter((n) => !names.includes(n))).toEqual([]);
      expect(names.filter((n) => !shown.includes(n))).toEqual([]);
      for (const row of DATABASE.preserved)
        for (const version of Object.keys(row.notes ?? {}))
          expect([row.what, version, DATABASE.versions.includes(version)]).toEqual([row.what, version, true]);
    });
  });

  describe('Airflow 3.x (the REST transfer)', () => {
    it('keys every table file by columns it holds and carries the mandatory tables', () => {
      for (const table of REST.tables)
        expect([table.name, table.primaryKey.every((c) => table.columns.includes(c))]).toEqual([
          table.name,
          true,
        ]);
      const names = REST.tables.map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(['variable', 'connection', 'slot_pool']));
      expect(new Set(names).size).toBe(names.length);
      expect(names.filter((n) => REST.excluded.some((g) => g.tables.includes(n)))).toEqual([]);
    });

    it('names only its own tables in what is preserved, and shows them all', () => {
      const names = REST.tables.map((t) => t.name);
      const shown = REST.preserved.flatMap((row) => row.tables);
      expect(shown.filter((n) => !names.includes(n))).toEqual([]);
      expect(names.filter((n) => !shown.includes(n))).toEqual([]);
    });

    it('supports only Airflow 3 versions, the 2.x DAGs only Airflow 2 ones', () => {
      expect(REST.versions.filter((v) => !v.startsWith('3.'))).toEqual([]);
      expect(DATABASE.versions.filter((v) => !v.startsWith('2.'))).toEqual([]);
    });
  });
});
