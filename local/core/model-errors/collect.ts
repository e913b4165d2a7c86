/**
 * Reads, from the installed `@aws-sdk/client-*` packages, the error shapes each service's API
 * model defines: the SDK generates one exported class per modelled error (a subclass of the
 * service's `<Service>ServiceException`), and in newer packages an exported schema `<Name>$`
 * whose traits carry the fault, the HTTP status and the legacy awsQuery code.
 *
 * `generate.ts` writes the result to `generated.json`; a unit test compares that file with a
 * fresh collection, so an SDK upgrade that adds or drops an error fails until it is regenerated.
 */

/** The emulated services, by fault-injection key, and their SDK client package. */
export const MODELLED_PACKAGES: Readonly<Record<string, string>> = {
  dynamodb: '@aws-sdk/client-dynamodb',
  eventbridge: '@aws-sdk/client-eventbridge',
  lambda: '@aws-sdk/client-lambda',
  mwaa: '@aws-sdk/client-mwaa',
  s3: '@aws-sdk/client-s3',
  scheduler: '@aws-sdk/client-scheduler',
  sfn: '@aws-sdk/client-sfn',
  sns: '@aws-sdk/client-sns',
  sqs: '@aws-sdk/client-sqs',
  sts: '@aws-sdk/client-sts',
};

export interface ModelError {
  /** The shape name: what the SDK names the error and Step Functions builds its name from. */
  shape: string;
  /** The awsQuery error code on the wire, where it differs from the shape name (SNS `Throttled`). */
  queryCode?: string;
  fault: 'client' | 'server';
  /** The HTTP status the model gives the error, if it gives one. */
  status?: number;
}

export interface ServiceErrors {
  package: string;
  version: string;
  errors: ModelError[];
}

type Ctor = { new (options: Record<string, unknown>): Error; prototype: Error };

export async function collectServiceErrors(service: string): Promise<ServiceErrors> {
  const pkg = MODELLED_PACKAGES[service];
  if (!pkg) throw new Error(`No SDK client package is known for service "${service}"`);
  const mod = (await import(pkg)) as Record<string, unknown>;
  const classes = Object.entries(mod).filter(
    (entry): entry is [string, Ctor] =>
      typeof entry[1] === 'function' && (entry[1] as Ctor).prototype instanceof Error,
  );
  // The base class is the one whose parent is smithy's ServiceException; Lambda also models an
  // error *named* ServiceException, which extends LambdaServiceException like every other one.
  const base = classes.find(
    ([name, ctor]) =>
      name.endsWith('ServiceException') && Object.getPrototypeOf(ctor).name === 'ServiceException',
  )?.[1];
  if (!base) throw new Error(`${pkg} exports no <Service>ServiceException base class`);
  const errors: ModelError[] = [];
  for (const [exportName, ctor] of classes) {
    if (ctor === base || !(ctor.prototype instanceof base)) continue;
    const instance = new ctor({ $metadata: {}, message: '' }) as Error & { $fault?: string };
    const traits = schemaTraits(mod[`${exportName}$`]);
    const query = traits.awsQueryError as [string, number] | undefined;
    const status = (traits.httpError as number | undefined) ?? query?.[1];
    errors.push({
      shape: instance.name,
      ...(query && query[0] !== instance.name ? { queryCode: query[0] } : {}),
      fault: instance.$fault === 'server' ? 'server' : 'client',
      ...(status === undefined ? {} : { status }),
    });
  }
  errors.sort((a, b) => a.shape.localeCompare(b.shape));
  return { package: pkg, version: await packageVersion(pkg), errors };
}

export async function collectAll(): Promise<Record<string, ServiceErrors>> {
  const out: Record<string, ServiceErrors> = {};
  for (const service of Object.keys(MODELLED_PACKAGES).sort())
    out[service] = await collectServiceErrors(service);
  return out;
}

/** A static schema is `[-3, namespace, name, traits, memberNames, memberSchemas]`. */
function schemaTraits(schema: unknown): Record<string, unknown> {
  if (Array.isArray(schema) && schema[0] === -3 && schema[3] && typeof schema[3] === 'object') {
    return schema[3] as Record<string, unknown>;
  }
  return {};
}

async function packageVersion(pkg: string): Promise<string> {
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  const { readFileSync } = await import('node:fs');
  const { join, dirname } = await import('node:path');
  // The package's `exports` hides package.json: find it from the resolved entry point.
  let dir = dirname(require.resolve(pkg));
  while (!dir.endsWith(pkg.split('/').join('/')) && dirname(dir) !== dir) dir = dirname(dir);
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}
