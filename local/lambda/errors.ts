/** A synchronous invocation whose function failed: carries Lambda's error payload. */
export class LambdaInvokeError extends Error {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace: string[];
  readonly functionName: string;

  constructor(functionName: string, payload: { errorType: string; errorMessage: string; trace?: string[] }) {
    super(`${functionName} failed: ${payload.errorType}: ${payload.errorMessage}`);
    this.name = 'LambdaInvokeError';
    this.functionName = functionName;
    this.errorType = payload.errorType;
    this.errorMessage = payload.errorMessage;
    this.trace = payload.trace ?? [];
  }
}

/** Invoking a function the template does not declare. */
export class ResourceNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResourceNotFoundException';
  }
}

/**
 * The Lambda service refused the invocation (an injected `TooManyRequestsException`,
 * `ServiceException` …): shaped like the SDK's service exceptions, so callers that match on
 * `name`, `$fault` or `$metadata.httpStatusCode` treat it as they would AWS's.
 */
export class LambdaServiceError extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: { httpStatusCode: number };

  constructor(code: string, message: string, status: number) {
    super(message);
    this.name = code;
    this.$fault = status >= 500 ? 'server' : 'client';
    this.$metadata = { httpStatusCode: status };
  }
}
