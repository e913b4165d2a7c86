import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { cfnSpec } from './cfn-spec.ts';
import { templateChecks } from './checks.ts';
import { samSchema } from './sam-schema.ts';
import { loadTemplate } from './template-file.ts';

// The guard for every change to template.yaml: each check must find nothing. checks.test.ts shows
// that each check does report the mistakes it exists to catch.
const root = fileURLToPath(new URL('../../', import.meta.url));
const template = loadTemplate(join(root, 'template.yaml'));

beforeAll(() => {
  cfnSpec();
  samSchema();
}, 30_000);

describe('template.yaml', () => {
  it.each(Object.keys(templateChecks))('passes %s', (name) => {
    expect(templateChecks[name]!(template, root)).toEqual([]);
  });
});
