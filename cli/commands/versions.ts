/** `mwaa-ops versions`: the supported Airflow versions and the allowed upgrade paths. */
import type { Command } from 'commander';
import { registerGroup } from './group.ts';

export function registerVersions(program: Command): Command {
  return registerGroup(program, {
    name: 'versions',
    summary: 'supported Airflow versions and allowed upgrades',
    description:
      'Show the Airflow versions in scope and the version changes MWAA allows (minor up or down ' +
      'within a major; 2.x to 3.x only from 2.11.x; 3.x back to 2.11.x), from the same data file ' +
      'the upgrade workflow validates against.',
    planned: 'list supported versions, check whether a change from one version to another is allowed.',
  });
}
