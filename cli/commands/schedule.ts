/** `mwaa-ops schedule`: EventBridge Scheduler schedules that start flows. */
import type { Command } from 'commander';
import { registerGroup } from './group.ts';

export function registerSchedule(program: Command): Command {
  return registerGroup(program, {
    name: 'schedule',
    summary: 'EventBridge Scheduler schedules that start flows',
    description: 'Manage the EventBridge Scheduler schedules that trigger flows (the scheduled DAG trigger).',
    planned: 'list, create, pause, resume and delete schedules; show the next run times.',
  });
}
