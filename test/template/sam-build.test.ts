import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { root } from '../../scripts/esbuild-options.ts';
import {
  acquireBuildLock,
  builtArtefact,
  functionEnvironments,
  functionIds,
  importModule,
  type SamBuild,
  samBuild,
} from './sam-build.ts';
import { loadTemplate } from './template-file.ts';
import { tool } from './tools.ts';

// `sam build` on the project, then every function's built artefact imported in its own Node 24
// process with the environment the template gives it: module scope runs (config read, SDK
// clients constructed, nothing called) and the handler must be an exported function.
tool('sam');

const sourceFunctions = functionIds(loadTemplate(join(root, 'template.yaml')));
const environments = functionEnvironments();

describe('sam build', () => {
  let build: SamBuild;
  let release: (() => void) | undefined;

  beforeAll(async () => {
    release = await acquireBuildLock();
    build = await samBuild();
  }, 20 * 60_000);

  afterAll(() => release?.());

  it('builds every function of template.yaml', () => {
    expect(functionIds(build.template)).toEqual(sourceFunctions);
  });

  it.each(sourceFunctions)(
    '%s: the built artefact imports and exports its handler as a function',
    async (id) => {
      const { file, exportName } = builtArtefact(build.template, id);
      const env = environments.get(id);
      if (env === undefined)
        throw new Error(`${id}: the local template loader left it out (its Condition is false)`);
      const result = await importModule(file, exportName, env);
      expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
      expect(exportName).toBe('handler');
      expect(result.exportType).toBe('function');
    },
    60_000,
  );

  it('the import fails when the template environment is missing (so the check above can fail)', async () => {
    const id = 'S3DagTriggerFunction';
    const { file, exportName } = builtArtefact(build.template, id);
    const lambdaOnly = Object.fromEntries(
      Object.entries(environments.get(id) ?? {}).filter(([name]) => name.startsWith('AWS_')),
    );
    const result = await importModule(file, exportName, lambdaOnly);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/Environment variable \w+ is required but is not set/);
  }, 60_000);
});

describe('importModule', () => {
  const dir = mkdtempSync(join(tmpdir(), 'template-tier-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports the exports of a module without the requested handler', async () => {
    const file = join(dir, 'index.mjs');
    writeFileSync(file, 'export const handle = async () => {};\nexport const other = 1;\n');
    const result = await importModule(file, 'handler', {});
    expect(result).toEqual({ status: 0, exportType: 'undefined', exports: ['handle', 'other'], stderr: '' });
  }, 30_000);
});
