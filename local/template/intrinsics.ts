/**
 * Evaluation of CloudFormation intrinsic functions and condition functions against local
 * values. Pure: everything it needs comes through the scope.
 */
import { TemplateError } from './errors.ts';

/** `Ref: AWS::NoValue` — the property (or list item) disappears. */
export const NO_VALUE: unique symbol = Symbol('AWS::NoValue');

export interface ResolverScope {
  /** Parameter values (CommaDelimitedList parameters as arrays) and pseudo parameters. */
  refValue(name: string): unknown;
  condition(name: string): boolean;
  getAtt(logicalId: string, attribute: string): string;
  mappings: Record<string, Record<string, Record<string, unknown>>>;
  region: string;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const INTRINSICS = new Set([
  'Ref',
  'Condition',
  'Fn::Sub',
  'Fn::GetAtt',
  'Fn::Join',
  'Fn::Select',
  'Fn::Split',
  'Fn::If',
  'Fn::Equals',
  'Fn::Not',
  'Fn::And',
  'Fn::Or',
  'Fn::FindInMap',
  'Fn::Base64',
  'Fn::GetAZs',
  'Fn::ImportValue',
  'Fn::ToJsonString',
  'Fn::Length',
  'Fn::Cidr',
  'Fn::Transform',
]);

/** The intrinsic name when `value` is a single-key intrinsic object. */
export function intrinsicName(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  const keys = Object.keys(value);
  return keys.length === 1 && INTRINSICS.has(keys[0] as string) ? keys[0] : undefined;
}

const asString = (value: unknown, where: string): string => {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new TemplateError(`${where} expects a string, got ${JSON.stringify(value)}`);
};

/** Resolve every intrinsic in `value` (deeply); `AWS::NoValue` properties are dropped. */
export function resolveValue(value: unknown, scope: ResolverScope): unknown {
  if (Array.isArray(value)) {
    return value.map((item) => resolveValue(item, scope)).filter((item) => item !== NO_VALUE);
  }
  if (!isObject(value)) return value;
  const fn = intrinsicName(value);
  if (fn) return evaluate(fn, value[fn], scope);
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    const resolved = resolveValue(inner, scope);
    if (resolved !== NO_VALUE) out[key] = resolved;
  }
  return out;
}

/** Evaluate a condition expression (the body of a `Conditions` entry). */
export function evaluateCondition(expression: unknown, scope: ResolverScope): boolean {
  const result = resolveValue(expression, scope);
  if (typeof result === 'boolean') return result;
  if (result === 'true' || result === 'false') return result === 'true';
  throw new TemplateError(`condition does not evaluate to a boolean: ${JSON.stringify(expression)}`);
}

function evaluate(fn: string, arg: unknown, scope: ResolverScope): unknown {
  switch (fn) {
    case 'Ref': {
      const name = asString(arg, 'Ref');
      if (name === 'AWS::NoValue') return NO_VALUE;
      return scope.refValue(name);
    }
    case 'Condition':
      return scope.condition(asString(arg, 'Condition'));
    case 'Fn::GetAtt': {
      const parts = typeof arg === 'string' ? splitOnce(arg, '.') : arg;
      if (!Array.isArray(parts) || parts.length !== 2) {
        throw new TemplateError(`Fn::GetAtt expects [LogicalId, Attribute], got ${JSON.stringify(arg)}`);
      }
      const attribute = asString(resolveValue(parts[1], scope), 'Fn::GetAtt attribute');
      return scope.getAtt(asString(parts[0], 'Fn::GetAtt logical id'), attribute);
    }
    case 'Fn::Sub':
      return substitute(arg, scope);
    case 'Fn::Join': {
      if (!Array.isArray(arg) || arg.length !== 2)
        throw new TemplateError('Fn::Join expects [delimiter, list]');
      const list = resolveValue(arg[1], scope);
      if (!Array.isArray(list)) throw new TemplateError('Fn::Join expects a list as its second argument');
      return list.map((item) => asString(item, 'Fn::Join item')).join(asString(arg[0], 'Fn::Join delimiter'));
    }
    case 'Fn::Select': {
      if (!Array.isArray(arg) || arg.length !== 2)
        throw new TemplateError('Fn::Select expects [index, list]');
      const index = Number(resolveValue(arg[0], scope));
      const list = resolveValue(arg[1], scope);
      if (!Array.isArray(list) || !Number.isInteger(index) || index < 0 || index >= list.length) {
        throw new TemplateError(`Fn::Select index ${index} is out of range`);
      }
      return list[index];
    }
    case 'Fn::Split': {
      if (!Array.isArray(arg) || arg.length !== 2)
        throw new TemplateError('Fn::Split expects [delimiter, string]');
      return asString(resolveValue(arg[1], scope), 'Fn::Split source').split(
        asString(arg[0], 'Fn::Split delimiter'),
      );
    }
    case 'Fn::If': {
      if (!Array.isArray(arg) || arg.length !== 3)
        throw new TemplateError('Fn::If expects [condition, then, else]');
      const chosen = scope.condition(asString(arg[0], 'Fn::If condition')) ? arg[1] : arg[2];
      return resolveValue(chosen, scope);
    }
    case 'Fn::Equals': {
      if (!Array.isArray(arg) || arg.length !== 2) throw new TemplateError('Fn::Equals expects two values');
      const [a, b] = arg.map((item) => resolveValue(item, scope));
      return JSON.stringify(normalise(a)) === JSON.stringify(normalise(b));
    }
    case 'Fn::Not': {
      if (!Array.isArray(arg) || arg.length !== 1) throw new TemplateError('Fn::Not expects one condition');
      return !evaluateCondition(arg[0], scope);
    }
    case 'Fn::And':
    case 'Fn::Or': {
      if (!Array.isArray(arg) || arg.length < 2) throw new TemplateError(`${fn} expects 2 to 10 conditions`);
      const values = arg.map((item) => evaluateCondition(item, scope));
      return fn === 'Fn::And' ? values.every(Boolean) : values.some(Boolean);
    }
    case 'Fn::FindInMap': {
      if (!Array.isArray(arg) || arg.length < 3)
        throw new TemplateError('Fn::FindInMap expects [map, key, key]');
      const [map, top, second] = arg
        .slice(0, 3)
        .map((item) => asString(resolveValue(item, scope), 'Fn::FindInMap'));
      const found = scope.mappings[map as string]?.[top as string]?.[second as string];
      if (found === undefined)
        throw new TemplateError(`Fn::FindInMap: ${map}.${top}.${second} is not defined`);
      return found;
    }
    case 'Fn::Base64':
      return Buffer.from(asString(resolveValue(arg, scope), 'Fn::Base64')).toString('base64');
    case 'Fn::GetAZs':
      return ['a', 'b', 'c'].map((zone) => `${scope.region}${zone}`);
    case 'Fn::ToJsonString':
      return JSON.stringify(resolveValue(arg, scope));
    case 'Fn::Length': {
      const list = resolveValue(arg, scope);
      if (!Array.isArray(list)) throw new TemplateError('Fn::Length expects a list');
      return list.length;
    }
    case 'Fn::ImportValue':
      throw new TemplateError(
        `Fn::ImportValue (${JSON.stringify(arg)}) cannot be resolved locally: another stack's exports do not exist in the local cloud; pass the value as a parameter instead`,
      );
    default:
      throw new TemplateError(`${fn} is not supported by the local cloud`);
  }
}

const normalise = (value: unknown) =>
  typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;

function splitOnce(text: string, separator: string): [string, string] | string {
  const index = text.indexOf(separator);
  return index < 0 ? text : [text.slice(0, index), text.slice(index + separator.length)];
}

/** `Fn::Sub`, string form or `[template, variables]`; `${!Literal}` stays `${Literal}`. */
function substitute(arg: unknown, scope: ResolverScope): string {
  let template: string;
  let variables: Record<string, unknown> = {};
  if (typeof arg === 'string') template = arg;
  else if (Array.isArray(arg) && arg.length === 2 && typeof arg[0] === 'string' && isObject(arg[1])) {
    template = arg[0];
    variables = arg[1];
  } else
    throw new TemplateError(`Fn::Sub expects a string or [string, {variables}], got ${JSON.stringify(arg)}`);
  return template.replace(/\$\{([^}]*)\}/g, (match, inner: string) => {
    if (inner.startsWith('!')) return `\${${inner.slice(1)}}`;
    const name = inner.trim();
    if (name in variables) return asString(resolveValue(variables[name], scope), `Fn::Sub variable ${name}`);
    const dot = name.indexOf('.');
    if (dot > 0 && !name.startsWith('AWS::')) return scope.getAtt(name.slice(0, dot), name.slice(dot + 1));
    const value = scope.refValue(name);
    if (Array.isArray(value)) return value.join(',');
    if (value === undefined)
      throw new TemplateError(`Fn::Sub: ${match} does not name a parameter or resource`);
    return asString(value, `Fn::Sub ${match}`);
  });
}
