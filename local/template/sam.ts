/** SAM `Globals`: merged into each resource of the matching type the way the SAM translator does. */
import { intrinsicName } from './intrinsics.ts';

const GLOBAL_SECTIONS: Record<string, string> = {
  'AWS::Serverless::Function': 'Function',
  'AWS::Serverless::StateMachine': 'StateMachine',
  'AWS::Serverless::SimpleTable': 'SimpleTable',
  'AWS::Serverless::Api': 'Api',
  'AWS::Serverless::HttpApi': 'HttpApi',
};

const isPlainMap = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && intrinsicName(value) === undefined;

/**
 * SAM merge rules: maps merge key by key (the resource wins), lists concatenate (globals first),
 * anything else — scalars and intrinsic functions — is replaced by the resource's value.
 */
export function mergeGlobals(globalValue: unknown, localValue: unknown): unknown {
  if (localValue === undefined) return globalValue;
  if (isPlainMap(globalValue) && isPlainMap(localValue)) {
    const out: Record<string, unknown> = { ...globalValue };
    for (const [key, value] of Object.entries(localValue)) out[key] = mergeGlobals(globalValue[key], value);
    return out;
  }
  if (Array.isArray(globalValue) && Array.isArray(localValue)) return [...globalValue, ...localValue];
  return localValue;
}

/** Properties of `type` with the template's Globals applied. */
export function withGlobals(
  globals: Record<string, unknown> | undefined,
  type: string,
  properties: Record<string, unknown>,
): Record<string, unknown> {
  const section = GLOBAL_SECTIONS[type];
  const global = section ? globals?.[section] : undefined;
  return isPlainMap(global) ? (mergeGlobals(global, properties) as Record<string, unknown>) : properties;
}
