/**
 * template.yaml → LocalModel: Parameters and Conditions evaluated, intrinsics resolved to local
 * values, SAM Globals applied and the SAM shorthand that changes local behaviour expanded
 * (function/state machine Events, EventInvokeConfig, DefinitionUri + DefinitionSubstitutions).
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { yamlParse } from 'yaml-cfn';
import type {
  LocalBucket,
  LocalFunction,
  LocalModel,
  LocalQueue,
  LocalRule,
  LocalSchedule,
  LocalStateMachine,
  LocalSubscription,
  LocalTable,
  LocalTarget,
  LocalTopic,
} from '../core/model.ts';
import { TemplateError } from './errors.ts';
import {
  generatedName,
  type IdentityContext,
  NAME_PROPERTY,
  type ResourceIdentity,
  resourceIdentity,
} from './identity.ts';
import { evaluateCondition, NO_VALUE, type ResolverScope, resolveValue } from './intrinsics.ts';
import { withGlobals } from './sam.ts';

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

type Json = Record<string, unknown>;

interface RawResource {
  Type: string;
  Properties?: Json;
  Condition?: string;
  Metadata?: Json;
}

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const str = (value: unknown): string | undefined =>
  value === undefined || value === null
    ? undefined
    : typeof value === 'string'
      ? value
      : JSON.stringify(value);

const num = (value: unknown, fallback: number): number => {
  const parsed = Number(value);
  return value === undefined || value === null || value === '' || Number.isNaN(parsed) ? fallback : parsed;
};

const enabled = (props: Json): boolean => {
  if (props.Enabled !== undefined) return props.Enabled === true || props.Enabled === 'true';
  if (props.State !== undefined) return String(props.State).toUpperCase() === 'ENABLED';
  return true;
};

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

  const functionByArnOrName = (value: unknown): string | undefined => {
    const text = str(value);
    return model.functions.find((fn) => fn.arn === text || fn.name === text || fn.logicalId === text)
      ?.logicalId;
  };
  const bucketById = new Map<string, LocalBucket>();
  const topicById = new Map<string, LocalTopic>();
  const pendingNotifications: Array<{ bucket: string; notification: LocalBucket['notifications'][number] }> =
    [];
  const pendingSubscriptions: Array<{ topicArn: string; subscription: LocalSubscription }> = [];
  const invokeConfigs: Array<{ functionRef: string; props: Json }> = [];

  const addEventSources = (
    ownerId: string,
    ownerArn: string,
    events: unknown,
    kind: 'function' | 'stateMachine',
  ) => {
    if (!isObject(events)) return;
    for (const [eventId, rawEvent] of Object.entries(events)) {
      if (!isObject(rawEvent)) continue;
      const type = String(rawEvent.Type);
      const props = (resolve_(rawEvent.Properties ?? {}) as Json) ?? {};
      const logicalId = `${ownerId}${eventId}`;
      switch (type) {
        case 'S3': {
          if (kind !== 'function') break;
          const raw = isObject(rawEvent.Properties) ? rawEvent.Properties.Bucket : undefined;
          const bucketId = isObject(raw) && typeof raw.Ref === 'string' ? raw.Ref : undefined;
          if (!bucketId)
            throw new TemplateError(
              `${logicalId}: an S3 event's Bucket must be !Ref to a bucket in this template`,
            );
          const list = Array.isArray(props.Events) ? props.Events.map(String) : [String(props.Events)];
          pendingNotifications.push({
            bucket: bucketId,
            notification: { events: list, ...keyFilter(props.Filter), functionLogicalId: ownerId },
          });
          break;
        }
        case 'SNS':
          if (kind !== 'function') break;
          pendingSubscriptions.push({
            topicArn: String(props.Topic),
            subscription: {
              protocol: 'lambda',
              endpoint: ownerArn,
              ...(isObject(props.FilterPolicy) ? { filterPolicy: props.FilterPolicy } : {}),
            },
          });
          break;
        case 'Schedule':
        case 'EventBridgeRule':
        case 'CloudWatchEvent': {
          const name = str(props.Name ?? props.RuleName) ?? generatedName(ctx, logicalId, 64);
          const bus = str(props.EventBusName) ?? 'default';
          const target: LocalTarget = {
            id: str(isObject(props.Target) ? props.Target.Id : undefined) ?? `${ownerId}${eventId}Target`,
            arn: ownerArn,
          };
          if (props.Input !== undefined) target.input = str(props.Input) as string;
          if (props.InputPath !== undefined) target.inputPath = String(props.InputPath);
          model.rules.push({
            logicalId,
            name,
            arn: `arn:aws:events:${ctx.region}:${ctx.accountId}:rule/${bus === 'default' ? '' : `${bus}/`}${name}`,
            eventBusName: bus,
            ...(type === 'Schedule'
              ? { scheduleExpression: String(props.Schedule) }
              : { eventPattern: (props.Pattern as Json | undefined) ?? {} }),
            enabled: enabled(props),
            targets: [target],
          });
          break;
        }
        case 'ScheduleV2':
          model.schedules.push({
            logicalId,
            name: str(props.Name) ?? generatedName(ctx, logicalId, 64),
            groupName: str(props.GroupName) ?? 'default',
            expression: String(props.ScheduleExpression),
            timezone: str(props.ScheduleExpressionTimezone) ?? 'UTC',
            enabled: enabled(props),
            target: {
              arn: ownerArn,
              ...(props.Input !== undefined ? { input: str(props.Input) as string } : {}),
              ...(props.RoleArn !== undefined ? { roleArn: String(props.RoleArn) } : {}),
            },
          });
          break;
        default:
          debug(`${logicalId}: event source type ${type} is not emulated; ignored`);
      }
    }
  };

  for (const [logicalId, resource] of active) {
    const { type } = types[logicalId] as { type: string; props: Json };
    const rawProps = (types[logicalId] as { props: Json }).props;
    const id = identity(logicalId);
    switch (type) {
      case 'AWS::S3::Bucket': {
        const props = resolve_(rawProps) as Json;
        const notification = isObject(props.NotificationConfiguration) ? props.NotificationConfiguration : {};
        const bucket: LocalBucket = {
          logicalId,
          name: id.ref,
          arn: id.attrs.Arn as string,
          notifications: [],
          eventBridge: isObject(notification.EventBridgeConfiguration)
            ? notification.EventBridgeConfiguration.EventBridgeEnabled !== false &&
              notification.EventBridgeConfiguration.EventBridgeEnabled !== 'false'
            : false,
          versioned:
            isObject(props.VersioningConfiguration) && props.VersioningConfiguration.Status === 'Enabled',
        };
        for (const config of Array.isArray(notification.LambdaConfigurations)
          ? notification.LambdaConfigurations
          : []) {
          if (!isObject(config)) continue;
          // Functions may not be built yet: remember the ARN and map it to a logical id below.
          pendingNotifications.push({
            bucket: logicalId,
            notification: {
              events: [String(config.Event)],
              ...keyFilter(config.Filter),
              functionLogicalId: String(config.Function),
            },
          });
        }
        for (const key of ['QueueConfigurations', 'TopicConfigurations']) {
          if (notification[key] !== undefined) debug(`${logicalId}: ${key} are not emulated; ignored`);
        }
        bucketById.set(logicalId, bucket);
        model.buckets.push(bucket);
        break;
      }
      case 'AWS::DynamoDB::Table':
      case 'AWS::Serverless::SimpleTable': {
        const props = resolve_(rawProps) as Json;
        model.tables.push({
          logicalId,
          name: id.ref,
          arn: id.attrs.Arn as string,
          createTableInput:
            type === 'AWS::DynamoDB::Table' ? tableInput(id.ref, props) : simpleTableInput(id.ref, props),
        } satisfies LocalTable);
        break;
      }
      case 'AWS::Serverless::Function':
      case 'AWS::Lambda::Function': {
        const { Events: events, ...rest } = rawProps;
        const props = resolve_(rest) as Json;
        const environment =
          isObject(props.Environment) && isObject(props.Environment.Variables)
            ? props.Environment.Variables
            : {};
        const entry = functionEntry(options.root, logicalId, props, (resource.Metadata ?? {}) as Json);
        const invoke = isObject(props.EventInvokeConfig) ? props.EventInvokeConfig : {};
        const fn: LocalFunction = {
          logicalId,
          name: id.ref,
          arn: id.attrs.Arn as string,
          folder: entry.folder,
          sourceEntry: entry.path,
          handlerExport: entry.handlerExport,
          environment: Object.fromEntries(Object.entries(environment).map(([k, v]) => [k, str(v) ?? ''])),
          timeoutSeconds: num(props.Timeout, 3),
          memoryMb: num(props.MemorySize, 128),
          async: asyncConfig(invoke),
        };
        model.functions.push(fn);
        addEventSources(logicalId, fn.arn, events, 'function');
        break;
      }
      case 'AWS::Lambda::EventInvokeConfig':
        invokeConfigs.push({
          functionRef: String(resolve_(rawProps.FunctionName)),
          props: resolve_(rawProps) as Json,
        });
        break;
      case 'AWS::Serverless::StateMachine':
      case 'AWS::StepFunctions::StateMachine': {
        const { Events: events, ...rest } = rawProps;
        const props = resolve_(rest) as Json;
        const { definition, definitionPath } = stateMachineDefinition(options.root, logicalId, props);
        const machine: LocalStateMachine = {
          logicalId,
          name: id.attrs.Name as string,
          arn: id.attrs.Arn as string,
          definition,
          ...(definitionPath ? { definitionPath } : {}),
        };
        model.stateMachines.push(machine);
        addEventSources(logicalId, machine.arn, events, 'stateMachine');
        break;
      }
      case 'AWS::SNS::Topic': {
        const props = resolve_(rawProps) as Json;
        const topic: LocalTopic = {
          logicalId,
          name: id.attrs.TopicName as string,
          arn: id.ref,
          subscriptions: [],
        };
        for (const sub of Array.isArray(props.Subscription) ? props.Subscription : []) {
          if (isObject(sub))
            topic.subscriptions?.push({ protocol: String(sub.Protocol), endpoint: String(sub.Endpoint) });
        }
        topicById.set(logicalId, topic);
        model.topics.push(topic);
        break;
      }
      case 'AWS::SNS::Subscription': {
        const props = resolve_(rawProps) as Json;
        const filterPolicy =
          typeof props.FilterPolicy === 'string' ? JSON.parse(props.FilterPolicy) : props.FilterPolicy;
        pendingSubscriptions.push({
          topicArn: String(props.TopicArn),
          subscription: {
            protocol: String(props.Protocol),
            endpoint: String(props.Endpoint),
            ...(isObject(filterPolicy) ? { filterPolicy } : {}),
            ...(props.RawMessageDelivery !== undefined
              ? {
                  rawMessageDelivery:
                    props.RawMessageDelivery === true || props.RawMessageDelivery === 'true',
                }
              : {}),
          },
        });
        break;
      }
      case 'AWS::SQS::Queue':
        model.queues.push({
          logicalId,
          name: id.attrs.QueueName as string,
          arn: id.attrs.Arn as string,
        } satisfies LocalQueue);
        break;
      case 'AWS::Events::Rule': {
        const props = resolve_(rawProps) as Json;
        model.rules.push({
          logicalId,
          name: id.ref,
          arn: id.attrs.Arn as string,
          eventBusName: str(props.EventBusName) ?? 'default',
          ...(props.EventPattern !== undefined
            ? {
                eventPattern: (typeof props.EventPattern === 'string'
                  ? JSON.parse(props.EventPattern)
                  : props.EventPattern) as Json,
              }
            : {}),
          ...(props.ScheduleExpression !== undefined
            ? { scheduleExpression: String(props.ScheduleExpression) }
            : {}),
          enabled: enabled(props),
          targets: (Array.isArray(props.Targets) ? props.Targets : []).filter(isObject).map((target) => ({
            id: String(target.Id),
            arn: String(target.Arn),
            ...(target.Input !== undefined ? { input: str(target.Input) as string } : {}),
            ...(target.InputPath !== undefined ? { inputPath: String(target.InputPath) } : {}),
          })),
        } satisfies LocalRule);
        break;
      }
      case 'AWS::Scheduler::ScheduleGroup': {
        model.scheduleGroups = [...(model.scheduleGroups ?? []), id.ref];
        break;
      }
      case 'AWS::Scheduler::Schedule': {
        const props = resolve_(rawProps) as Json;
        const target = isObject(props.Target) ? props.Target : {};
        model.schedules.push({
          logicalId,
          name: id.ref,
          groupName: str(props.GroupName) ?? 'default',
          expression: String(props.ScheduleExpression),
          timezone: str(props.ScheduleExpressionTimezone) ?? 'UTC',
          enabled: enabled(props),
          target: {
            arn: String(target.Arn),
            ...(target.Input !== undefined ? { input: str(target.Input) as string } : {}),
            ...(target.RoleArn !== undefined ? { roleArn: String(target.RoleArn) } : {}),
          },
        } satisfies LocalSchedule);
        break;
      }
      default:
        debug(`${logicalId} (${type}) is not emulated; its Ref/GetAtt values are local placeholders`);
    }
  }

  for (const { bucket, notification } of pendingNotifications) {
    const target = bucketById.get(bucket);
    if (!target) {
      throw new TemplateError(
        `S3 notification refers to bucket ${bucket}, which is not ${activeIds.has(bucket) ? 'a bucket' : 'declared'}`,
      );
    }
    const fnId = functionByArnOrName(notification.functionLogicalId);
    if (!fnId)
      throw new TemplateError(
        `${bucket}: notification target ${notification.functionLogicalId} is not a function of this template`,
      );
    target.notifications.push({ ...notification, functionLogicalId: fnId });
  }
  for (const { topicArn, subscription } of pendingSubscriptions) {
    const topic = model.topics.find((t) => t.arn === topicArn);
    if (topic) topic.subscriptions?.push(subscription);
    else debug(`subscription to ${topicArn} ignored: the topic is not in this template`);
  }
  for (const { functionRef, props } of invokeConfigs) {
    const fnId =
      functionByArnOrName(functionRef.split(':').slice(0, 7).join(':')) ?? functionByArnOrName(functionRef);
    const fn = model.functions.find((f) => f.logicalId === fnId);
    if (!fn)
      throw new TemplateError(
        `AWS::Lambda::EventInvokeConfig refers to ${functionRef}, not a function of this template`,
      );
    fn.async = asyncConfig(props);
  }
  void topicById;

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

function keyFilter(filter: unknown): { prefix?: string; suffix?: string } {
  const rules =
    isObject(filter) && isObject(filter.S3Key) && Array.isArray(filter.S3Key.Rules) ? filter.S3Key.Rules : [];
  const out: { prefix?: string; suffix?: string } = {};
  for (const rule of rules) {
    if (!isObject(rule)) continue;
    const name = String(rule.Name).toLowerCase();
    if (name === 'prefix' || name === 'suffix') out[name] = String(rule.Value);
  }
  return out;
}

function asyncConfig(config: Json): LocalFunction['async'] {
  const destinations = isObject(config.DestinationConfig) ? config.DestinationConfig : {};
  const destination = (key: string) => {
    const entry = destinations[key];
    return isObject(entry) && entry.Destination !== undefined ? String(entry.Destination) : undefined;
  };
  const onFailure = destination('OnFailure');
  const onSuccess = destination('OnSuccess');
  return {
    maximumRetryAttempts: num(config.MaximumRetryAttempts, 2),
    maximumEventAgeSeconds: num(config.MaximumEventAgeInSeconds, 21600),
    ...(onFailure ? { onFailure } : {}),
    ...(onSuccess ? { onSuccess } : {}),
  };
}

const TABLE_KEYS = [
  'KeySchema',
  'AttributeDefinitions',
  'GlobalSecondaryIndexes',
  'LocalSecondaryIndexes',
  'BillingMode',
  'ProvisionedThroughput',
  'StreamSpecification',
  'SSESpecification',
  'TableClass',
  'DeletionProtectionEnabled',
  'TimeToLiveSpecification',
];

function tableInput(name: string, props: Json): Json {
  const out: Json = { TableName: name };
  for (const key of TABLE_KEYS) if (props[key] !== undefined) out[key] = props[key];
  return out;
}

function simpleTableInput(name: string, props: Json): Json {
  const key = isObject(props.PrimaryKey) ? props.PrimaryKey : { Name: 'id', Type: 'String' };
  const typeCode: Record<string, string> = { String: 'S', Number: 'N', Binary: 'B' };
  return {
    TableName: name,
    KeySchema: [{ AttributeName: String(key.Name), KeyType: 'HASH' }],
    AttributeDefinitions: [
      { AttributeName: String(key.Name), AttributeType: typeCode[String(key.Type)] ?? 'S' },
    ],
    ...(props.ProvisionedThroughput
      ? { BillingMode: 'PROVISIONED', ProvisionedThroughput: props.ProvisionedThroughput }
      : { BillingMode: 'PAY_PER_REQUEST' }),
    ...(props.SSESpecification ? { SSESpecification: props.SSESpecification } : {}),
  };
}

const SOURCE_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'];

function functionEntry(
  root: string,
  logicalId: string,
  props: Json,
  metadata: Json,
): { path: string; folder: string; handlerExport: string } {
  const handler = str(props.Handler) ?? 'index.handler';
  const dot = handler.lastIndexOf('.');
  const handlerExport = dot >= 0 ? handler.slice(dot + 1) : 'handler';
  const modulePath = dot >= 0 ? handler.slice(0, dot) : handler;
  const codeDir = resolve(root, str(props.CodeUri) ?? '.');
  const build = isObject(metadata.BuildProperties) ? metadata.BuildProperties : {};
  const entryPoint = Array.isArray(build.EntryPoints) ? str(build.EntryPoints[0]) : undefined;
  const candidates = entryPoint
    ? [resolve(codeDir, entryPoint)]
    : SOURCE_EXTENSIONS.map((ext) => resolve(codeDir, `${modulePath}${ext}`));
  const path = candidates.find((candidate) => existsSync(candidate));
  if (!path) {
    throw new TemplateError(
      `${logicalId}: handler source not found (looked for ${candidates.map((c) => relative(root, c)).join(', ')})`,
    );
  }
  const rel = relative(root, path).split(sep);
  const folder = rel[0] === 'functions' && rel.length > 2 ? (rel[1] as string) : basename(dirname(path));
  return { path, folder, handlerExport };
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
