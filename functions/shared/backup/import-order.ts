/**
 * Import rules shared by every importer (docs/backup-format.md "Import rules"): dependency order
 * and the old → new rewrite of references to generated keys.
 */

import type { Row } from './encoding.ts';
import { BackupFormatError } from './errors.ts';
import type { TableEntry } from './manifest.ts';

/** Tables ordered so that each comes after every table it references (stable otherwise). */
export function importOrder(tables: Record<string, Pick<TableEntry, 'references'>>): string[] {
  const names = Object.keys(tables);
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting')
      throw new BackupFormatError(`Tables reference each other in a cycle: ${[...path, name].join(' → ')}`);
    state.set(name, 'visiting');
    for (const ref of Object.values(tables[name]?.references ?? {})) {
      const target = ref.split('.')[0] ?? '';
      if (target !== name && target in tables) visit(target, [...path, name]);
    }
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of names) visit(name, []);
  return order;
}

/** Old generated key → new generated key, per table. */
export type KeyMaps = Map<string, Map<unknown, unknown>>;

/**
 * Rewrite a row's references through the key maps of the tables they point to. A reference to a
 * row the backup does not hold is an error: copying it verbatim would point at a stranger's row.
 */
export function rewriteReferences(
  table: string,
  entry: Pick<TableEntry, 'references'>,
  row: Row,
  maps: KeyMaps,
): Row {
  const out = { ...row };
  for (const [column, ref] of Object.entries(entry.references ?? {})) {
    const old = out[column];
    if (old === null || old === undefined) continue;
    const target = ref.split('.')[0] ?? '';
    const mapped = maps.get(target)?.get(old);
    if (mapped === undefined)
      throw new BackupFormatError(
        `${table}.${column} refers to ${ref} ${String(old)}, which the backup does not hold`,
      );
    out[column] = mapped;
  }
  return out;
}
