/**
 * Errors of the authenticator. Each HTTP-facing error carries its status and a public message
 * that is safe to show (it never contains request input); the `reason` is a short machine code
 * for the audit log.
 */
import { type ErrorContext, MwaaOpsError } from '../shared/errors.ts';

/** A request the authenticator answers with an error page. */
export class HttpError extends MwaaOpsError {
  readonly status: number;
  readonly reason: string;
  /** Text shown to the person; fixed strings only, never request input. */
  readonly publicMessage: string;

  constructor(
    status: number,
    reason: string,
    publicMessage: string,
    options: { cause?: unknown; context?: ErrorContext } = {},
  ) {
    super(`${status} ${reason}`, options);
    this.name = 'HttpError';
    this.status = status;
    this.reason = reason;
    this.publicMessage = publicMessage;
  }
}

/** The `x-amzn-oidc-data` token is missing or does not verify (401). */
export class TokenRejectedError extends HttpError {
  constructor(reason: string, options: { cause?: unknown } = {}) {
    super(401, reason, 'Your sign-in could not be verified. Sign in again.', options);
    this.name = 'TokenRejectedError';
  }
}

/** The request is malformed (400). */
export class BadRequestError extends HttpError {
  constructor(reason: string, publicMessage: string) {
    super(400, reason, publicMessage);
    this.name = 'BadRequestError';
  }
}

/** The user holds no grant for what they asked (403). */
export class ForbiddenError extends HttpError {
  constructor(reason: string, publicMessage: string) {
    super(403, reason, publicMessage);
    this.name = 'ForbiddenError';
  }
}

/** The environment does not exist (404). */
export class EnvironmentNotFoundError extends HttpError {
  constructor() {
    super(404, 'environment-not-found', 'That Airflow environment does not exist.');
    this.name = 'EnvironmentNotFoundError';
  }
}

/** AWS (STS, MWAA, DynamoDB, the key endpoint) failed (502). */
export class UpstreamError extends HttpError {
  constructor(reason: string, options: { cause?: unknown } = {}) {
    super(502, reason, 'Airflow sign-in is unavailable right now. Try again in a moment.', options);
    this.name = 'UpstreamError';
  }
}
