/**
 * The data catalogue (dags/mwaa_ops/catalogue.json) as the Markdown that docs/backup-format.md and
 * docs/pause-resume.md show between `<!-- catalogue:<block>:start -->` / `<!-- catalogue:<block>:end -->`
 * markers. test/unit/docs/catalogue-docs.test.ts compares each block with its rendering, so the
 * docs cannot drift from the catalogue; on a failure, paste the expected text between the markers.
 */
import catalogue from '../../dags/mwaa_ops/catalogue.json' with { type: 'json' };
import { compareVersions } from '../../functions/shared/airflow/versions.ts';

const DATABASE = catalogue.majors['2'];
const REST = catalogue.majors['3'];

const code = (name: string) => `\`${name}\``;
const codes = (names: readonly string[]) => names.map(code).join(', ');
const key = (columns: readonly string[]) =>
  columns.length === 1 ? code(columns[0] ?? '') : `(${codes(columns)})`;

type DatabaseTable = (typeof DATABASE.tables)[number];

function keyCell(table: DatabaseTable): string {
  const parts = [key(table.primaryKey)];
  if (table.generatedKey) parts.push(`${code(table.generatedKey)} generated`);
  for (const [column, target] of Object.entries(table.references ?? {}))
    parts.push(`${code(column)} → ${code(target)}`);
  if (table.reuseOn) parts.push(`\`reuseOn\` ${codes(table.reuseOn)}`);
  if (table.perRun) parts.push('skipped with its run');
  return parts.join('; ');
}

function columnsCell(table: DatabaseTable): string {
  if (table.only) return `only ${codes(table.only)}`;
  const omitted = Object.entries(table.omitted ?? {});
  if (!omitted.length) return 'all';
  return `all but ${omitted.map(([column, why]) => `${code(column)} (${why})`).join(', ')}`;
}

/** backup-format.md, block `2.x-carried`: the versions, what later versions add, the carried tables. */
export function databaseCarriedMarkdown(): string {
  const [first] = DATABASE.versions;
  const added = new Map<string, string[]>();
  for (const table of DATABASE.tables) {
    if (table.since === first) continue;
    added.set(table.since, [...(added.get(table.since) ?? []), table.name]);
  }
  const additions = [...added.entries()].map(([since, names]) => `from ${since}: ${codes(names)}`).join('; ');
  const rows = DATABASE.tables.map((table) => {
    const name = table.since === first ? code(table.name) : `${code(table.name)} (${table.since}+)`;
    return `| ${name} | ${table.mode} | ${keyCell(table)} | ${columnsCell(table)} | ${table.why} |`;
  });
  return [
    `Versions a backup supports: ${DATABASE.versions.join(', ')}. Tables added ${additions || 'by none of them'}.`,
    '',
    'Carried, in import order:',
    '',
    '| table | mode | key; generated key, references | columns exported | why it is carried |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

function excludedMarkdown(groups: ReadonlyArray<{ tables: readonly string[]; why: string }>): string {
  return [
    '| table(s) | reason |',
    '| --- | --- |',
    ...groups.map((group) => `| ${codes(group.tables)} | ${group.why} |`),
  ].join('\n');
}

/** backup-format.md, block `2.x-excluded`. */
export function databaseExcludedMarkdown(): string {
  return excludedMarkdown(DATABASE.excluded);
}

/** backup-format.md, block `3.x-tables`: the REST transfer's table files and what it leaves behind. */
export function restTablesMarkdown(): string {
  return [
    `Versions a backup supports: ${REST.versions.join(', ')}. Table files, in the order they are written:`,
    '',
    '| table | REST resource | columns | key | mode | why it is carried |',
    '| --- | --- | --- | --- | --- | --- |',
    ...REST.tables.map(
      (table) =>
        `| ${code(table.name)} | ${code(table.resource)} | ${codes(table.columns)} | ${key(table.primaryKey)} | ${table.mode} | ${table.why} |`,
    ),
    '',
    "Not carried (the manifest's `excluded`):",
    '',
    excludedMarkdown(REST.excluded),
  ].join('\n');
}

interface PreservedRow {
  what: string;
  tables: readonly string[];
  notes?: Partial<Record<string, string>>;
}

function preservedMarkdown(
  versions: readonly string[],
  rows: readonly PreservedRow[],
  since: (table: string) => string | undefined,
): string {
  const cell = (row: PreservedRow, version: string) => {
    const carried =
      row.tables.length === 0 ||
      row.tables.some((table) => {
        const first = since(table);
        return first !== undefined && compareVersions(first, version) <= 0;
      });
    if (!carried) return '—';
    const note = row.notes?.[version];
    return note ? `✓ ${note}` : '✓';
  };
  return [
    `| | ${versions.join(' | ')} |`,
    `| --- | ${versions.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.what} | ${versions.map((v) => cell(row, v)).join(' | ')} |`),
  ].join('\n');
}

/** pause-resume.md, block `2.x-preserved`. */
export function databasePreservedMarkdown(): string {
  const since = new Map<string, string>(DATABASE.tables.map((t) => [t.name, t.since]));
  return preservedMarkdown(DATABASE.versions, DATABASE.preserved, (table) => since.get(table));
}

/** pause-resume.md, block `3.x-preserved`. */
export function restPreservedMarkdown(): string {
  const [first] = REST.versions;
  const names = new Set(REST.tables.map((t) => t.name));
  return preservedMarkdown(REST.versions, REST.preserved, (table) => (names.has(table) ? first : undefined));
}

/** The text between a block's markers in `doc` (undefined when the markers are missing). */
export function blockInDoc(doc: string, block: string): string | undefined {
  const start = `<!-- catalogue:${block}:start -->`;
  const end = `<!-- catalogue:${block}:end -->`;
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  if (from < 0 || to < from) return undefined;
  return doc.slice(from + start.length, to).trim();
}
