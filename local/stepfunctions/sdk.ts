/**
 * AWS SDK v3 calls made by `aws-sdk:<service>:<action>` and the optimized DynamoDB integration,
 * against the local cloud's endpoints. The client package is imported on first use
 * (`@aws-sdk/client-<service>`), the command is `<Action>Command`, and errors become the ASL
 * error names Step Functions gives them (`integration-errors.ts`).
 */
import { TaskError } from './errors.ts';
import { type ErrorNaming, integrationErrorName } from './integration-errors.ts';

/** ARN service names whose client package name differs. */
const PACKAGE_NAMES: Record<string, string> = {
  cloudwatchlogs: 'cloudwatch-logs',
  secretsmanager: 'secrets-manager',
  acmpca: 'acm-pca',
};

/** `AWS_ENDPOINT_URL_<KEY>` suffixes that differ from the upper-cased ARN service name. */
const ENDPOINT_KEYS: Record<string, string> = {
  cloudwatchlogs: 'CLOUDWATCH_LOGS',
  secretsmanager: 'SECRETS_MANAGER',
  acmpca: 'ACM_PCA',
};

/**
 * Services whose API members are camelCase. Step Functions takes their parameters in PascalCase
 * and returns PascalCase output, so keys are converted on the way in and out.
 */
const CAMEL_CASE_SERVICES = new Set(['sfn']);

interface SdkClient {
  send(command: unknown): Promise<Record<string, unknown>>;
  destroy(): void;
}
type ClientCtor = new (config: Record<string, unknown>) => SdkClient;
type CommandCtor = new (input: unknown) => unknown;

export interface SdkCaller {
  /**
   * Call `action` of `service` with ASL Parameters; returns the response as ASL output. A
   * service error fails with the name `naming` gives its code.
   */
  call(service: string, action: string, params: unknown, naming: ErrorNaming): Promise<unknown>;
  close(): void;
}

export function createSdkCaller(sdkEnv: () => Record<string, string>): SdkCaller {
  const clients = new Map<string, SdkClient>();
  const modules = new Map<string, Promise<Record<string, unknown>>>();

  const loadModule = (service: string) => {
    let mod = modules.get(service);
    if (!mod) {
      mod = import(`@aws-sdk/client-${PACKAGE_NAMES[service] ?? service}`) as Promise<
        Record<string, unknown>
      >;
      modules.set(service, mod);
    }
    return mod;
  };

  const clientFor = (service: string, mod: Record<string, unknown>): SdkClient => {
    const env = sdkEnv();
    const endpoint =
      env[`AWS_ENDPOINT_URL_${ENDPOINT_KEYS[service] ?? service.toUpperCase()}`] ?? env.AWS_ENDPOINT_URL;
    const key = `${service}|${endpoint}|${env.AWS_REGION}|${env.AWS_ACCESS_KEY_ID}`;
    let client = clients.get(key);
    if (!client) {
      const Ctor = Object.entries(mod).find(
        ([name, value]) => name.endsWith('Client') && name !== '__Client' && typeof value === 'function',
      )?.[1] as ClientCtor | undefined;
      if (!Ctor) throw new TaskError('States.Runtime', `@aws-sdk/client-${service} exports no client`);
      client = new Ctor({
        region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
        credentials: {
          accessKeyId: env.AWS_ACCESS_KEY_ID ?? 'local',
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? 'local',
          ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
        },
        ...(endpoint ? { endpoint } : {}),
        // The local endpoints are plain host:port: no `api.`/`env.` host prefixes, path-style S3.
        ...(service === 'mwaa' && endpoint ? { disableHostPrefix: true } : {}),
        ...(service === 's3' ? { forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' } : {}),
        maxAttempts: 1,
      });
      clients.set(key, client);
    }
    return client;
  };

  return {
    async call(service, action, params, naming) {
      let mod: Record<string, unknown>;
      try {
        mod = await loadModule(service);
      } catch (error) {
        throw new TaskError('States.Runtime', `No AWS SDK client for service "${service}": ${String(error)}`);
      }
      const Command = mod[`${action.charAt(0).toUpperCase()}${action.slice(1)}Command`] as
        | CommandCtor
        | undefined;
      if (!Command) throw new TaskError('States.Runtime', `Unknown action ${service}:${action}`);
      const camel = CAMEL_CASE_SERVICES.has(service);
      const input = camel ? convertKeys(params ?? {}, lowerFirst) : (params ?? {});
      let response: Record<string, unknown>;
      try {
        response = await clientFor(service, mod).send(new Command(input));
      } catch (error) {
        throw toTaskError(error, naming);
      }
      const { $metadata: _metadata, ...output } = response;
      const plain = await toPlainJson(output);
      return camel ? convertKeys(plain, upperFirst) : plain;
    },
    close() {
      for (const client of clients.values()) client.destroy();
      clients.clear();
    },
  };
}

function toTaskError(error: unknown, naming: ErrorNaming): TaskError {
  const err = error as { name?: string; message?: string; $metadata?: unknown; $fault?: unknown };
  // Only errors the service answered carry $metadata/$fault; anything else (connection refused,
  // a bad input the SDK rejected) is a plain task failure. The SDK names an error it does not
  // model by the code it received, which Step Functions reports under the generic name.
  if (err && (err.$metadata !== undefined || err.$fault !== undefined) && err.name) {
    return new TaskError(integrationErrorName(naming, err.name), err.message ?? err.name);
  }
  return new TaskError('States.TaskFailed', err?.message ?? String(error));
}

const lowerFirst = (key: string) => key.charAt(0).toLowerCase() + key.slice(1);
const upperFirst = (key: string) => key.charAt(0).toUpperCase() + key.slice(1);

function convertKeys(value: unknown, convert: (key: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => convertKeys(v, convert));
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [convert(k), convertKeys(v, convert)]));
  }
  return value;
}

/** SDK output as JSON: blobs and streams become text, dates ISO strings. */
async function toPlainJson(value: unknown): Promise<unknown> {
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  if (Array.isArray(value)) return Promise.all(value.map(toPlainJson));
  if (value && typeof value === 'object') {
    const stream = value as { transformToString?: () => Promise<string> };
    if (typeof stream.transformToString === 'function') return stream.transformToString();
    const entries = await Promise.all(
      Object.entries(value).map(async ([k, v]) => [k, await toPlainJson(v)] as const),
    );
    return Object.fromEntries(entries.filter(([, v]) => v !== undefined));
  }
  return value;
}
