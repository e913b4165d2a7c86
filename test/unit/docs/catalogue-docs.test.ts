import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import {
  blockInDoc,
  databaseCarriedMarkdown,
  databaseExcludedMarkdown,
  databasePreservedMarkdown,
  restPreservedMarkdown,
  restTablesMarkdown,
} from '../../helpers/catalogue-docs.ts';

const read = (name: string) => readFileSync(new URL(`../../../docs/${name}`, import.meta.url), 'utf8');

// On failure, paste the expected text between the block's markers (`<!-- catalogue:<block>:start -->`).
describe('the docs show the data catalogue (dags/mwaa_ops/catalogue.json) exactly', () => {
  const backupFormat = read('backup-format.md');
  const pauseResume = read('pause-resume.md');

  it.each([
    ['backup-format.md', '2.x-carried', databaseCarriedMarkdown],
    ['backup-format.md', '2.x-excluded', databaseExcludedMarkdown],
    ['backup-format.md', '3.x-tables', restTablesMarkdown],
    ['pause-resume.md', '2.x-preserved', databasePreservedMarkdown],
    ['pause-resume.md', '3.x-preserved', restPreservedMarkdown],
  ] as const)('%s, block %s', (doc, block, render) => {
    expect(blockInDoc(doc === 'backup-format.md' ? backupFormat : pauseResume, block)).toBe(render());
  });

  it('marks a carried table by the version that added it and a missing one with a dash', () => {
    expect(databaseCarriedMarkdown()).toContain('| `task_instance_history` (2.10.1+) |');
    const row = databasePreservedMarkdown()
      .split('\n')
      .find((line) => line.includes('`task_instance_history`'));
    expect(row).toBe('| earlier tries (`task_instance_history`) | — | — | — | ✓ | ✓ | ✓ |');
  });

  it('finds no block when the markers are missing', () => {
    expect(blockInDoc('no markers here', '2.x-carried')).toBeUndefined();
  });
});
