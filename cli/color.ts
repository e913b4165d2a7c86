/**
 * Whether text output may carry ANSI colours, from the `--no-color` flag, the `NO_COLOR` and
 * `FORCE_COLOR` conventions and whether stdout is a terminal. A pure function so every rule is
 * tested without a terminal.
 *
 * The rules, in order (the first that applies decides):
 * 1. `--no-color` on the command line: off. An explicit flag beats the environment.
 * 2. `NO_COLOR` set to a non-empty value: off. https://no-color.org: "when present and not an
 *    empty string (regardless of its value), prevents the addition of ANSI color"; an empty
 *    `NO_COLOR=` is the same as unset.
 * 3. `FORCE_COLOR` set: `0` or `false` turn colours off; any other value (`''`, `1`, `2`, `3`,
 *    `true`) turns them on even when stdout is not a terminal. This is how Node reads it
 *    (`tty.WriteStream#getColorDepth`: "`FORCE_COLOR` ... '', 1 or true: 16 colors, 2: 256,
 *    3: 16 million; 0 or false disables") and how chalk's supports-color does.
 * 4. Otherwise: on only when stdout is a terminal.
 *
 * NO_COLOR is checked before FORCE_COLOR because no-color.org says user-level configuration
 * "should" override it only when the user asks for colour in the program's own config; a global
 * FORCE_COLOR meant for other tools is not that. The program's own switch is `--no-color`.
 */
import type { Env } from '../functions/shared/config.ts';

export interface ColorInputs {
  /** `false` after `--no-color`. */
  readonly flag: boolean;
  readonly env: Env;
  readonly stdoutIsTTY: boolean;
}

export function colorEnabled({ flag, env, stdoutIsTTY }: ColorInputs): boolean {
  if (!flag) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return !['0', 'false'].includes(force.trim().toLowerCase());
  return stdoutIsTTY;
}
