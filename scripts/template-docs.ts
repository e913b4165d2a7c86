/**
 * The parameter and output tables of docs/deploy.md, generated from template.yaml so the docs
 * cannot drift: `node scripts/template-docs.ts` rewrites them, and a template test fails when
 * the committed doc differs from what this would write.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { yamlParse } from 'yaml-cfn';
import { root } from './esbuild-options.ts';

interface Parameter {
  Type: string;
  Default?: unknown;
  AllowedValues?: unknown[];
  Description?: string;
  MinValue?: number;
  MaxValue?: number;
}

const cell = (text: string) => text.replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim();

export function renderTables(templateText: string): { parameters: string; outputs: string } {
  const template = yamlParse(templateText) as {
    Parameters: Record<string, Parameter>;
    Outputs: Record<string, { Description?: string }>;
  };
  const parameters = [
    '| parameter | default | allowed | meaning |',
    '| --- | --- | --- | --- |',
    ...Object.entries(template.Parameters).map(([name, p]) => {
      const fallback =
        p.Default === undefined ? '(required)' : p.Default === '' ? '(empty)' : `\`${String(p.Default)}\``;
      const allowed = p.AllowedValues
        ? p.AllowedValues.map((v) => `\`${String(v)}\``).join(', ')
        : p.MinValue !== undefined || p.MaxValue !== undefined
          ? `${p.MinValue ?? ''}–${p.MaxValue ?? ''}`
          : '';
      return `| \`${name}\` | ${fallback} | ${allowed} | ${cell(p.Description ?? '')} |`;
    }),
  ].join('\n');
  const outputs = [
    '| output | what it is |',
    '| --- | --- |',
    ...Object.entries(template.Outputs).map(([name, o]) => `| \`${name}\` | ${cell(o.Description ?? '')} |`),
  ].join('\n');
  return { parameters, outputs };
}

export function replaceBetween(doc: string, marker: string, content: string): string {
  const start = `<!-- ${marker}:start (generated from template.yaml by scripts/template-docs.ts) -->`;
  const end = `<!-- ${marker}:end -->`;
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  if (from < 0 || to < from) throw new Error(`docs/deploy.md lacks the ${marker} markers`);
  return `${doc.slice(0, from + start.length)}\n${content}\n${doc.slice(to)}`;
}

export function renderDeployDoc(doc: string, templateText: string): string {
  const tables = renderTables(templateText);
  return replaceBetween(replaceBetween(doc, 'parameters', tables.parameters), 'outputs', tables.outputs);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const docPath = join(root, 'docs', 'deploy.md');
  const doc = readFileSync(docPath, 'utf8');
  writeFileSync(docPath, renderDeployDoc(doc, readFileSync(join(root, 'template.yaml'), 'utf8')));
  console.log('docs/deploy.md: parameter and output tables regenerated');
}
