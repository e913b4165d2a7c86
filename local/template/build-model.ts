/**
 * template.yaml → LocalModel: Parameters and Conditions evaluated, intrinsics resolved to local
 * values and SAM Globals applied here; each resource and SAM event source is then read by the
 * service that emulates its type (local/<service>/template.ts, indexed in ./registry.ts).
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { yamlParse } from 'yaml-cfn';
import type { LocalModel } from '../core/model.ts';
import { TemplateError } from './errors.ts';
import { type IdentityContext, NAME_PROPERTY, type ResourceIdentity, resourceIdentity } from './identity.ts';
import { evaluateCondition, NO_VALUE, type ResolverScope, resolveValue } from './intrinsics.ts';
import { EVENT_SOURCE_HANDLERS, RESOURCE_HANDLERS, TEMPLATE_SUPPORT } from './registry.ts';
import { withGlobals } from './sam.ts';
import { type EventOwnerKind, isObject, type Json, type LoaderScope, str } from './support.ts';

export interface BuildModelOptions {
  /** Directory that CodeUri, DefinitionUri and bundle paths are relative to. */
  root: string;
  /** Values over the Parameters' defaults. */
  parameters?: Record<string, string>;
  region?: string;
  accountId?: string;
  stackName?: string;
  /** Where skipped/ignored things are reported. */
  debug?: (message: string) => void;
}

interface RawResource {
  Type: string;
  Properties?: Json;
  Condition?: string;
  Metadata?: Json;
}

/** Parse template YAML (or JSON) text, CloudFormation short tags included. */
export function parseTemplate(text: string): Json {
  const parsed = yamlParse(text) as unknown;
  if (!isObject(parsed) || !isObject(parsed.Resources)) {
    throw new TemplateError('not a CloudFormation template: there is no Resources section');
  }
  return parsed;
}

/** Read and build the model of the template at `templatePath`. */
export function loadTemplate(templatePath: string, options: Partial<BuildModelOptions> = {}): LocalModel {
  const text = readFileSync(templatePath, 'utf8');
  return buildModel(parseTemplate(text), { root: options.root ?? dirname(templatePath), ...options });
}

export function buildModel(template: Json, options: BuildModelOptions): LocalModel {
  const ctx: IdentityContext = {
    region: options.region ?? 'us-east-1',
    accountId: options.accountId ?? '000000000000',
    stackName: options.stackName ?? 'mwaa-ops',
  };
  const debug = options.debug ?? (() => {});
  const parameters = resolveParameters(
    (template.Parameters as Json | undefined) ?? {},
    options.parameters ?? {},
  );
  const pseudo: Record<string, unknown> = {
    'AWS::Region': ctx.region,
    'AWS::AccountId': ctx.accountId,
    'AWS::StackName': ctx.stackName,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackId': `arn:aws:cloudformation:${ctx.region}:${ctx.accountId}:stack/${ctx.stackName}/00000000-0000-4000-a000-000000000000`,
    'AWS::NotificationARNs': [],
  };
  const conditionDefs = (template.Conditions as Json | undefined) ?? {};
  const globals = template.Globals as Json | undefined;
  const rawResources = template.Resources as Record<string, RawResource>;

  const conditionCache = new Map<string, boolean>();
  const conditionStack = new Set<string>();
  const identities = new Map<string, ResourceIdentity>();
  const identityStack = new Set<string>();

  // Resources SAM creates implicitly, so that `!GetAtt MyFunctionRole.Arn` resolves too.
  const types: Record<string, { type: string; props: Json }> = {};
  for (const [logicalId, resource] of Object.entries(rawResources)) {
    const props = withGlobals(globals, resource.Type, resource.Properties ?? {});
    types[logicalId] = { type: resource.Type, props };
    if (
      (resource.Type === 'AWS::Serverless::Function' || resource.Type === 'AWS::Serverless::StateMachine') &&
      props.Role === undefined
    ) {
      types[`${logicalId}Role`] ??= { type: 'AWS::IAM::Role', props: {} };
    }
  }

  const scope: ResolverScope = {
    region: ctx.region,
    mappings: (template.Mappings as ResolverScope['mappings'] | undefined) ?? {},
    refValue(name) {
      if (name in pseudo) return pseudo[name];
      if (name in parameters) return parameters[name];
      if (name in types) return identity(name).ref;
      throw new TemplateError(`Ref ${name}: no such parameter or resource`);
    },
    condition(name) {
      const cached = conditionCache.get(name);
      if (cached !== undefined) return cached;
      if (!(name in conditionDefs)) throw new TemplateError(`condition ${name} is not defined`);
      if (conditionStack.has(name)) throw new TemplateError(`condition ${name} refers to itself`);
      conditionStack.add(name);
      const value = evaluateCondition(conditionDefs[name], scope);
      conditionStack.delete(name);
      conditionCache.set(name, value);
      return value;
    },
    getAtt(logicalId, attribute) {
      if (!(logicalId in types))
        throw new TemplateError(`Fn::GetAtt ${logicalId}.${attribute}: no such resource`);
      const { ref, attrs } = identity(logicalId);
      const value = attrs[attribute] ?? (attribute.endsWith('Arn') ? attrs.Arn : undefined);
      if (value !== undefined) return value;
      debug(
        `Fn::GetAtt ${logicalId}.${attribute}: attribute not modelled locally, using the resource's Ref value`,
      );
      return ref;
    },
  };

  function identity(logicalId: string): ResourceIdentity {
    const cached = identities.get(logicalId);
    if (cached) return cached;
    const entry = types[logicalId];
    if (!entry) throw new TemplateError(`no resource ${logicalId}`);
    if (identityStack.has(logicalId)) throw new TemplateError(`the name of ${logicalId} depends on itself`);
    identityStack.add(logicalId);
    const nameProp = NAME_PROPERTY[entry.type];
    const rawName = nameProp ? entry.props[nameProp] : undefined;
    const name = rawName === undefined ? undefined : str(resolveValue(rawName, scope));
    const extra: Json = {};
    for (const key of ['FifoTopic', 'FifoQueue', 'EventBusName', 'GroupName', 'Value']) {
      if (entry.props[key] !== undefined) extra[key] = resolveValue(entry.props[key], scope);
    }
    const result = resourceIdentity(ctx, logicalId, entry.type, name === '' ? undefined : name, extra);
    identityStack.delete(logicalId);
    identities.set(logicalId, result);
    return result;
  }

  const resolve_ = (value: unknown): unknown => {
    const resolved = resolveValue(value, scope);
    return resolved === NO_VALUE ? undefined : resolved;
  };

  const model: LocalModel = {
    region: ctx.region,
    accountId: ctx.accountId,
    stackName: ctx.stackName,
    parameters: Object.fromEntries(
      Object.entries(parameters).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)]),
    ),
    buckets: [],
    tables: [],
    functions: [],
    stateMachines: [],
    topics: [],
    queues: [],
    rules: [],
    schedules: [],
    outputs: {},
    refs: {},
  };

  const active = Object.entries(rawResources).filter(([logicalId, resource]) => {
    if (resource.Condition === undefined || scope.condition(resource.Condition)) return true;
    debug(`${logicalId} skipped: condition ${resource.Condition} is false`);
    return false;
  });
  const activeIds = new Set(active.map(([id]) => id));
  for (const [logicalId] of active) model.refs[logicalId] = identity(logicalId).ref;

  const scopeForServices: LoaderScope = {
    ctx,
    root: options.root,
    model,
    links: { notifications: [], subscriptions: [], invokeConfigs: [] },
    resolve: resolve_,
    debug,
    isActive: (logicalId) => activeIds.has(logicalId),
  };

  // SAM `Events` of a function or state machine: each source type is read by the service it emulates.
  const addEventSources = (ownerId: string, ownerArn: string, events: unknown, kind: EventOwnerKind) => {
    if (!isObject(events)) return;
    for (const [eventId, rawEvent] of Object.entries(events)) {
      if (!isObject(rawEvent)) continue;
      const type = String(rawEvent.Type);
      const logicalId = `${ownerId}${eventId}`;
      const source = EVENT_SOURCE_HANDLERS.get(type);
      if (!source) {
        debug(`${logicalId}: event source type ${type} is not emulated; ignored`);
        continue;
      }
      const props = (resolve_(rawEvent.Properties ?? {}) as Json) ?? {};
      source.handler({
        ...scopeForServices,
        logicalId,
        ownerId,
        eventId,
        ownerArn,
        kind,
        type,
        rawEvent,
        props,
      });
    }
  };

  for (const [logicalId, resource] of active) {
    const { type, props: rawProps } = types[logicalId] as { type: string; props: Json };
    const id = identity(logicalId);
    const support = RESOURCE_HANDLERS.get(type);
    if (!support) {
      debug(`${logicalId} (${type}) is not emulated; its Ref/GetAtt values are local placeholders`);
      continue;
    }
    support.handler({
      ...scopeForServices,
      logicalId,
      type,
      rawProps,
      metadata: resource.Metadata ?? {},
      id,
      addEventSources,
    });
  }

  // Links between resources (notifications, subscriptions, invoke configs) once every resource exists.
  for (const service of TEMPLATE_SUPPORT) service.link?.(scopeForServices);

  for (const [name, output] of Object.entries((template.Outputs as Json | undefined) ?? {})) {
    if (!isObject(output)) continue;
    if (typeof output.Condition === 'string' && !scope.condition(output.Condition)) continue;
    const value = resolve_(output.Value);
    if (value !== undefined)
      model.outputs[name] = Array.isArray(value) ? value.join(',') : (str(value) ?? '');
  }
  return model;
}

type ParameterValue = string | string[];

function resolveParameters(declared: Json, given: Record<string, string>): Record<string, ParameterValue> {
  for (const name of Object.keys(given)) {
    if (!(name in declared)) throw new TemplateError(`parameter ${name} is not declared by the template`);
  }
  const out: Record<string, ParameterValue> = {};
  for (const [name, rawDef] of Object.entries(declared)) {
    const def = isObject(rawDef) ? rawDef : {};
    const value = given[name] ?? (def.Default === undefined ? undefined : String(def.Default));
    if (value === undefined)
      throw new TemplateError(`parameter ${name} has no default; pass it in options.parameters`);
    const type = String(def.Type ?? 'String');
    const allowed = Array.isArray(def.AllowedValues) ? def.AllowedValues.map(String) : undefined;
    if (allowed && !allowed.includes(value)) {
      throw new TemplateError(
        `parameter ${name}=${JSON.stringify(value)} is not one of ${allowed.join(', ')}`,
      );
    }
    if (typeof def.AllowedPattern === 'string' && !new RegExp(`^(?:${def.AllowedPattern})$`).test(value)) {
      throw new TemplateError(
        `parameter ${name}=${JSON.stringify(value)}: ${String(def.ConstraintDescription ?? `must match ${def.AllowedPattern}`)}`,
      );
    }
    out[name] =
      type === 'CommaDelimitedList' || type.startsWith('List<')
        ? value === ''
          ? []
          : value.split(',').map((s) => s.trim())
        : value;
  }
  return out;
}
