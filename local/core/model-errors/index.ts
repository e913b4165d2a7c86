/**
 * The error codes each emulated service's API model defines: what fault injection accepts and
 * what the local Step Functions names `<Service>.<Code>` (any other code arrives on AWS under the
 * integration's generic name). `generated.json` comes from the installed SDK clients
 * (`node local/core/model-errors/generate.ts`); `additions.json` holds shapes newer models define
 * that an installed client predates, with their source.
 */
import additions from './additions.json' with { type: 'json' };
import type { ModelError } from './collect.ts';
import generated from './generated.json' with { type: 'json' };

export type { ModelError } from './collect.ts';

const byService = new Map<string, ModelError[]>();
for (const [service, entry] of Object.entries(generated.services)) {
  byService.set(service, entry.errors as ModelError[]);
}
for (const [service, extra] of Object.entries(additions.services)) {
  const known = byService.get(service) ?? [];
  const shapes = new Set(known.map((e) => e.shape));
  byService.set(service, [...known, ...(extra as ModelError[]).filter((e) => !shapes.has(e.shape))]);
}

/** Services whose model is known here (fault-injection keys: `mwaa`, `sfn`, `dynamodb`, ...). */
export function modelledServices(): string[] {
  return [...byService.keys()].sort();
}

/** The service's modelled errors, or undefined when no model is known for it (`alb`). */
export function modelErrors(service: string): readonly ModelError[] | undefined {
  return byService.get(service.toLowerCase());
}

/**
 * The modelled error a code names, by shape name or by its awsQuery wire code (SNS `Throttled`
 * is the shape `ThrottledException`); undefined when the model does not define it.
 */
export function findModelError(service: string, code: string): ModelError | undefined {
  return modelErrors(service)?.find((e) => e.shape === code || e.queryCode === code);
}
