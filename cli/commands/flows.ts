/** `mwaa-ops flows`: the flows that map S3 objects and schedules to DAG runs (FlowsTable). */
import type { Command } from 'commander';
import { ValidationError } from '../../functions/shared/errors.ts';
import { s3Conf } from '../../functions/shared/flows/conf.ts';
import { type Flow, validateFlow } from '../../functions/shared/flows/model.ts';
import { routeObject } from '../../functions/shared/flows/routing.ts';
import { s3RunId } from '../../functions/shared/flows/run-ids.ts';
import type { FlowsStoreFactory } from '../flows-store.ts';
import { jsonText } from '../output.ts';
import type { CommandRuntime } from '../runtime.ts';
import { registerGroup } from './group.ts';

export interface FlowsDeps {
  store: FlowsStoreFactory;
  /** Reads a flow file (`-` is standard input). */
  readInput: (path: string) => string;
}

/** Parse a file holding one flow or an array of flows; every problem of every flow is reported. */
export function parseFlowFile(text: string, source: string): Flow[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new ValidationError(`${source} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  const items = Array.isArray(parsed) ? parsed : [parsed];
  const flows: Flow[] = [];
  const problems: string[] = [];
  items.forEach((item, index) => {
    const checked = validateFlow(item);
    if (checked.ok) flows.push(checked.flow);
    else {
      const id = (item as { flowId?: unknown })?.flowId;
      const label = typeof id === 'string' ? `flow "${id}"` : `flow #${index + 1}`;
      for (const problem of checked.problems) problems.push(`${label}: ${problem}`);
    }
  });
  if (problems.length > 0) {
    throw new ValidationError(`${source} has ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  }
  const ids = flows.map((f) => f.flowId);
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicate) throw new ValidationError(`${source} defines flow "${duplicate}" twice`);
  return flows;
}

function triggers(flow: Flow): string {
  const s3 = flow.s3.map((t) => `s3://${t.bucket}/${t.prefix ?? ''}*${t.suffix ?? ''}`);
  const schedules = flow.schedules.map(
    (s) => `${s.name}: ${s.expression}${s.timezone ? ` ${s.timezone}` : ''}`,
  );
  return [...s3, ...schedules].join(', ');
}

export function registerFlows(program: Command, runtime: CommandRuntime, deps: FlowsDeps): Command {
  const group = registerGroup(program, {
    name: 'flows',
    summary: 'which S3 objects and schedules start which DAG runs',
    description:
      'Manage flows. A flow maps a trigger (bucket + key prefix/suffix, or a schedule) to an ' +
      'environment, a DAG id and a conf template; flows live in the FlowsTable of the stack ' +
      '(docs/triggering.md).',
  });

  group
    .command('validate')
    .argument('<file>', 'JSON file with one flow or an array of flows (- for stdin)')
    .summary('check flow definitions without touching AWS')
    .action((file: string) => {
      const flows = parseFlowFile(deps.readInput(file), file === '-' ? 'stdin' : file);
      runtime.out(`${flows.length} valid flow(s): ${flows.map((f) => f.flowId).join(', ')}\n`);
    });

  group
    .command('put')
    .argument('<file>', 'JSON file with one flow or an array of flows (- for stdin)')
    .summary('create or replace flows, and their schedules')
    .description(
      'Validate, then write each flow to FlowsTable and make its schedules exist in EventBridge ' +
        'Scheduler (schedules the flow no longer declares are deleted). Nothing is written if any flow is invalid.',
    )
    .action(async (file: string, _options: unknown, command: Command) => {
      const flows = parseFlowFile(deps.readInput(file), file === '-' ? 'stdin' : file);
      const store = deps.store(runtime.context(command));
      for (const flow of flows) {
        await store.put(flow);
        const { upserted, deleted } = await store.syncSchedules(flow);
        runtime.out(
          `put ${flow.flowId}${upserted.length ? `; schedules: ${upserted.join(', ')}` : ''}${
            deleted.length ? `; removed schedules: ${deleted.join(', ')}` : ''
          }\n`,
        );
      }
    });

  group
    .command('get')
    .argument('<flowId>')
    .summary('print one flow as JSON')
    .action(async (flowId: string, _options: unknown, command: Command) => {
      const found = await deps.store(runtime.context(command)).get(flowId);
      if (!found) throw new ValidationError(`No flow ${flowId}`);
      if ('invalid' in found) {
        throw new ValidationError(
          `Flow ${flowId} is stored but invalid:\n  ${found.invalid.problems.join('\n  ')}`,
        );
      }
      runtime.out(jsonText(found.flow));
    });

  group
    .command('list')
    .summary('list flows (and stored rows that are invalid)')
    .action(async (_options: unknown, command: Command) => {
      const context = runtime.context(command);
      const { flows, invalid } = await deps.store(context).list();
      if (context.output === 'json') {
        runtime.out(jsonText({ flows, invalid }));
        return;
      }
      if (flows.length === 0 && invalid.length === 0) runtime.out('no flows\n');
      for (const flow of flows) {
        runtime.out(
          `${flow.flowId}  ${flow.enabled ? 'enabled ' : 'disabled'}  ${flow.environment}/${flow.dagId}  ${triggers(flow)}\n`,
        );
      }
      for (const bad of invalid) runtime.out(`${bad.flowId}  INVALID  ${bad.problems.join('; ')}\n`);
    });

  group
    .command('delete')
    .argument('<flowId>')
    .summary('delete a flow and its schedules')
    .action(async (flowId: string, _options: unknown, command: Command) => {
      const store = deps.store(runtime.context(command));
      const existed = await store.delete(flowId);
      const { deleted } = await store.syncSchedules({ flowId, schedules: [] });
      if (!existed && deleted.length === 0) throw new ValidationError(`No flow ${flowId}`);
      runtime.out(`deleted ${flowId}${deleted.length ? `; removed schedules: ${deleted.join(', ')}` : ''}\n`);
    });

  group
    .command('test')
    .argument('<bucket>')
    .argument('<key>', 'the object key, decoded (as you would type it)')
    .option('--sequencer <sequencer>', 'the S3 event sequencer to derive the run id from', 'dry-run')
    .option('--version-id <id>', 'the object version id (versioned buckets)')
    .option('--size <bytes>', 'object size to put in the conf', (v) => Number.parseInt(v, 10))
    .summary('dry run: which flows an object would start, with what run id and conf')
    .action(
      async (
        bucket: string,
        key: string,
        options: { sequencer: string; versionId?: string; size?: number },
        command: Command,
      ) => {
        const context = runtime.context(command);
        const { flows, invalid } = await deps.store(context).list();
        const { matches, disabled } = routeObject(flows, bucket, key);
        const object = {
          bucket,
          key,
          sequencer: options.sequencer,
          ...(options.versionId === undefined ? {} : { versionId: options.versionId }),
          ...(options.size === undefined ? {} : { size: options.size }),
        };
        const runs = matches.map(({ flow }) => ({
          flowId: flow.flowId,
          environment: flow.environment,
          dagId: flow.dagId,
          runId: s3RunId(flow.flowId, object),
          conf: s3Conf(flow.flowId, flow.conf, object),
        }));
        if (context.output === 'json') {
          runtime.out(jsonText({ runs, disabled: disabled.map((f) => f.flowId), invalid }));
          return;
        }
        if (runs.length === 0) runtime.out(`no enabled flow matches s3://${bucket}/${key}\n`);
        for (const run of runs) {
          runtime.out(
            `${run.flowId} → ${run.environment}/${run.dagId} run ${run.runId}\n${jsonText(run.conf)}`,
          );
        }
        if (disabled.length)
          runtime.out(`disabled flows that match: ${disabled.map((f) => f.flowId).join(', ')}\n`);
        for (const bad of invalid)
          runtime.out(`warning: stored flow ${bad.flowId} is invalid and is skipped\n`);
      },
    );

  return group;
}
