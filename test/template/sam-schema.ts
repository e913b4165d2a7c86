/**
 * The SAM parts of a template (`Globals` and every `AWS::Serverless::*` resource) validated against
 * the AWS SAM JSON schema (sam.schema.json beside this file; see SOURCES.md).
 *
 * Each resource is validated against the schema definition for its own type rather than the whole
 * document: the document's `Resources` is an `anyOf` over every resource type, and a failed
 * `anyOf` reports every branch's complaints, which buries the one that matters. For the same
 * reason each entry of a resource's `Events` is validated against the definition for its `Type`.
 *
 * The schema marks properties SAM passes straight to CloudFormation (`Runtime`, `LoggingConfig`,
 * `Environment`, …) as `__samPassThrough` and accepts any value for them; those are checked
 * against the CloudFormation specification instead (see cfn-spec.ts). That is also why
 * `Runtime: nodejs24.x` is accepted: the schema enumerates no runtimes.
 */
import { readFileSync } from 'node:fs';
import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv-draft-04';
import type { CfnSpec } from './cfn-spec.ts';
import { didYouMean } from './closest-name.ts';
import { isPlainObject, type TemplateResource } from './template-file.ts';

type JsonSchema = Record<string, unknown>;

interface SamSchemaDocument {
  definitions: Record<string, JsonSchema>;
  properties: { Resources: { additionalProperties: { anyOf: Array<{ $ref: string }> } } };
}

const SCHEMA_ID = 'sam';
const GLOBALS_DEFINITION = '__main____Globals';

/** `#/definitions/X` → `X`. */
function definitionName(ref: string): string {
  return ref.replace('#/definitions/', '');
}

/** The `Type` values a definition accepts (`{ properties: { Type: { enum: [...] } } }`). */
function typeEnum(definition: JsonSchema | undefined): string[] {
  const properties = definition?.properties;
  if (!isPlainObject(properties) || !isPlainObject(properties.Type)) return [];
  const values = properties.Type.enum;
  return Array.isArray(values) ? values.filter((value): value is string => typeof value === 'string') : [];
}

function refOf(schema: unknown): string | undefined {
  return isPlainObject(schema) && typeof schema.$ref === 'string' ? definitionName(schema.$ref) : undefined;
}

/** Validates SAM resources and Globals; build once (compiling the schema takes a few hundred ms). */
export class SamSchema {
  private readonly document: SamSchemaDocument;
  private readonly ajv: InstanceType<typeof AjvModule.default>;
  private readonly validators = new Map<string, ValidateFunction>();
  /** AWS::Serverless::* type → name of its `…__Resource` definition. */
  readonly resourceDefinitions = new Map<string, string>();

  constructor(document: SamSchemaDocument) {
    this.document = document;
    // strict: false because the schema carries SAM's own annotation keywords (markdownDescription,
    // __samPassThrough); verbose: true so errors carry the schema that rejected them (for
    // "did you mean" suggestions).
    this.ajv = new AjvModule.default({ allErrors: true, strict: false, verbose: true });
    this.ajv.addSchema(document, SCHEMA_ID);
    for (const branch of document.properties.Resources.additionalProperties.anyOf) {
      const name = definitionName(branch.$ref);
      for (const type of typeEnum(document.definitions[name])) this.resourceDefinitions.set(type, name);
    }
  }

  /** Loads sam.schema.json from beside this module. */
  static load(): SamSchema {
    const text = readFileSync(new URL('./sam.schema.json', import.meta.url), 'utf8');
    return new SamSchema(JSON.parse(text) as SamSchemaDocument);
  }

  /** Problems with the Globals section (`where` is the message prefix, normally `Globals`). */
  validateGlobals(globals: unknown, where: string, spec?: CfnSpec): string[] {
    const problems = this.validate(GLOBALS_DEFINITION, globals, where);
    if (spec && isPlainObject(globals)) {
      for (const [section, values] of Object.entries(globals)) {
        const sectionDefinition = refOf(this.properties(GLOBALS_DEFINITION)?.[section]);
        if (sectionDefinition && isPlainObject(values)) {
          problems.push(...this.checkPassThrough(sectionDefinition, values, `${where}.${section}`, spec));
        }
      }
    }
    return problems;
  }

  /**
   * Problems with one AWS::Serverless::* resource: schema errors, each entry of `Events` against
   * its event type, and (with `spec`) pass-through properties against CloudFormation.
   */
  validateResource(logicalId: string, resource: TemplateResource, spec?: CfnSpec): string[] {
    const where = `Resources.${logicalId}`;
    const definition = this.resourceDefinitions.get(resource.Type);
    if (definition === undefined) {
      return [
        `${where}.Type: unknown SAM resource type ${resource.Type}${didYouMean(resource.Type, this.resourceDefinitions.keys())}`,
      ];
    }
    const propertiesDefinition = refOf(this.properties(definition)?.Properties);
    const events = resource.Properties?.Events;
    // Events are validated one by one below, when this resource type has them at all.
    const separateEvents =
      events !== undefined &&
      propertiesDefinition !== undefined &&
      this.properties(propertiesDefinition)?.Events !== undefined &&
      isPlainObject(resource.Properties);
    const problems = separateEvents
      ? this.validate(definition, { ...resource, Properties: { ...resource.Properties, Events: {} } }, where)
      : this.validate(definition, resource, where);
    if (separateEvents && propertiesDefinition) {
      problems.push(...this.validateEvents(propertiesDefinition, events, `${where}.Properties.Events`));
    }
    if (spec && propertiesDefinition && isPlainObject(resource.Properties)) {
      problems.push(
        ...this.checkPassThrough(propertiesDefinition, resource.Properties, `${where}.Properties`, spec),
      );
    }
    return problems;
  }

  private validateEvents(propertiesDefinition: string, events: unknown, where: string): string[] {
    const eventsSchema = this.properties(propertiesDefinition)?.Events;
    const branches =
      isPlainObject(eventsSchema) && isPlainObject(eventsSchema.additionalProperties)
        ? eventsSchema.additionalProperties.anyOf
        : undefined;
    const byType = new Map<string, string>();
    for (const branch of Array.isArray(branches) ? branches : []) {
      const name = refOf(branch);
      if (name) for (const type of typeEnum(this.document.definitions[name])) byType.set(type, name);
    }
    if (!isPlainObject(events)) return [`${where}: expected a map of events`];
    const problems: string[] = [];
    for (const [name, event] of Object.entries(events)) {
      const type = isPlainObject(event) ? event.Type : undefined;
      const definition = typeof type === 'string' ? byType.get(type) : undefined;
      if (definition === undefined) {
        problems.push(
          `${where}.${name}.Type: unknown event type ${JSON.stringify(type)}${didYouMean(String(type), byType.keys())}`,
        );
        continue;
      }
      problems.push(...this.validate(definition, event, `${where}.${name}`));
    }
    return problems;
  }

  /** Pass-through properties name their CloudFormation origin; check their values there. */
  private checkPassThrough(
    definition: string,
    values: Record<string, unknown>,
    where: string,
    spec: CfnSpec,
  ): string[] {
    const problems: string[] = [];
    for (const [name, value] of Object.entries(values)) {
      const schema = this.properties(definition)?.[name];
      const passThrough = isPlainObject(schema) ? schema.__samPassThrough : undefined;
      const path = isPlainObject(passThrough) ? passThrough.schemaPath : undefined;
      if (!Array.isArray(path)) continue;
      const property = resolvePassThrough(path.map(String), spec);
      if (property) problems.push(...spec.checkValue(property, value, `${where}.${name}`));
    }
    return problems;
  }

  private properties(definition: string): Record<string, unknown> | undefined {
    const properties = this.document.definitions[definition]?.properties;
    return isPlainObject(properties) ? properties : undefined;
  }

  private validate(definition: string, value: unknown, where: string): string[] {
    let validator = this.validators.get(definition);
    if (validator === undefined) {
      validator = this.ajv.getSchema(`${SCHEMA_ID}#/definitions/${definition}`);
      if (validator === undefined) throw new Error(`sam.schema.json has no definition ${definition}`);
      this.validators.set(definition, validator);
    }
    return validator(value) ? [] : formatErrors(validator.errors ?? [], where);
  }
}

/**
 * `['definitions', 'AWS::Lambda::Function', 'properties', 'Properties', 'properties', 'Runtime']` or
 * `['definitions', 'AWS::Lambda::Function.Code', 'properties', 'ImageUri']` → that property's spec.
 */
function resolvePassThrough(path: string[], spec: CfnSpec) {
  const [, owner, ...rest] = path;
  const name = rest.at(-1);
  if (owner === undefined || name === undefined) return undefined;
  const [resourceType, typeName] = owner.split('.');
  const resource = spec.resource(resourceType ?? '');
  if (resource === undefined) return undefined;
  if (typeName === undefined) return resource.properties[name];
  return spec.typeDefinition(resource, typeName)?.properties[name];
}

/** ajv's `/Properties/Events/0` → `.Properties.Events[0]`. */
function dotted(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((segment) => (/^\d+$/.test(segment) ? `[${segment}]` : `.${segment}`))
    .join('');
}

/**
 * Human-readable messages from ajv errors. A value that fails an `anyOf` gets one error per branch;
 * when a branch got further (errors deeper in the value, or of another kind at the same place),
 * the shallow "wrong type" and "matches no branch" errors are noise and are dropped.
 */
function formatErrors(errors: ErrorObject[], where: string): string[] {
  const specific = (error: ErrorObject) =>
    error.keyword !== 'anyOf' && error.keyword !== 'oneOf' && error.keyword !== 'type';
  const kept = errors.filter((error) => {
    if (specific(error)) return true;
    return !errors.some(
      (other) =>
        other !== error &&
        specific(other) &&
        (other.instancePath === error.instancePath ||
          other.instancePath.startsWith(`${error.instancePath}/`)),
    );
  });
  const messages = kept.map((error) => {
    const at = `${where}${dotted(error.instancePath)}`;
    if (error.keyword === 'additionalProperties') {
      const name = String((error.params as { additionalProperty: string }).additionalProperty);
      const known = isPlainObject(error.parentSchema?.properties)
        ? Object.keys(error.parentSchema.properties)
        : [];
      return `${at}.${name}: unknown property${didYouMean(name, known)}`;
    }
    if (error.keyword === 'required') {
      return `${at}: missing required property ${(error.params as { missingProperty: string }).missingProperty}`;
    }
    if (error.keyword === 'enum') {
      return `${at}: must be one of ${JSON.stringify((error.params as { allowedValues: unknown[] }).allowedValues)}`;
    }
    return `${at}: ${error.message ?? error.keyword}`;
  });
  return [...new Set(messages)];
}

let loaded: SamSchema | undefined;

/** The schema validator, compiled once per module instance. */
export function samSchema(): SamSchema {
  loaded ??= SamSchema.load();
  return loaded;
}
