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
