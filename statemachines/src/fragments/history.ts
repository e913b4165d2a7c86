/**
 * The pause history (pause, resume): one PAUSED or RUNNING entry per execution in the month's
 * item '<environment>#history#<yyyy-mm>', which mwaa-ops report savings reads.
 */
import type { States } from '../types.ts';
import { catchAll, DYNAMODB_RETRY, ENVIRONMENTS_TABLE } from './retry.ts';

export interface RecordHistoryOptions {
  /** PAUSED or RUNNING. */
  state: string;
  /** The Stamp<State>History state: its Comment, and the path of the entry's time. */
  stampComment: string;
  atPath: string;
  /** Where to go, whether the write succeeded or not (best effort). */
  next: string;
}

const capitalized = (s: string) => s.charAt(0) + s.slice(1).toLowerCase();

/** Stamp<State>History, Record<State>History; the entry state is Stamp<State>History. */
export function recordHistory({ state, stampComment, atPath, next }: RecordHistoryOptions): States {
  const name = capitalized(state);
  const part = (i: number) => `States.ArrayGetItem(States.StringSplit(${atPath}, '-'), ${i})`;
  return {
    [`Stamp${name}History`]: {
      Type: 'Pass',
      Comment: stampComment,
      Parameters: { 'at.$': atPath, 'month.$': `States.Format('{}-{}', ${part(0)}, ${part(1)})` },
      ResultPath: '$.history',
      Next: `Record${name}History`,
    },
    [`Record${name}History`]: {
      Type: 'Task',
      Comment: `Append ${state} to the environment's pause history for the month (item '<environment>#history#<yyyy-mm>', read by mwaa-ops report savings). Once per execution: the execution name is added to a set, and a write for a name already in it fails its condition, so a retry or re-run adds nothing. Best effort: a failure never fails the workflow, whose work is done.`,
      Resource: 'arn:aws:states:::dynamodb:updateItem',
      Parameters: {
        TableName: ENVIRONMENTS_TABLE,
        Key: {
          environment: { 'S.$': "States.Format('{}#history#{}', $.config.environment, $.history.month)" },
        },
        UpdateExpression:
          'SET #historyOf = :environment, #month = :month, #transitions = list_append(if_not_exists(#transitions, :none), :entry) ADD #executions :names',
        ConditionExpression: 'attribute_not_exists(#executions) OR NOT contains(#executions, :name)',
        ExpressionAttributeNames: {
          '#historyOf': 'historyOf',
          '#month': 'month',
          '#transitions': 'transitions',
          '#executions': 'executions',
        },
        ExpressionAttributeValues: {
          ':environment': { 'S.$': '$.config.environment' },
          ':month': { 'S.$': '$.history.month' },
          ':none': { L: [] },
          ':entry': {
            L: [
              {
                M: {
                  state: { S: state },
                  at: { 'S.$': '$.history.at' },
                  execution: { 'S.$': '$$.Execution.Name' },
                },
              },
            ],
          },
          ':names': { 'SS.$': 'States.Array($$.Execution.Name)' },
          ':name': { 'S.$': '$$.Execution.Name' },
        },
      },
      ResultPath: null,
      Retry: DYNAMODB_RETRY,
      Catch: catchAll(next, '$.historyError'),
      Next: next,
    },
  };
}
