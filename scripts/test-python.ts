/**
 * `npm run test:python`: the DAGs' own tests (dags/tests) with pytest, in the project's pinned
 * virtualenvs (scripts/python-env.ts).
 *
 * pytest runs on the Airflow 2.11.0 venv's interpreter (SQLAlchemy 1.4 and boto3 as on MWAA); the
 * real-Airflow tests start `airflow` from each venv in REAL_AIRFLOW_VERSIONS, so one run covers
 * several Airflow versions and the cross-version restores between them.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { root } from './esbuild-options.ts';
import { missingPrerequisites } from './prerequisites.ts';
import { ensureVenvs, PrerequisiteError, venvBin } from './python-env.ts';

/** Airflow versions installed for the real-Airflow tests (each a scripts/python/airflow-<v>.in). */
const REAL_AIRFLOW_VERSIONS = ['2.7.2', '2.10.3', '2.11.0'];
const RUNNER = 'airflow-2.11.0';

const missing = missingPrerequisites(['python']);
for (const line of missing) console.error(`missing prerequisite: ${line}`);
if (missing.length) process.exit(1);

try {
  await ensureVenvs(REAL_AIRFLOW_VERSIONS.map((version) => `airflow-${version}`));
} catch (error) {
  console.error(error instanceof PrerequisiteError ? error.message : String(error));
  process.exit(1);
}

const result = spawnSync(
  venvBin(RUNNER, 'python'),
  ['-m', 'pytest', '-v', join(root, 'dags', 'tests'), ...process.argv.slice(2)],
  {
    stdio: 'inherit',
    cwd: root,
    env: { ...process.env, MWAA_OPS_REAL_AIRFLOW_VERSIONS: REAL_AIRFLOW_VERSIONS.join(',') },
  },
);
if (result.error) {
  console.error(`python: could not run pytest: ${result.error.message}`);
  process.exit(1);
}
process.exit(result.status ?? 1);
