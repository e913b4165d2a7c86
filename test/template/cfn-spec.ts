/**
 * Plain CloudFormation resources checked against the CloudFormation resource specification that
 * `@aws-cdk/aws-service-spec` ships (the database the AWS CDK generates its L1 constructs from):
 * resource types, property names at every depth, and required properties.
 *
 * Only names and shapes (object / list / map) are checked. Primitive values are not: CloudFormation
 * coerces between strings and numbers, and intrinsic functions can stand anywhere.
 */
import { createRequire } from 'node:module';
import type {
  Property,
  PropertyType,
  Resource,
  SpecDatabase,
  TypeDefinition,
} from '@aws-cdk/service-spec-types';
import { didYouMean } from './closest-name.ts';
import { ifBranches, isIntrinsic, isNoValue, isPlainObject } from './template-file.ts';

/** Attributes CloudFormation accepts on any resource besides Type and Properties. */
export const RESOURCE_ATTRIBUTES = [
  'Type',
  'Properties',
  'Condition',
  'DependsOn',
  'Metadata',
  'DeletionPolicy',
  'UpdateReplacePolicy',
  'CreationPolicy',
  'UpdatePolicy',
];

/** Read-only view of the specification with the lookups the checks need. */
export class CfnSpec {
  readonly db: SpecDatabase;

  constructor(db: SpecDatabase) {
    this.db = db;
  }

  /** The resource type's specification, or undefined when CloudFormation has no such type. */
  resource(cloudFormationType: string): Resource | undefined {
    return this.db.lookup('resource', 'cloudFormationType', 'equals', cloudFormationType)[0];
  }

  /** Every resource type CloudFormation knows (for "did you mean" suggestions). */
  resourceTypes(): string[] {
    return this.db.all('resource').map((resource) => resource.cloudFormationType);
  }

  /** A property type of a resource by its short name (e.g. `LoggingConfig` of AWS::Lambda::Function). */
  typeDefinition(resource: Resource, name: string): TypeDefinition | undefined {
    return this.db
      .follow('usesType', resource)
      .map((relation) => relation.entity)
      .find((definition) => definition.name === name);
  }

  /**
   * Problems with a resource's `Properties`: unknown names (with the closest valid name), missing
   * required properties, and objects / lists in the wrong place. `where` prefixes every message.
   */
  checkProperties(resource: Resource, properties: unknown, where: string): string[] {
    const problems: string[] = [];
    this.checkObject(properties ?? {}, resource.properties, where, problems);
    return problems;
  }

  /** Problems with one value against a property's specification (see checkProperties). */
  checkValue(property: Property, value: unknown, where: string): string[] {
    return this.checkAgainstAnyType([property.type, ...(property.previousTypes ?? [])], value, where);
  }

  private checkAgainstAnyType(types: PropertyType[], value: unknown, where: string): string[] {
    // A property whose type changed over time, or a union, accepts any of its types. Many newer
    // specifications add a catch-all `json` type beside the structured one (DynamoDB KeySchema is
    // "list of KeySchema, or any JSON"); checking only against that would accept every typo, so a
    // value is checked against the structured types its shape fits, and `json` is the fallback.
    const flat = types.flatMap((type) => (type.type === 'union' ? type.types : [type]));
    const fitting = flat.filter((type) => type.type !== 'json' && shapeFits(type, value));
    let first: string[] | undefined;
    for (const type of fitting.length > 0 ? fitting : flat) {
      const problems: string[] = [];
      this.checkType(type, value, where, problems);
      if (problems.length === 0) return [];
      first ??= problems;
    }
    return first ?? [];
  }

  private checkObject(
    value: unknown,
    specs: Record<string, Property>,
    where: string,
    problems: string[],
  ): void {
    const branches = ifBranches(value);
    if (branches) {
      for (const branch of branches) this.checkObject(branch, specs, where, problems);
      return;
    }
    if (isIntrinsic(value)) return;
    if (!isPlainObject(value)) {
      problems.push(`${where}: expected an object, got ${describe(value)}`);
      return;
    }
    for (const [name, item] of Object.entries(value)) {
      const spec = specs[name];
      if (spec === undefined) {
        problems.push(`${where}.${name}: unknown property${didYouMean(name, Object.keys(specs))}`);
        continue;
      }
      problems.push(...this.checkValue(spec, item, `${where}.${name}`));
    }
    for (const [name, spec] of Object.entries(specs)) {
      if (spec.required && !(name in value)) problems.push(`${where}: missing required property ${name}`);
    }
  }

  private checkType(type: PropertyType, value: unknown, where: string, problems: string[]): void {
    if (isNoValue(value)) return;
    const branches = ifBranches(value);
    if (branches) {
      for (const branch of branches) this.checkType(type, branch, where, problems);
      return;
    }
    if (isIntrinsic(value)) return;
    switch (type.type) {
      case 'ref': {
        const definition = this.db.get('typeDefinition', type.reference);
        this.checkObject(value, definition.properties, where, problems);
        return;
      }
      case 'array':
        if (!Array.isArray(value)) {
          problems.push(`${where}: expected a list, got ${describe(value)}`);
          return;
        }
        value.forEach((element, index) => {
          this.checkType(type.element, element, `${where}[${index}]`, problems);
        });
        return;
      case 'map':
        if (!isPlainObject(value)) {
          problems.push(`${where}: expected a map, got ${describe(value)}`);
          return;
        }
        for (const [key, element] of Object.entries(value)) {
          this.checkType(type.element, element, `${where}.${key}`, problems);
        }
        return;
      case 'union':
        problems.push(...this.checkAgainstAnyType(type.types, value, where));
        return;
      default:
        // Primitives, JSON documents and tags: names and shapes below them are not specified.
        return;
    }
  }
}

/** Whether a value has the outer shape of a type (object, list, or scalar). */
function shapeFits(type: PropertyType, value: unknown): boolean {
  switch (type.type) {
    case 'ref':
    case 'map':
      return isPlainObject(value) && !isIntrinsic(value);
    case 'array':
      return Array.isArray(value);
    case 'union':
      return type.types.some((member) => shapeFits(member, value));
    case 'json':
      return true;
    default:
      return typeof value !== 'object' || value === null;
  }
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

let loaded: CfnSpec | undefined;

/**
 * The specification, loaded once per module instance (about a second: the database is a large
 * gzipped JSON document). Jest gives each test file its own module registry, so once per file.
 */
export function cfnSpec(): CfnSpec {
  if (loaded === undefined) {
    // Node's own require rather than an import: Jest's sandboxed module loader is noticeably
    // slower than Node's for this dependency graph.
    const serviceSpec = createRequire(import.meta.url)(
      '@aws-cdk/aws-service-spec',
    ) as typeof import('@aws-cdk/aws-service-spec');
    loaded = new CfnSpec(serviceSpec.loadAwsServiceSpecSync());
  }
  return loaded;
}
