/**
 * The local cloud must not agree with the product by construction: an emulator that imported the
 * product's version matrix, backup writer or page helpers would share every bug with the code it
 * tests, and no test could ever see it. So nothing under local/ may import from functions/.
 * The `npm start` walkthrough, which *is* a client of the product and drives it on purpose, lives
 * outside the tree, in demo/.
 *
 * Not imports, and so not in scope: the template loader reading template.yaml and the Lambda
 * runtime loading the function bundles (dist/functions/…) the template declares — running the
 * product's code is their job. Tests (test/ and local/test/) may import both sides, and do, to
 * compare them (test/unit/emulator-agreement/versions-and-backup-format.test.ts).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const local = join(root, 'local');

/** Paths under local/ allowed to import product code, and why. */
const EXEMPT: Record<string, string> = {
  'local/test/':
    'the local cloud’s own tests: like every test, they may compare the emulator with the product',
};

const SOURCE = /\.(ts|mts|js|mjs|cjs)$/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path);
    return SOURCE.test(entry.name) ? [path] : [];
  });
}

const repoPath = (path: string) => relative(root, path).split('\\').join('/');
const isExempt = (file: string) =>
  Object.keys(EXEMPT).some((p) => (p.endsWith('/') ? file.startsWith(p) : file === p));

/**
 * Every module a file names: static imports and re-exports, `import type`, side-effect imports,
 * `import()` with a literal and `require()` (TypeScript's own scanner, so comments and strings
 * never count).
 */
function importsOf(path: string): string[] {
  const info = ts.preProcessFile(readFileSync(path, 'utf8'), true, true);
  return info.importedFiles.map((f) => f.fileName);
}

/** `<file>: <specifier>` for every import of a file under functions/. */
function productImports(files: string[]): string[] {
  const functions = join(root, 'functions');
  return files.flatMap((file) =>
    importsOf(file)
      .filter((specifier) => specifier.startsWith('.'))
      .filter((specifier) => {
        const target = resolve(dirname(file), specifier);
        return target === functions || target.startsWith(`${functions}/`);
      })
      .map((specifier) => `${repoPath(file)}: ${specifier}`),
  );
}

describe('the local cloud does not import the product', () => {
  const files = sourceFiles(local);

  it('no file under local/ (outside the walkthrough) imports from functions/', () => {
    const offenders = productImports(files.filter((f) => !isExempt(repoPath(f))));
    // Each entry names the file and the import; give the emulator its own data or code instead.
    expect(offenders).toEqual([]);
  });

  it('in particular, the emulated MWAA and Airflow have their own versions, backup format and pages', () => {
    const mwaa = files.filter((f) => repoPath(f).startsWith('local/mwaa/'));
    expect(mwaa.length).toBeGreaterThan(10);
    expect(productImports(mwaa)).toEqual([]);
  });

  it('the scan is not vacuous: it sees the imports the walkthrough (demo/) does make', () => {
    const demo = productImports(sourceFiles(join(root, 'demo')));
    expect(demo.length).toBeGreaterThan(0);
    // A specifier climbing out of a folder into functions/ is recognised whatever its spelling.
    expect(importsOf(join(root, 'demo', 'start.ts')).some((s) => s.includes('functions/'))).toBe(true);
  });

  it('every exemption still names something that exists', () => {
    for (const path of Object.keys(EXEMPT))
      expect([path, existsSync(join(root, path))]).toEqual([path, true]);
  });
});
