/**
 * Which `ErrorEquals` names of a definition no integration can ever produce. A Retry on
 * `Mwaa.ThrottlingException` passes validation on AWS and never fires: MWAA's model has no such
 * error, so Step Functions reports a throttled call as `Mwaa.MwaaException`. This walk finds
 * such names from the same model data the local engine names failures with.
 */
import {
  type ErrorNaming,
  hasModel,
  OPTIMIZED_NAMING,
  optimizedNaming,
  producibleNames,
  sdkIntegrationNaming,
} from './integration-errors.ts';
import { parseResource } from './tasks.ts';

export interface ErrorNameProblem {
  /** State names from the top, through Parallel branches and Map processors. */
  path: string[];
  field: 'Retry' | 'Catch';
  name: string;
  reason: string;
}

type StateMap = Record<string, Record<string, unknown>>;

export function unproducibleErrorNames(definition: Record<string, unknown>): ErrorNameProblem[] {
  const problems: ErrorNameProblem[] = [];
  walk((definition.States ?? {}) as StateMap, [], problems);
  return problems;
}

function walk(states: StateMap, path: string[], problems: ErrorNameProblem[]): void {
  for (const [name, state] of Object.entries(states)) {
    const here = [...path, name];
    if (state.Type === 'Task') checkTask(state, here, problems);
    for (const branch of (state.Branches as Array<{ States: StateMap }> | undefined) ?? []) {
      walk(branch.States, here, problems);
    }
    const processor = (state.ItemProcessor ?? state.Iterator) as { States: StateMap } | undefined;
    if (processor) walk(processor.States, here, problems);
  }
}

interface TaskNames {
  naming?: ErrorNaming;
  /** A Lambda function's own errors arrive under its errorType: any unprefixed name can match. */
  functionErrors: boolean;
  problem?: string;
}

function taskNames(resource: unknown): TaskNames {
  if (typeof resource !== 'string') return { functionErrors: false, problem: 'Resource is not a string' };
  let parsed: ReturnType<typeof parseResource>;
  try {
    parsed = parseResource(resource);
  } catch (error) {
    return { functionErrors: false, problem: (error as Error).message };
  }
  if (parsed.sdk) {
    const naming = sdkIntegrationNaming(parsed.service);
    return hasModel(naming)
      ? { naming, functionErrors: false }
      : { functionErrors: false, problem: `no API model is known for service ${parsed.service}` };
  }
  if (parsed.service === 'lambda') return { naming: OPTIMIZED_NAMING.lambda, functionErrors: true };
  const naming = optimizedNaming(parsed.service);
  return naming
    ? { naming, functionErrors: false }
    : { functionErrors: false, problem: `no error naming is known for ${parsed.service} integrations` };
}

function checkTask(state: Record<string, unknown>, path: string[], problems: ErrorNameProblem[]): void {
  const names = taskNames(state.Resource);
  const producible = names.naming ? producibleNames(names.naming) : new Set<string>();
  for (const field of ['Retry', 'Catch'] as const) {
    for (const rule of (state[field] as Array<{ ErrorEquals?: unknown }> | undefined) ?? []) {
      for (const name of (rule.ErrorEquals as string[] | undefined) ?? []) {
        if (name.startsWith('States.')) continue;
        if (names.problem) {
          problems.push({ path, field, name, reason: names.problem });
          continue;
        }
        const prefixed = names.naming !== undefined && name.startsWith(`${names.naming.prefix}.`);
        if (names.functionErrors && !prefixed) continue;
        if (producible.has(name)) continue;
        problems.push({
          path,
          field,
          name,
          reason: prefixed
            ? `${names.naming?.service}'s API model defines no such error; codes it lacks arrive as ${names.naming?.generic}`
            : `this integration's errors are named ${names.naming?.prefix}.<Error>`,
        });
      }
    }
  }
}
