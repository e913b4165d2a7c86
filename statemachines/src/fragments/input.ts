/**
 * The start of every workflow: defaults merged under the input, then the *Seconds settings
 * checked before anything is touched.
 */
import type { States } from '../types.ts';

/** ApplyDefaults, MergeDefaults: input values win over the defaults (shallow merge). */
export function applyDefaults(
  defaults: Record<string, unknown>,
  { next = 'ValidateInput', also = {} }: { next?: string; also?: Record<string, unknown> } = {},
): States {
  return {
    ApplyDefaults: {
      Type: 'Pass',
      Comment: 'Defaults for optional settings; tests shorten the waits through the input.',
      Parameters: { defaults, 'input.$': '$' },
      Next: 'MergeDefaults',
    },
    MergeDefaults: {
      Type: 'Pass',
      Comment: 'Input values win over the defaults (shallow merge).',
      Parameters: { 'config.$': 'States.JsonMerge($.defaults, $.input, false)', ...also },
      Next: next,
    },
  };
}

export interface WholeSecondsOptions {
  /** The JSONPaths of the *Seconds values, e.g. $.config.pollSeconds. */
  paths: string[];
  next: string;
  /** What InvalidSeconds says was (not) done, after "...; ". */
  outcome: string;
}

const settingName = (path: string) => path.slice(path.lastIndexOf('.') + 1);

const listed = (names: string[]) =>
  names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names.join('');

/**
 * ValidateSecondsRange … InvalidSeconds: each *Seconds value a whole number of at least 1, or
 * the execution fails with InvalidInputError (Step Functions would fail it with States.Runtime,
 * which no Catch handles). The entry state is ValidateSecondsRange.
 */
export function validateWholeSeconds({ paths, next, outcome }: WholeSecondsOptions): States {
  return {
    ValidateSecondsRange: {
      Type: 'Choice',
      Comment:
        'Before the lock: a *Seconds value that Step Functions would reject in TimeoutSecondsPath/HeartbeatSecondsPath/SecondsPath fails the execution with States.Runtime, which no Catch handles, so it must be refused here. Each value must be a number of at least 1 ...',
      Choices: [
        {
          And: paths.flatMap((Variable) => [
            { Variable, IsNumeric: true },
            { Variable, NumericGreaterThanEquals: 1 },
          ]),
          Next: 'FormatSeconds',
        },
      ],
      Default: 'InvalidSeconds',
    },
    FormatSeconds: {
      Type: 'Pass',
      Comment: '... and a whole number: its text has no decimal point or exponent.',
      Parameters: {
        'text.$': `States.Format('${paths.map(() => '{}').join(',')}', ${paths.join(', ')})`,
      },
      ResultPath: '$.wholeSeconds',
      Next: 'ValidateWholeSeconds',
    },
    ValidateWholeSeconds: {
      Type: 'Choice',
      Choices: [
        {
          Or: [
            { Variable: '$.wholeSeconds.text', StringMatches: '*.*' },
            { Variable: '$.wholeSeconds.text', StringMatches: '*e*' },
          ],
          Next: 'InvalidSeconds',
        },
      ],
      Default: next,
    },
    InvalidSeconds: {
      Type: 'Fail',
      Error: 'InvalidInputError',
      Cause: `${listed(paths.map(settingName))} must be whole numbers of seconds, at least 1; ${outcome}`,
    },
  };
}
