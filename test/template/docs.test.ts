import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { root } from '../../scripts/esbuild-options.ts';
import { renderDeployDoc } from '../../scripts/template-docs.ts';

describe('docs/deploy.md', () => {
  it('lists every template parameter and output as template.yaml declares them (run scripts/template-docs.ts)', () => {
    const doc = readFileSync(join(root, 'docs', 'deploy.md'), 'utf8');
    const template = readFileSync(join(root, 'template.yaml'), 'utf8');
    expect(doc).toBe(renderDeployDoc(doc, template));
  });
});
