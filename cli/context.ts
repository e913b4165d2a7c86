/**
 * Turns the CLI's global options into the settings every command needs: which cloud to talk to
 * (AWS through the SDK's default credential chain, or a running local cloud), the region,
 * credentials and endpoint overrides for SDK clients, and how to print.
 *
 * Nothing here talks to AWS; it only reads the environment and, with `--local`, one JSON file.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Env } from '../functions/shared/config.ts';
import { type ErrorContext, MwaaOpsError } from '../functions/shared/errors.ts';
import { colorEnabled } from './color.ts';

/**
 * Where `--local` without a value looks, relative to the project root (not the current
 * directory): the local cloud writes it there when started with `--serve`.
 */
export const DEFAULT_LOCAL_CLOUD_FILE = '.mwaa-ops/local-cloud.json';

/** The stack whose outputs name the deployed tables, buckets and state machines. */
export const DEFAULT_STACK_NAME = 'mwaa-ops';

export type OutputFormat = 'text' | 'json';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['text', 'json'];

/** The global options as commander parses them (see cli/main.ts). */
export interface GlobalOptions {
  readonly region?: string;
  readonly profile?: string;
  /** `true` (or `''`) for a bare `--local`, a path for `--local <file>`, absent when not given. */
  readonly local?: string | boolean;
  readonly stack: string;
  readonly output: OutputFormat;
  /** `false` after `--no-color`. */
  readonly color: boolean;
  readonly debug?: boolean;
}

/** Static credentials, as the SDK's `credentials` client setting takes them. */
export interface StaticCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export type Target = { readonly kind: 'aws' } | { readonly kind: 'local'; readonly file: string };

/** Everything a command needs to know about where and how it runs. */
export interface CliContext {
  readonly target: Target;
  /** Explicit region, or `undefined` to let the SDK read it from the profile's config. */
  readonly region: string | undefined;
  /** Explicit profile (`--profile`); `undefined` leaves the SDK's default chain alone. */
  readonly profile: string | undefined;
  /** Set only for the local cloud; on AWS the SDK's default credential chain applies. */
  readonly credentials: StaticCredentials | undefined;
  /**
   * The environment map handed to the endpoint resolution of functions/shared/aws-clients.ts:
   * `AWS_ENDPOINT_URL_<SERVICE>` and `AWS_ENDPOINT_URL` in it decide each client's endpoint.
   */
  readonly env: Env;
  /** The endpoint overrides in force, by variable name (`AWS_ENDPOINT_URL_STS`, ...). */
  readonly endpoints: Readonly<Record<string, string>>;
  readonly stack: string;
  readonly output: OutputFormat;
  /** Whether text output may use ANSI styles (cli/color.ts: --no-color, NO_COLOR, FORCE_COLOR, a TTY). */
  readonly color: boolean;
  readonly debug: boolean;
}

/** The local cloud file is missing, unreadable or not the expected JSON map. */
export class LocalCloudFileError extends MwaaOpsError {
  constructor(message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(message, options);
    this.name = 'LocalCloudFileError';
  }
}

/** Global options that contradict each other. */
export class UsageError extends MwaaOpsError {
  constructor(message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(message, options);
    this.name = 'UsageError';
  }
}

/** What the context is resolved against; injectable so tests need no real files or env. */
export interface ContextSources {
  readonly env: Env;
  /** Resolves an explicit `--local <file>`. */
  readonly cwd: string;
  /** The clone of mwaa-ops the CLI runs from; resolves the default local cloud file. */
  readonly projectRoot: string;
  readonly readFile: (path: string) => string;
  /** Whether stdout is a terminal (colours are only used on one). */
  readonly stdoutIsTTY: boolean;
}

export const processSources = (): ContextSources => ({
  env: process.env,
  cwd: process.cwd(),
  projectRoot: fileURLToPath(new URL('..', import.meta.url)),
  readFile: (path) => readFileSync(path, 'utf8'),
  stdoutIsTTY: process.stdout.isTTY === true,
});

const ENDPOINT_VARIABLE = /^AWS_ENDPOINT_URL(_[A-Z0-9_]+)?$/;

/** The endpoint override variables set (non-empty) in an environment map. */
export function endpointOverrides(env: Env): Record<string, string> {
  const found: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    const trimmed = value?.trim();
    if (ENDPOINT_VARIABLE.test(name) && trimmed) found[name] = trimmed;
  }
  return Object.fromEntries(Object.entries(found).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Read the local cloud's connection file: a JSON object holding the same variables a process
 * would get in its environment (`AWS_ENDPOINT_URL_<SERVICE>`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY`). Errors name the file, since a wrong path is the usual cause.
 */
export function readLocalCloudFile(path: string, readFile: ContextSources['readFile']): Env {
  let text: string;
  try {
    text = readFile(path);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT'
        ? `Local cloud file not found: ${path}. Start the local cloud with --serve, or pass --local <file>.`
        : `Cannot read local cloud file ${path}: ${(cause as Error).message}`;
    throw new LocalCloudFileError(message, { cause, context: { path } });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new LocalCloudFileError(`Local cloud file ${path} is not valid JSON: ${(cause as Error).message}`, {
      cause,
      context: { path },
    });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new LocalCloudFileError(`Local cloud file ${path} must hold a JSON object of variables`, {
      context: { path },
    });
  }
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value !== 'string') {
      throw new LocalCloudFileError(`Local cloud file ${path}: ${name} must be a string`, {
        context: { path, variable: name },
      });
    }
    env[name] = value;
  }
  const endpoints = endpointOverrides(env);
  if (Object.keys(endpoints).length === 0) {
    throw new LocalCloudFileError(
      `Local cloud file ${path} names no endpoint (expected AWS_ENDPOINT_URL_<SERVICE> entries)`,
      { context: { path } },
    );
  }
  for (const [name, value] of Object.entries(endpoints)) {
    if (!/^https?:\/\/[^/]/.test(value)) {
      throw new LocalCloudFileError(
        `Local cloud file ${path}: ${name} must be an http(s) URL, got "${value}"`,
        {
          context: { path, variable: name },
        },
      );
    }
  }
  return env;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** Resolve the global options into a {@link CliContext}. */
export function resolveContext(options: GlobalOptions, sources: ContextSources): CliContext {
  const output = options.output;
  const color = colorEnabled({ flag: options.color, env: sources.env, stdoutIsTTY: sources.stdoutIsTTY });
  const debug = options.debug === true || sources.env.MWAA_OPS_DEBUG === '1';
  const common = { stack: options.stack, output, color, debug };

  if (options.local === undefined || options.local === false) {
    const env = sources.env;
    return {
      ...common,
      target: { kind: 'aws' },
      region: nonEmpty(options.region) ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION),
      profile: nonEmpty(options.profile),
      credentials: undefined,
      env,
      endpoints: endpointOverrides(env),
    };
  }

  // A profile names AWS credentials; mixing it with the local cloud's credentials would make
  // it unclear which account a command touches.
  if (options.profile !== undefined) {
    throw new UsageError('--profile and --local cannot be used together');
  }
  const file =
    options.local === true || options.local === ''
      ? resolve(sources.projectRoot, DEFAULT_LOCAL_CLOUD_FILE)
      : isAbsolute(options.local)
        ? options.local
        : resolve(sources.cwd, options.local);
  const env = readLocalCloudFile(file, sources.readFile);
  const accessKeyId = nonEmpty(env.AWS_ACCESS_KEY_ID);
  const secretAccessKey = nonEmpty(env.AWS_SECRET_ACCESS_KEY);
  if (accessKeyId === undefined || secretAccessKey === undefined) {
    throw new LocalCloudFileError(
      `Local cloud file ${file} must set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`,
      { context: { path: file } },
    );
  }
  const sessionToken = nonEmpty(env.AWS_SESSION_TOKEN);
  return {
    ...common,
    target: { kind: 'local', file },
    region: nonEmpty(options.region) ?? nonEmpty(env.AWS_REGION),
    profile: undefined,
    credentials: sessionToken
      ? { accessKeyId, secretAccessKey, sessionToken }
      : { accessKeyId, secretAccessKey },
    env,
    endpoints: endpointOverrides(env),
  };
}
