/**
 * Error types shared by every function.
 *
 * The `name` of each class is part of the contract: Step Functions `Retry` and `Catch` blocks
 * match on the error name a Lambda task throws, and the CLI prints it. Never rename one
 * without changing the state machines that match on it.
 */

export interface ErrorContext {
  readonly [key: string]: string | number | boolean | undefined;
}

/** Base class: keeps the cause and structured, log-safe context fields. */
export class MwaaOpsError extends Error {
  readonly context: ErrorContext;

  constructor(message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MwaaOpsError';
    this.context = options.context ?? {};
  }
}

/** A required setting is missing or malformed; raised at cold start, names the variable. */
export class ConfigError extends MwaaOpsError {
  constructor(message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

/** Input (an event, a request, a CLI argument) does not have the expected shape. */
export class ValidationError extends MwaaOpsError {
  constructor(message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(message, options);
    this.name = 'ValidationError';
  }
}

/** An upstream service said no in a way that retrying may fix (throttling, 5xx, timeout). */
export class RetryableError extends MwaaOpsError {
  constructor(message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(message, options);
    this.name = 'RetryableError';
  }
}

/** Render any thrown value as a short, log-safe description (name and message only). */
export function describeError(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'UnknownError', message: String(error) };
}
