import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { matrixMarkdownTable, tableInDoc } from '../../../functions/shared/versions/markdown.ts';
import { allowedChangesFrom, SUPPORTED_VERSIONS } from '../../../functions/shared/versions/matrix.ts';

const doc = readFileSync(new URL('../../../docs/upgrades.md', import.meta.url), 'utf8');

describe('docs/upgrades.md', () => {
  it('shows the version matrix exactly as airflow-versions.json defines it', () => {
    // On failure, paste the expected table between the version-matrix markers.
    expect(tableInDoc(doc)).toBe(matrixMarkdownTable());
  });

  it('has one table row per supported version listing each allowed target', () => {
    const table = matrixMarkdownTable().split('\n').slice(2);
    expect(table).toHaveLength(SUPPORTED_VERSIONS.length);
    for (const [i, v] of SUPPORTED_VERSIONS.entries()) {
      const row = table[i] ?? '';
      expect(row.startsWith(`| ${v.version} |`)).toBe(true);
      for (const change of allowedChangesFrom(v.version)) expect(row).toContain(change.to);
    }
  });

  it('finds no table when the markers are missing', () => {
    expect(tableInDoc('no markers here')).toBeUndefined();
  });
});
