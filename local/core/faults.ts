/**
 * Fault injection for every emulated service. A test says "the next N calls to service X,
 * operation Y fail with error E" and the service's wire layer asks `take` before doing the work,
 * answering with the error exactly as AWS would shape it for that protocol.
 */
export interface FaultSpec {
  /** Service key as in `AWS_ENDPOINT_URL_<SERVICE>`, lower-case: 's3', 'dynamodb', 'mwaa', 'sfn', ... */
  service: string;
  /** Operation name as in the API reference (`GetEnvironment`, `PutObject`), or '*' for all. */
  operation: string;
  /** AWS error code to return, e.g. 'ThrottlingException', 'InternalServerException', or 'Timeout'. */
  error: string;
  /** How many calls fail; default 1. `Infinity` until cleared. */
  times?: number;
  /** HTTP status; defaults by error (400 for throttling/validation, 500 for internal, 503 unavailable). */
  status?: number;
  /** Message in the error body. */
  message?: string;
  /** Extra latency, in real milliseconds, added before answering (error or not when error is 'Latency'). */
  delayMs?: number;
}

export interface ActiveFault extends Required<Omit<FaultSpec, 'times' | 'delayMs'>> {
  remaining: number;
  delayMs: number;
}

export interface FaultRegistry {
  inject(spec: FaultSpec): void;
  clear(): void;
  /** Consume one matching fault for this call, if any. */
  take(service: string, operation: string): ActiveFault | undefined;
  /** Faults injected and not yet used up (for assertions). */
  pending(): readonly ActiveFault[];
  /**
   * API calls seen so far, by `service:Operation`. Every emulator asks `take` once per call, so
   * this counts the AWS calls a handler makes (benchmarks report calls per request with it).
   */
  calls(): Readonly<Record<string, number>>;
  resetCalls(): void;
}

const defaultStatus = (error: string): number => {
  if (/throttl|toomanyrequests|requestlimitexceeded|slowdown/i.test(error))
    return error === 'SlowDown' ? 503 : 400;
  if (/unavailable/i.test(error)) return 503;
  if (/internal|server/i.test(error)) return 500;
  if (error === 'Timeout') return 504;
  return 400;
};

export function createFaultRegistry(): FaultRegistry {
  let faults: ActiveFault[] = [];
  let calls: Record<string, number> = {};
  return {
    inject(spec) {
      if (!spec.service || !spec.operation || !spec.error) {
        throw new TypeError('faults.inject needs service, operation and error');
      }
      faults.push({
        service: spec.service.toLowerCase(),
        operation: spec.operation,
        error: spec.error,
        status: spec.status ?? defaultStatus(spec.error),
        message: spec.message ?? `Injected fault: ${spec.error}`,
        remaining: spec.times ?? 1,
        delayMs: spec.delayMs ?? 0,
      });
    },
    clear() {
      faults = [];
    },
    take(service, operation) {
      const key = service.toLowerCase();
      const counter = `${key}:${operation}`;
      calls[counter] = (calls[counter] ?? 0) + 1;
      const fault = faults.find(
        (f) => f.remaining > 0 && f.service === key && (f.operation === '*' || f.operation === operation),
      );
      if (!fault) return undefined;
      fault.remaining -= 1;
      if (fault.remaining <= 0) faults = faults.filter((f) => f !== fault);
      return fault;
    },
    pending: () => faults,
    calls: () => ({ ...calls }),
    resetCalls() {
      calls = {};
    },
  };
}
