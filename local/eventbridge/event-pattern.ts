/**
 * EventBridge event patterns: which events a rule matches. Implements the documented content
 * filters — exact values (an array is OR), nested objects, `prefix`, `suffix`, `anything-but`,
 * `exists`, `numeric`, `equals-ignore-case`, `wildcard`, `cidr` (IPv4) and `$or` — with the
 * documented semantics: a field the event lacks matches only `{"exists": false}`, and an array
 * in the event matches when any of its elements does.
 */

export class InvalidEventPatternError extends Error {
  override name = 'InvalidEventPatternError';
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Matcher = (value: Json) => boolean;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function invalid(message: string): never {
  throw new InvalidEventPatternError(`Event pattern is not valid. Reason: ${message}`);
}

function stringOperand(operator: string, operand: unknown): string {
  if (typeof operand !== 'string') invalid(`${operator} match pattern must be a string`);
  return operand;
}

/** `*` matches any run of characters; `\*` is a literal star. */
function wildcardMatcher(pattern: string): Matcher {
  if (pattern.includes('**')) invalid('Consecutive wildcard characters are not allowed');
  const source = pattern
    .split(/(\\\*|\*)/)
    .map((piece) =>
      piece === '*' ? '.*' : piece === '\\*' ? '\\*' : piece.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('');
  const regex = new RegExp(`^${source}$`, 's');
  return (value) => typeof value === 'string' && regex.test(value);
}

function prefixOrSuffix(operator: 'prefix' | 'suffix', operand: unknown): Matcher {
  let ignoreCase = false;
  let text: string;
  if (isObject(operand)) {
    if (Object.keys(operand).length !== 1 || !('equals-ignore-case' in operand)) {
      invalid(`${operator} only accepts equals-ignore-case as a nested operator`);
    }
    ignoreCase = true;
    text = stringOperand(operator, operand['equals-ignore-case']);
  } else {
    text = stringOperand(operator, operand);
  }
  const needle = ignoreCase ? text.toLowerCase() : text;
  return (value) => {
    if (typeof value !== 'string') return false;
    const haystack = ignoreCase ? value.toLowerCase() : value;
    return operator === 'prefix' ? haystack.startsWith(needle) : haystack.endsWith(needle);
  };
}

function numericMatcher(operand: unknown): Matcher {
  if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2 !== 0) {
    invalid('numeric match must be a list of operator/value pairs');
  }
  const checks: Array<(n: number) => boolean> = [];
  for (let i = 0; i < operand.length; i += 2) {
    const op = operand[i];
    const bound = operand[i + 1];
    if (typeof bound !== 'number' || !Number.isFinite(bound)) invalid('numeric bounds must be numbers');
    const check = {
      '=': (n: number) => n === bound,
      '<': (n: number) => n < bound,
      '<=': (n: number) => n <= bound,
      '>': (n: number) => n > bound,
      '>=': (n: number) => n >= bound,
    }[op as string];
    if (!check) invalid(`Unrecognized numeric range operator: ${String(op)}`);
    checks.push(check);
  }
  return (value) => typeof value === 'number' && checks.every((check) => check(value));
}

function ipv4ToNumber(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((sum, part) => sum * 256 + Number(part), 0);
}

function cidrMatcher(operand: unknown): Matcher {
  const text = stringOperand('cidr', operand);
  const [address = '', bitsText = '32'] = text.split('/');
  const base = ipv4ToNumber(address);
  const bits = Number(bitsText);
  if (base === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) {
    invalid(`Nonstandard IP address: ${text}`);
  }
  const size = 2 ** (32 - bits);
  const start = Math.floor(base / size) * size;
  return (value) => {
    if (typeof value !== 'string') return false;
    const ip = ipv4ToNumber(value);
    return ip !== undefined && ip >= start && ip < start + size;
  };
}

function anythingButMatcher(operand: unknown): Matcher {
  if (isObject(operand)) {
    const [operator, ...rest] = Object.keys(operand);
    if (!operator || rest.length > 0) invalid('anything-but accepts exactly one nested operator');
    const inner = operand[operator];
    let excluded: Matcher;
    if (operator === 'prefix' || operator === 'suffix') excluded = prefixOrSuffix(operator, inner);
    else if (operator === 'wildcard') {
      const patterns = Array.isArray(inner) ? inner : [inner];
      const matchers = patterns.map((p) => wildcardMatcher(stringOperand('wildcard', p)));
      excluded = (value) => matchers.some((m) => m(value));
    } else if (operator === 'equals-ignore-case') {
      const values = (Array.isArray(inner) ? inner : [inner]).map((v) =>
        stringOperand('equals-ignore-case', v).toLowerCase(),
      );
      excluded = (value) => typeof value === 'string' && values.includes(value.toLowerCase());
    } else invalid(`Unsupported anything-but operator: ${operator}`);
    // Like AWS, the nested string forms only ever match strings.
    return (value) => typeof value === 'string' && !excluded(value);
  }
  const values = Array.isArray(operand) ? operand : [operand];
  for (const value of values) {
    if (typeof value !== 'string' && typeof value !== 'number') {
      invalid('anything-but values must be strings or numbers');
    }
  }
  return (value) => !values.some((excluded) => excluded === value);
}

/** One element of a leaf array: a literal or a `{operator: operand}` object. */
function compileMatcher(spec: unknown): Matcher | { exists: boolean } {
  if (spec === null || typeof spec === 'string' || typeof spec === 'number' || typeof spec === 'boolean') {
    return (value) => value === spec;
  }
  if (!isObject(spec)) invalid('match values must be strings, numbers, booleans, null or operator objects');
  const keys = Object.keys(spec);
  if (keys.length !== 1) invalid(`Unrecognized match type ${JSON.stringify(spec)}`);
  const operator = keys[0] as string;
  const operand = spec[operator];
  switch (operator) {
    case 'exists':
      if (typeof operand !== 'boolean') invalid('exists match pattern must be either true or false');
      return { exists: operand };
    case 'prefix':
    case 'suffix':
      return prefixOrSuffix(operator, operand);
    case 'equals-ignore-case': {
      const text = stringOperand(operator, operand).toLowerCase();
      return (value) => typeof value === 'string' && value.toLowerCase() === text;
    }
    case 'wildcard':
      return wildcardMatcher(stringOperand(operator, operand));
    case 'numeric':
      return numericMatcher(operand);
    case 'anything-but':
      return anythingButMatcher(operand);
    case 'cidr':
      return cidrMatcher(operand);
    default:
      invalid(`Unrecognized match type ${operator}`);
  }
}

type FieldTest = (present: boolean, values: Json[]) => boolean;

function compileLeaf(specs: unknown[]): FieldTest {
  if (specs.length === 0) invalid('Empty arrays are not allowed');
  const compiled = specs.map(compileMatcher);
  return (present, values) =>
    compiled.some((matcher) =>
      typeof matcher === 'function' ? values.some((value) => matcher(value)) : matcher.exists === present,
    );
}

type ObjectTest = (event: Json | undefined) => boolean;

function compileObject(pattern: Record<string, unknown>): ObjectTest {
  const tests: ObjectTest[] = [];
  for (const [key, spec] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!Array.isArray(spec) || spec.length < 2 || !spec.every(isObject)) {
        invalid('$or must be a list of at least two patterns');
      }
      const branches = spec.map((branch) => compileObject(branch as Record<string, unknown>));
      tests.push((event) => branches.some((branch) => branch(event)));
    } else if (Array.isArray(spec)) {
      const leaf = compileLeaf(spec);
      tests.push((event) => {
        const found = fieldValues(event, key);
        return leaf(found.present, found.values);
      });
    } else if (isObject(spec)) {
      const nested = compileObject(spec);
      tests.push((event) => {
        const { values } = fieldValues(event, key);
        return values.some((value) => isObject(value) && nested(value));
      });
    } else {
      invalid(`"${key}" must be an object or an array`);
    }
  }
  return (event) => tests.every((test) => test(event));
}

/** The values at `key` of an object (or of each object in an array), arrays flattened. */
function fieldValues(event: Json | undefined, key: string): { present: boolean; values: Json[] } {
  const holders = Array.isArray(event) ? event : [event];
  const values: Json[] = [];
  let present = false;
  for (const holder of holders) {
    if (!isObject(holder) || !Object.hasOwn(holder, key)) continue;
    const value = holder[key] as Json;
    if (Array.isArray(value)) {
      // An empty array carries no values, so it does not count as present either.
      if (value.length > 0) present = true;
      values.push(...value.flat(Number.POSITIVE_INFINITY as 1));
    } else {
      present = true;
      values.push(value);
    }
  }
  return { present, values };
}

/** A compiled pattern: `matches(event)` answers for the full event envelope. */
export interface EventPattern {
  matches(event: Record<string, unknown>): boolean;
}

/**
 * Compile an event pattern (object or JSON text). Throws {@link InvalidEventPatternError}
 * for patterns EventBridge would reject with `InvalidEventPatternException`.
 */
export function compileEventPattern(pattern: string | Record<string, unknown>): EventPattern {
  let parsed: unknown = pattern;
  if (typeof pattern === 'string') {
    try {
      parsed = JSON.parse(pattern);
    } catch {
      invalid('Filter is not valid JSON');
    }
  }
  if (!isObject(parsed) || Object.keys(parsed).length === 0) invalid('Pattern must be a non-empty object');
  const test = compileObject(parsed);
  return { matches: (event) => test(event as Json) };
}

/** Convenience for one-off checks (tests, CLI). */
export function matchesEventPattern(
  pattern: string | Record<string, unknown>,
  event: Record<string, unknown>,
): boolean {
  return compileEventPattern(pattern).matches(event);
}
