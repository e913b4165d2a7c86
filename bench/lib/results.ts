/**
 * Result files: `bench/results/<name>.json` per benchmark (for machines) and
 * `bench/results/SUMMARY.md` (for people), rebuilt from every result file present so running one
 * benchmark keeps the others' latest numbers in the summary.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunEnvironment } from './environment.ts';
import { formatBytes, markdownTable } from './format.ts';
import type { BenchResult } from './types.ts';

/** Bump when the shape of a result file changes incompatibly. */
export const RESULT_FORMAT_VERSION = 1;

export interface ResultFile extends BenchResult {
  readonly formatVersion: number;
  readonly benchmark: string;
  /** ISO 8601, UTC. */
  readonly timestamp: string;
  readonly durationMs: number;
  readonly environment: RunEnvironment;
}

/** Write atomically (temp file + rename) so a crash never leaves half a JSON file behind. */
function writeAtomically(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}

export function writeResult(dir: string, file: ResultFile): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${file.benchmark}.json`);
  writeAtomically(path, `${JSON.stringify(file, null, 2)}\n`);
  return path;
}

/** Every result file in `dir`, in the given order first, then alphabetically. */
export function readResults(dir: string, order: readonly string[] = []): ResultFile[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.json'));
  } catch {
    return [];
  }
  const rank = (name: string) => {
    const index = order.indexOf(name.replace(/\.json$/, ''));
    return index === -1 ? order.length : index;
  };
  return names
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
    .map((name) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as ResultFile)
    .filter((file) => file.formatVersion === RESULT_FORMAT_VERSION);
}

function describeEnvironment(file: ResultFile): string {
  const env = file.environment;
  const commit =
    env.commit === null
      ? 'no git commit'
      : `commit ${env.commit.slice(0, 12)}${env.dirty ? ' (+ local changes)' : ''}`;
  return (
    `Run ${file.timestamp} on Node ${env.node}, ${env.platform}/${env.arch}, ` +
    `${env.cpuCount} × ${env.cpuModel}, ${formatBytes(env.memoryBytes)} RAM; ${commit}.`
  );
}

/** The Markdown summary of all result files. */
export function summaryMarkdown(files: readonly ResultFile[]): string {
  const sections = files.map((file) =>
    [
      `## ${file.benchmark}`,
      '',
      describeEnvironment(file),
      '',
      ...file.notes.map((note) => `- ${note}`),
      ...file.tables.flatMap((table) => ['', markdownTable(table)]),
    ].join('\n'),
  );
  return [
    '# Benchmark results',
    '',
    'Written by `npm run bench`; see docs/benchmarks.md for what is measured and how to read it.',
    '',
    ...(sections.length === 0 ? ['No results yet.'] : sections.join('\n\n').split('\n')),
    '',
  ].join('\n');
}

export function writeSummary(dir: string, order: readonly string[]): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'SUMMARY.md');
  writeAtomically(path, summaryMarkdown(readResults(dir, order)));
  return path;
}
