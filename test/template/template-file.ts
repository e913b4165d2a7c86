/**
 * Reading template.yaml the way CloudFormation does: YAML with the short-form intrinsic tags
 * (`!Ref`, `!Sub`, `!GetAtt`, `!If`, …) turned into their JSON forms by yaml-cfn.
 */
import { readFileSync } from 'node:fs';
import { yamlParse } from 'yaml-cfn';

/** One entry of `Resources`. */
export interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  [attribute: string]: unknown;
}

/** The parts of a SAM template the checks look at; anything else passes through untyped. */
export interface Template {
  Globals?: Record<string, Record<string, unknown> | undefined>;
  Resources?: Record<string, TemplateResource>;
  [section: string]: unknown;
}

/** Parses template text; throws when it is not YAML or not a mapping. */
export function parseTemplate(text: string): Template {
  const parsed: unknown = yamlParse(text);
  if (!isPlainObject(parsed)) throw new TypeError('a template must be a YAML mapping');
  return parsed as Template;
}

/** Reads and parses a template file. */
export function loadTemplate(file: string): Template {
  return parseTemplate(readFileSync(file, 'utf8'));
}

/** The resources of a template as [logicalId, resource] pairs, in file order. */
export function resourcesOf(template: Template): Array<[string, TemplateResource]> {
  return Object.entries(template.Resources ?? {});
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * True for `{ Ref: … }`, `{ 'Fn::…': … }` and `{ Condition: … }`: values only CloudFormation can
 * resolve, so their shape is not checked.
 */
export function isIntrinsic(value: unknown): value is Record<string, unknown> {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0] === 'Condition' || keys[0]!.startsWith('Fn::'));
}

/** The two outcomes of an `Fn::If`, or undefined when the value is not one. */
export function ifBranches(value: unknown): [unknown, unknown] | undefined {
  if (!isIntrinsic(value)) return undefined;
  const args = value['Fn::If'];
  return Array.isArray(args) && args.length === 3 ? [args[1], args[2]] : undefined;
}

/** True for `{ Ref: 'AWS::NoValue' }`, which removes the property it is the value of. */
export function isNoValue(value: unknown): boolean {
  return isIntrinsic(value) && value.Ref === 'AWS::NoValue';
}
