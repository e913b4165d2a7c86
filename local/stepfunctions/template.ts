/** Template support for Step Functions: state machines (SAM and plain) with DefinitionSubstitutions. */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { yamlParse } from 'yaml-cfn';
import type { LocalStateMachine } from '../core/model.ts';
import { TemplateError } from '../template/errors.ts';
import { isObject, type Json, type ResourceInput, str, type TemplateSupport } from '../template/support.ts';

/** DefinitionSubstitutions: `${Name}` placeholders in string values (and keys) replaced. */
export function substituteDefinition(value: unknown, substitutions: Json): unknown {
  const replace = (text: string) =>
    text.replace(/\$\{([^}]+)\}/g, (match, key: string) =>
      key in substitutions ? String(str(substitutions[key])) : match,
    );
  if (typeof value === 'string') return replace(value);
  if (Array.isArray(value)) return value.map((item) => substituteDefinition(item, substitutions));
  if (isObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [replace(k), substituteDefinition(v, substitutions)]),
    );
  }
  return value;
}

function stateMachineDefinition(
  root: string,
  logicalId: string,
  props: Json,
): { definition: Json; definitionPath?: string } {
  let definition: unknown;
  let definitionPath: string | undefined;
  if (props.Definition !== undefined) definition = props.Definition;
  else if (typeof props.DefinitionString === 'string') definition = JSON.parse(props.DefinitionString);
  else if (typeof props.DefinitionUri === 'string') {
    definitionPath = isAbsolute(props.DefinitionUri) ? props.DefinitionUri : join(root, props.DefinitionUri);
    if (!existsSync(definitionPath))
      throw new TemplateError(`${logicalId}: DefinitionUri ${props.DefinitionUri} does not exist`);
    definition = yamlParse(readFileSync(definitionPath, 'utf8'));
  } else
    throw new TemplateError(
      `${logicalId}: a state machine needs Definition, DefinitionString or DefinitionUri`,
    );
  const substitutions = isObject(props.DefinitionSubstitutions) ? props.DefinitionSubstitutions : {};
  const substituted = substituteDefinition(definition, substitutions);
  if (!isObject(substituted))
    throw new TemplateError(`${logicalId}: the state machine definition is not an object`);
  return { definition: substituted, ...(definitionPath ? { definitionPath } : {}) };
}

function addStateMachine({
  logicalId,
  id,
  rawProps,
  resolve,
  root,
  model,
  addEventSources,
}: ResourceInput): void {
  const { Events: events, ...rest } = rawProps;
  const props = resolve(rest) as Json;
  const { definition, definitionPath } = stateMachineDefinition(root, logicalId, props);
  const machine: LocalStateMachine = {
    logicalId,
    name: id.attrs.Name as string,
    arn: id.attrs.Arn as string,
    definition,
    ...(definitionPath ? { definitionPath } : {}),
  };
  model.stateMachines.push(machine);
  addEventSources(logicalId, machine.arn, events, 'stateMachine');
}

export const stepFunctionsTemplate: TemplateSupport = {
  service: 'stepfunctions',
  resources: {
    'AWS::Serverless::StateMachine': addStateMachine,
    'AWS::StepFunctions::StateMachine': addStateMachine,
  },
};
