/**
 * Typed access to environment variables. Every function reads its settings once, at cold
 * start, through these helpers, so a missing or malformed value fails the first invocation with
 * a message that names the variable instead of surfacing later as `undefined`.
 */
import { ConfigError } from './errors.ts';

export type Env = Readonly<Record<string, string | undefined>>;

function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** A variable that must be set and non-empty. */
export function requiredString(env: Env, name: string): string {
  const value = read(env, name);
  if (value === undefined) {
    throw new ConfigError(`Environment variable ${name} is required but is not set`, {
      context: { variable: name },
    });
  }
  return value;
}

/** A variable with a default used when it is unset or empty. */
export function optionalString(env: Env, name: string, fallback: string): string {
  return read(env, name) ?? fallback;
}

/** A comma-separated list; empty items are dropped. `required` rejects an empty list. */
export function stringList(env: Env, name: string, options: { required: boolean }): string[] {
  const raw = read(env, name);
  const items = (raw ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (options.required && items.length === 0) {
    throw new ConfigError(`Environment variable ${name} must list at least one value (comma-separated)`, {
      context: { variable: name },
    });
  }
  return items;
}

/** An integer within [min, max]; the default applies when unset. */
export function integer(
  env: Env,
  name: string,
  fallback: number,
  bounds: { min: number; max: number },
): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw)) {
    throw new ConfigError(`Environment variable ${name} must be an integer, got "${raw}"`, {
      context: { variable: name },
    });
  }
  const value = Number(raw);
  if (value < bounds.min || value > bounds.max) {
    throw new ConfigError(
      `Environment variable ${name} must be between ${bounds.min} and ${bounds.max}, got ${value}`,
      { context: { variable: name } },
    );
  }
  return value;
}

/** `true`/`false` (case-insensitive); the default applies when unset. */
export function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const lowered = raw.toLowerCase();
  if (lowered === 'true') return true;
  if (lowered === 'false') return false;
  throw new ConfigError(`Environment variable ${name} must be "true" or "false", got "${raw}"`, {
    context: { variable: name },
  });
}

/** An absolute http(s) URL; trailing slashes are removed so callers can append paths. */
export function url(env: Env, name: string, fallback?: string): string {
  const raw = read(env, name) ?? fallback;
  if (raw === undefined) {
    throw new ConfigError(`Environment variable ${name} is required but is not set`, {
      context: { variable: name },
    });
  }
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch (cause) {
    throw new ConfigError(`Environment variable ${name} must be an absolute URL, got "${raw}"`, {
      cause,
      context: { variable: name },
    });
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new ConfigError(`Environment variable ${name} must be an http(s) URL, got "${raw}"`, {
      context: { variable: name },
    });
  }
  return raw.replace(/\/+$/, '');
}
