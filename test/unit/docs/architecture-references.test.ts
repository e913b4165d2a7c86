/**
 * Every citation of the design (docs/architecture.md §N, #anchor, "invariant N") and every
 * docs/<name>.md path in code, tests, workflows and docs points at something that exists.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import {
  ARCHITECTURE_DOC,
  anchorOf,
  citationProblems,
  outlineOf,
  repositoryCitationProblems,
} from '../../helpers/architecture-references.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const outline = outlineOf(readFileSync(join(root, ARCHITECTURE_DOC), 'utf8'));
const docsExist = (path: string) => ['docs/architecture.md', 'docs/backup-format.md'].includes(path);
const problemsIn = (text: string, file = 'functions/x/y.ts') =>
  citationProblems(file, text, outline, docsExist).map((p) => p.problem);

describe('docs/architecture.md citations', () => {
  it('every citation in the repository resolves to a section, anchor, invariant or document that exists', () => {
    const problems = repositoryCitationProblems(root).map(
      (p) => `${p.file}:${p.line}: ${p.citation}: ${p.problem}`,
    );
    expect(problems).toEqual([]);
  });

  it('has the numbered sections and the five safety invariants the code cites', () => {
    expect([...outline.sections]).toEqual(expect.arrayContaining(['3', '4', '5', '6', '6.1', '7', '8']));
    expect([...outline.invariants]).toEqual(['1', '2', '3', '4', '5']);
  });

  it('accepts citations that resolve', () => {
    expect(
      problemsIn(
        'see docs/architecture.md §4 and docs/architecture.md#61-safety-invariants; invariant 2, docs/architecture.md §6.1; docs/backup-format.md',
      ),
    ).toEqual([]);
  });

  it('reports a section, anchor or invariant that does not exist', () => {
    expect(problemsIn('(docs/architecture.md §42)')).toEqual([`${ARCHITECTURE_DOC} has no section 42`]);
    expect(problemsIn('docs/architecture.md#no-such-heading')).toEqual([
      `${ARCHITECTURE_DOC} has no heading with anchor #no-such-heading`,
    ]);
    expect(problemsIn('invariant 9, docs/architecture.md §6.1')).toEqual([
      `${ARCHITECTURE_DOC} §6.1 lists no invariant 9`,
    ]);
  });

  it('reports an invariant cited without saying where it is defined', () => {
    expect(problemsIn('// At most one run (invariant 2).')).toHaveLength(1);
  });

  it('reports citations of documents that are not in the repository', () => {
    expect(problemsIn('the contracts (ARCHITECTURE §4)')).toHaveLength(1);
    expect(problemsIn('read ARCHITECTURE.md first')).toHaveLength(1);
    expect(problemsIn('docs/no-such-guide.md')).toEqual(['no such document']);
    expect(problemsIn('[guide](missing.md#x)', 'docs/guide.md')).toEqual([
      'no such document (docs/missing.md)',
    ]);
  });

  it('makes anchors the way GitHub does', () => {
    expect(anchorOf('6.1 Safety invariants')).toBe('61-safety-invariants');
    expect(anchorOf('9. Names that do not say what they do')).toBe('9-names-that-do-not-say-what-they-do');
  });
});
