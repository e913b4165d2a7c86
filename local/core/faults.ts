/**
 * Fault injection for every emulated service. A test says "the next N calls to service X,
 * operation Y fail with error E" and the service's wire layer asks `take` before doing the work,
 * answering with the error exactly as AWS would shape it for that protocol.
 *
 * The error must be one the service's API model defines (`model-errors/`): a test that injects
 * a code the service never sends (MWAA has no `ThrottlingException`) would prove retries that
 * never fire on AWS. A code the service really sends without modelling it (S3's `SlowDown`) is
 * injected with `unmodeled: true`; SDKs surface it as the service's base exception and Step
 * Functions under the integration's generic name (`S3.S3Exception`).
 */
import { findModelError, modelErrors } from './model-errors/index.ts';

export interface FaultSpec {
  /** Service key as in `AWS_ENDPOINT_URL_<SERVICE>`, lower-case: 's3', 'dynamodb', 'mwaa', 'sfn', ... */
  service: string;
  /** Operation name as in the API reference (`GetEnvironment`, `PutObject`), or '*' for all. */
  operation: string;
  /**
   * AWS error code to return: a shape of the service's model (`ServiceUnavailableException`,
   * `ProvisionedThroughputExceededException`) or its awsQuery code (SNS `Throttled`); or
   * 'Latency' (only delays) or 'Timeout' (drops the connection).
   */
  error: string;
  /** The service sends this code although its model does not define it (S3 `SlowDown`). */
  unmodeled?: boolean;
  /** How many calls fail; default 1. `Infinity` until cleared. */
  times?: number;
  /**
   * HTTP status; defaults to the model's status for the error, else by fault (500 server, 400
   * client), else by name (503 `SlowDown`/unavailable, 500 internal, 400 otherwise).
   */
  status?: number;
  /** Message in the error body. */
  message?: string;
  /** Extra latency, in real milliseconds, added before answering (error or not when error is 'Latency'). */
  delayMs?: number;
}

export interface ActiveFault extends Required<Omit<FaultSpec, 'times' | 'delayMs' | 'unmodeled'>> {
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

/** What `inject` refuses: a fault the service could not answer with. */
export class FaultSpecError extends TypeError {
  override name = 'FaultSpecError';
}

/** Not errors: what a fault does instead of answering (`fault-response.ts`). */
const BEHAVIOURS = new Set(['Latency', 'Timeout']);

/** Checks the error against the service's model; returns the model's status for it, if any. */
function checkError(spec: FaultSpec): number | undefined {
  const service = spec.service.toLowerCase();
  if (BEHAVIOURS.has(spec.error)) return undefined;
  const known = modelErrors(service);
  // Services without an SDK model (the ALB) take any code.
  if (!known) return undefined;
  const modelled = findModelError(service, spec.error);
  if (spec.unmodeled) {
    if (modelled) {
      throw new FaultSpecError(
        `faults.inject: ${service} models ${spec.error}; drop unmodeled: true (it is for codes the model lacks)`,
      );
    }
    return undefined;
  }
  if (!modelled) {
    const names = known.map((e) => e.shape).join(', ');
    throw new FaultSpecError(
      `faults.inject: ${service}'s API model defines no error ${spec.error}, so AWS would not send it ` +
        `under that name. Known: ${names}. If the service really sends it unmodelled, pass unmodeled: true.`,
    );
  }
  return modelled.status ?? (modelled.fault === 'server' ? 500 : 400);
}

export function createFaultRegistry(): FaultRegistry {
  let faults: ActiveFault[] = [];
  let calls: Record<string, number> = {};
  return {
    inject(spec) {
      if (!spec.service || !spec.operation || !spec.error) {
        throw new FaultSpecError('faults.inject needs service, operation and error');
      }
      const modelStatus = checkError(spec);
      faults.push({
        service: spec.service.toLowerCase(),
        operation: spec.operation,
        error: spec.error,
        status: spec.status ?? modelStatus ?? defaultStatus(spec.error),
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
