import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { templateChecks } from './checks.ts';
import { loadTemplate } from './template-file.ts';

// The guard for every change to template.yaml: each project check must find nothing.
// checks.test.ts shows that each check does report the mistakes it exists to catch;
// cfn-lint.test.ts and sam-build.test.ts run cfn-lint, `sam validate --lint` and `sam build`.
const root = fileURLToPath(new URL('../../', import.meta.url));
const template = loadTemplate(join(root, 'template.yaml'));

describe('template.yaml', () => {
  it.each(Object.keys(templateChecks))('passes %s', (name) => {
    expect(templateChecks[name]!(template, root)).toEqual([]);
  });
});
