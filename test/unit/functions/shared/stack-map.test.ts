/**
 * Logged stacks name the TypeScript sources without --enable-source-maps: a real minified,
 * code-split esbuild bundle fails in a fresh Node (no source-map flag), and mapStack turns its
 * V8 stack into source paths, lines and columns.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { build } from 'esbuild';
import { stackToLog } from '../../../../functions/shared/observability.ts';
import { atInit, mapStack } from '../../../../functions/shared/stack-map.ts';
import { functionBundleOptions } from '../../../../scripts/esbuild-options.ts';

let dir: string;
let rawStack: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mwaa-ops-stack-map-'));
  writeFileSync(
    join(dir, 'deep.ts'),
    ['export function failDeep(what: string): never {', "  throw new Error('no ' + what);", '}', ''].join(
      '\n',
    ),
  );
  writeFileSync(
    join(dir, 'entry.ts'),
    [
      'export async function run(): Promise<void> {',
      "  const { failDeep } = await import('./deep.ts');",
      "  failDeep('flow');",
      '}',
      '',
    ].join('\n'),
  );
  await build({
    ...functionBundleOptions,
    entryPoints: [join(dir, 'entry.ts')],
    outdir: join(dir, 'out'),
    outExtension: { '.js': '.mjs' },
    logLevel: 'warning',
  });
  const child = spawnSync(
    process.execPath,
    [
      '-e',
      'import(process.argv[1]).then((m) => m.run()).catch((e) => { process.stdout.write(e.stack); })',
      pathToFileURL(join(dir, 'out', 'entry.mjs')).href,
    ],
    { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } },
  );
  rawStack = child.stdout;
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('functions/shared/stack-map', () => {
  it('maps the frames of a split, minified bundle to the TypeScript files and lines', () => {
    // Without the flag, V8 names the bundle files: nothing useful for an operator.
    expect(rawStack).toMatch(/^Error: no flow\n/);
    expect(rawStack).toMatch(/out\/(chunk-|deep-)[^:]*\.mjs:\d+:\d+/);
    expect(rawStack).not.toContain('.ts:');
    const mapped = mapStack(rawStack);
    expect(mapped.split('\n')[0]).toBe('Error: no flow');
    expect(mapped).toContain(`${join(dir, 'deep.ts')}:2:9`);
    expect(mapped).toContain(`${join(dir, 'entry.ts')}:3:3`);
    expect(mapped).not.toMatch(/out\/[^:]*\.mjs:/);
  });

  it('is what the logger writes for an error from the bundle: stack and location', () => {
    const error = new Error('no flow');
    error.stack = rawStack;
    const lines: string[] = [];
    const spies = [process.stdout, process.stderr].map((stream) =>
      jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        lines.push(String(chunk));
        return true;
      }),
    );
    try {
      stackToLog(new Logger({ serviceName: 's' })).onError?.({ error } as never);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    const formatted = (JSON.parse(lines[0] ?? '{}') as { error: { location: string; stack: string } }).error;
    expect(formatted.location).toBe(`${join(dir, 'deep.ts')}:2`);
    expect(formatted.stack).toBe(mapStack(rawStack));
  });

  it('leaves frames without a source map beside them as they are', () => {
    const stack = [
      'Error: x',
      '    at f (file:///nowhere/index.mjs:1:20)',
      '    at TCPConnectWrap.afterConnect (node:net:2021:16)',
    ].join('\n');
    expect(mapStack(stack)).toBe(stack);
  });

  it('atInit hands back the value, or rethrows the same error with its stack mapped', () => {
    expect(atInit(() => 42)).toBe(42);
    const error = new Error('boom');
    error.stack = rawStack;
    let caught: unknown;
    try {
      atInit(() => {
        throw error;
      });
    } catch (thrown) {
      caught = thrown;
    }
    expect(caught).toBe(error);
    expect(error.stack).toContain(`${join(dir, 'deep.ts')}:2:9`);
  });
});
