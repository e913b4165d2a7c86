/**
 * Finds the places where code, tests, workflows and docs cite the architecture page
 * (docs/architecture.md §N, docs/architecture.md#<anchor>, invariant N) or another doc
 * (docs/<name>.md, relative Markdown links), and reports each citation that points nowhere.
 * Pure functions over text, so the unit test can also prove that a broken citation is caught.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export const ARCHITECTURE_DOC = 'docs/architecture.md';

/** What a citation may point at in docs/architecture.md. */
export interface ArchitectureOutline {
  /** Numbered headings: "4", "6.1". */
  sections: Set<string>;
  /** GitHub-style anchors of every heading. */
  anchors: Set<string>;
  /** Numbers of the safety invariants (the numbered list under the "Safety invariants" heading). */
  invariants: Set<string>;
}

export interface Problem {
  file: string;
  line: number;
  citation: string;
  problem: string;
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
export function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

export function outlineOf(markdown: string): ArchitectureOutline {
  const sections = new Set<string>();
  const anchors = new Set<string>();
  const invariants = new Set<string>();
  let inInvariants = false;
  for (const line of markdown.split('\n')) {
    const heading = /^#{1,6} (.+)$/.exec(line);
    if (heading) {
      const text = heading[1] ?? '';
      anchors.add(anchorOf(text));
      const number = /^(\d+(?:\.\d+)*)\.? /.exec(text);
      if (number?.[1]) sections.add(number[1]);
      inInvariants = /safety invariants/i.test(text);
      continue;
    }
    const item = /^(\d+)\. /.exec(line);
    if (inInvariants && item?.[1]) invariants.add(item[1]);
  }
  return { sections, anchors, invariants };
}

const lineAt = (text: string, index: number) => text.slice(0, index).split('\n').length;

/**
 * How far after "invariant N" the pointer to the architecture page may come; enough for
 * "invariant 2, docs/architecture.md §6.1" with some words between, not a whole file away.
 */
const INVARIANT_POINTER_WINDOW = 120;

/**
 * Problems with the citations in one file's text. `file` is the path relative to the repository
 * root; `exists` answers whether a repository-relative path exists.
 */
export function citationProblems(
  file: string,
  text: string,
  outline: ArchitectureOutline,
  exists: (path: string) => boolean,
): Problem[] {
  const problems: Problem[] = [];
  const report = (index: number, citation: string, problem: string) =>
    problems.push({ file, line: lineAt(text, index), citation, problem });
  const isArchitectureDoc = file === ARCHITECTURE_DOC;

  // The design used to live outside the repository, cited by its upper-case file name.
  for (const match of text.matchAll(/\bARCHITECTURE(?:\.md)?\s*§\s*[\d.]+|\bARCHITECTURE\.md\b/g)) {
    report(match.index, match[0], `cites a document that is not in the repository; cite ${ARCHITECTURE_DOC}`);
  }

  const sectionCitations = isArchitectureDoc
    ? /(?:docs\/)?(?:architecture\.md )?§(\d+(?:\.\d+)*)/g
    : /(?:docs\/)?architecture\.md §(\d+(?:\.\d+)*)/g;
  for (const match of text.matchAll(sectionCitations)) {
    const section = (match[1] ?? '').replace(/\.$/, '');
    if (!outline.sections.has(section))
      report(match.index, match[0], `${ARCHITECTURE_DOC} has no section ${section}`);
  }

  for (const match of text.matchAll(/architecture\.md#([\w-]+)/g)) {
    if (!outline.anchors.has(match[1] ?? ''))
      report(match.index, match[0], `${ARCHITECTURE_DOC} has no heading with anchor #${match[1]}`);
  }

  for (const match of text.matchAll(/\binvariant (\d+)/gi)) {
    const number = match[1] ?? '';
    if (!outline.invariants.has(number)) {
      report(match.index, match[0], `${ARCHITECTURE_DOC} §6.1 lists no invariant ${number}`);
      continue;
    }
    const after = text.slice(match.index, match.index + match[0].length + INVARIANT_POINTER_WINDOW);
    if (!isArchitectureDoc && !after.includes('architecture.md'))
      report(
        match.index,
        match[0],
        `say where the invariant is defined: "${match[0]}, ${ARCHITECTURE_DOC} §6.1"`,
      );
  }

  // Other documents: repository paths docs/<name>.md anywhere, relative links in Markdown.
  for (const match of text.matchAll(/\bdocs\/([\w-]+)\.md/g)) {
    if (!exists(`docs/${match[1]}.md`)) report(match.index, match[0], 'no such document');
  }
  if (file.endsWith('.md')) {
    for (const match of text.matchAll(/\]\(([^)#\s:]+\.md)(?:#[^)]*)?\)/g)) {
      const target = join(dirname(file), match[1] ?? '');
      if (!exists(target)) report(match.index, match[0], `no such document (${target})`);
    }
  }
  return problems;
}

// .mwaa-ops/ is local scratch (gitignored: stop notes and the like), never part of the repository.
const SKIP_DIRS = new Set([
  'node_modules',
  'dist',
  '.git',
  '.aws-sam',
  'coverage',
  'results',
  '.cache',
  '.mwaa-ops',
]);
const CITING_FILES = /\.(ts|mts|mjs|js|py|md|json|yaml|yml|toml)$/;

/** Source, test, workflow and doc files of the repository (not dependencies or build output). */
export function citingFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name) && !entry.name.startsWith('.venv')) walk(join(dir, entry.name));
      } else if (CITING_FILES.test(entry.name) && entry.name !== 'package-lock.json') {
        found.push(relative(root, join(dir, entry.name)));
      }
    }
  };
  walk(root);
  return found.sort();
}

/** Files whose citations are broken on purpose, and why. */
const EXEMPT: Record<string, string> = {
  'test/unit/docs/architecture-references.test.ts':
    'its fixtures are broken citations, to prove they are caught',
};

/** Every broken citation in the repository at `root`. */
export function repositoryCitationProblems(root: string): Problem[] {
  const outline = outlineOf(readFileSync(join(root, ARCHITECTURE_DOC), 'utf8'));
  const exists = (path: string) => existsSync(resolve(root, path));
  return citingFiles(root)
    .filter((file) => !(file in EXEMPT))
    .flatMap((file) => citationProblems(file, readFileSync(join(root, file), 'utf8'), outline, exists));
}
