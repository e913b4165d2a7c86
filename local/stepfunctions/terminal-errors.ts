/**
 * The errors AWS Step Functions never hands to a Retry or Catch: `States.Runtime` (a path that
 * selects nothing, a `*SecondsPath` that is not a positive integer, ...) and
 * `States.DataLimitExceeded` (a payload over 256 KiB). AWS documents both as terminal:
 * `States.ALL` does not match them and a Runtime error "is not retriable, and will always cause
 * the execution to fail". Locally neither is matched even when named in ErrorEquals; AWS only
 * documents the `States.ALL` exclusion for DataLimitExceeded, and no workflow here names it.
 *
 * The engine (aws-local-stepfunctions) reads `isRetryable` / `isCatchable` from every error it
 * matches against Retry/Catch, so carrying `false` on both makes it fail the run at once, also
 * through Parallel and Map, which rethrow their branch's error object.
 */

/** Step Functions' quota for a state's input/output, a task result and an execution's input. */
export const PAYLOAD_LIMIT_BYTES = 256 * 1024;

export class TerminalStatesError extends Error {
  readonly isRetryable = false;
  readonly isCatchable = false;
  constructor(error: 'States.Runtime' | 'States.DataLimitExceeded', cause: string) {
    super(cause);
    this.name = error;
  }
}

export function runtimeError(cause: string): TerminalStatesError {
  return new TerminalStatesError('States.Runtime', cause);
}

/** Size of a payload as Step Functions measures it: bytes of its JSON text in UTF-8. */
export function payloadBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value ?? null), 'utf8');
}

/**
 * Throws `States.DataLimitExceeded` when `value` is over the quota. `what` names the payload for
 * the Cause, e.g. "The state/task 'Export' returned a result".
 */
export function checkPayloadSize(value: unknown, what: string): void {
  const bytes = payloadBytes(value);
  if (bytes > PAYLOAD_LIMIT_BYTES) throw dataLimitError(what, bytes);
}

export function dataLimitError(what: string, bytes: number): TerminalStatesError {
  return new TerminalStatesError(
    'States.DataLimitExceeded',
    `${what} with a size exceeding the maximum number of bytes service limit ` +
      `(${bytes} bytes; the limit is ${PAYLOAD_LIMIT_BYTES}).`,
  );
}
