/** `mwaa-ops flows`: the flows that map S3 objects and schedules to DAG runs (FlowsTable). */
import type { Command } from 'commander';
import { registerGroup } from './group.ts';

export function registerFlows(program: Command): Command {
  return registerGroup(program, {
    name: 'flows',
    summary: 'which S3 objects and schedules start which DAG runs',
    description:
      'Manage flows. A flow maps a trigger (bucket + key prefix/suffix, or a schedule) to an ' +
      'environment, a DAG id and a conf template; flows live in the FlowsTable of the stack.',
    planned: 'list, show, put, enable, disable and delete flows; test which flows an S3 key routes to.',
  });
}
