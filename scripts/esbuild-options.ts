/**
 * The esbuild settings shared by `npm run build`, the benchmarks and the template tests, so the
 * bundles we test are the bundles `sam build` produces.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// Some dependencies are CommonJS and call `require`; an ESM bundle needs one defined.
export const requireShim =
  "import { createRequire as __mwaaOpsCreateRequire } from 'node:module'; const require = __mwaaOpsCreateRequire(import.meta.url);";

export const functionBundleOptions: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  minify: true,
  sourcemap: true,
  // Each function's entry module imports only what init needs; the rest is behind `import()`
  // (functions/shared/lazy.ts). Splitting makes those separate files beside index.mjs, so Node
  // parses them only when the first invocation loads them; without it they would sit in
  // index.mjs and be compiled at init. SAM passes it on as `--splitting` (it already sets
  // `--outdir`, which splitting needs).
  splitting: true,
  mainFields: ['module', 'main'],
  banner: { js: requireShim },
};

/** Folders under functions/ that hold a Lambda entry point (functions/shared is a library). */
export function functionNames(): string[] {
  const dir = join(root, 'functions');
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name !== 'shared')
    .filter((entry) => existsSync(join(dir, entry.name, 'index.ts')))
    .map((entry) => entry.name)
    .sort();
}
