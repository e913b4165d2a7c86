/**
 * Regenerates `generated.json` from the installed SDK clients:
 *
 *     node local/core/model-errors/generate.ts
 *
 * Run it after upgrading an `@aws-sdk/client-*` package; `npm run format` afterwards.
 */
import { writeFileSync } from 'node:fs';
import { collectAll } from './collect.ts';

const services = await collectAll();
const target = new URL('./generated.json', import.meta.url);
writeFileSync(
  target,
  `${JSON.stringify({ generatedBy: 'node local/core/model-errors/generate.ts', services }, null, 2)}\n`,
);
console.log(`wrote ${target.pathname}`);
