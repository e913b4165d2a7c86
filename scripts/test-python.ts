/**
 * `npm run test:python`: the DAGs' own tests (dags/tests) with pytest from Debian's packages
 * (`python3-pytest`, installed by .ci/run), using the system interpreter that those packages
 * belong to rather than whatever `python3` comes first on the PATH.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './esbuild-options.ts';

const testsDir = join(root, 'dags', 'tests');
const hasTests = existsSync(testsDir) && readdirSync(testsDir).some((f) => /^test_.*\.py$/.test(f));
if (!hasTests) {
  console.log('python: no DAG tests yet (dags/tests has no test_*.py); nothing to run');
  process.exit(0);
}

const python = process.env.MWAA_OPS_PYTHON ?? '/usr/bin/python3';
const result = spawnSync(python, ['-m', 'pytest', '-q', testsDir], { stdio: 'inherit', cwd: root });
if (result.error) {
  console.error(`python: could not run ${python} -m pytest: ${result.error.message}`);
  process.exit(1);
}
// pytest exits 5 when it collected no tests (e.g. every test file was filtered out): nothing
// failed, so that is not a failure of the suite.
if (result.status === 5) {
  console.log('python: pytest collected no tests');
  process.exit(0);
}
process.exit(result.status ?? 1);
