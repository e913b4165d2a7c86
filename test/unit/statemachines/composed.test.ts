/**
 * statemachines/<name>.asl.json are generated from statemachines/src (npm run compose): the
 * committed files must be what the sources compose, and each shared rule (lock, drain, failure
 * tail, ...) must come from its one fragment.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import {
  composeStatemachine,
  composeStatemachines,
  formatJson,
  GENERATED_NOTE,
  staleStatemachines,
  writeStatemachines,
} from '../../../scripts/compose-statemachines.ts';
import { root } from '../../../scripts/esbuild-options.ts';

describe('statemachines/*.asl.json are composed from statemachines/src', () => {
  it.each(composeStatemachines().map((f) => [f.path, f.text]))(
    '%s is up to date (edit statemachines/src, then run npm run compose)',
    (path, text) => {
      expect(readFileSync(join(root, path), 'utf8')).toBe(text);
    },
  );

  it('finds no stale file', () => {
    expect(staleStatemachines()).toEqual([]);
  });

  it('says in each file that it is generated', () => {
    for (const { text } of composeStatemachines()) {
      expect(JSON.parse(text).Comment).toContain(GENERATED_NOTE);
    }
  });

  it('names the files that differ from their sources, and rewrites only those', () => {
    const dir = mkdtempSync(join(tmpdir(), 'compose-'));
    try {
      mkdirSync(join(dir, 'statemachines'));
      const [first, ...rest] = composeStatemachines();
      for (const { path, text } of rest) writeFileSync(join(dir, path), text);
      writeFileSync(join(dir, first!.path), first!.text.replace('"StartAt"', '"StartAt" '));
      expect(staleStatemachines(dir)).toEqual([first!.path]);
      rmSync(join(dir, rest[0]!.path));
      expect(staleStatemachines(dir)).toEqual([first!.path, rest[0]!.path]);
      expect(writeStatemachines(dir)).toEqual([first!.path, rest[0]!.path]);
      expect(staleStatemachines(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a workflow without a source', () => {
    expect(() => composeStatemachine('no-such-workflow')).toThrow(/no source/);
  });

  it('formats as biome does: short lists of values on one line, long ones one value a line', () => {
    expect(formatJson({ a: ['x', 'y'], b: [], c: {}, d: [{ e: 1 }] })).toBe(
      '{\n  "a": ["x", "y"],\n  "b": [],\n  "c": {},\n  "d": [\n    {\n      "e": 1\n    }\n  ]\n}',
    );
    const long = Array.from({ length: 12 }, (_, i) => `ErrorNumber${i}`);
    expect(formatJson({ k: long }).split('\n')).toHaveLength(long.length + 4);
  });
});
