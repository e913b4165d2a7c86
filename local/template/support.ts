/**
 * What a service gives the template loader: the resource types and SAM event source types it
 * emulates, each turned into entries of the LocalModel by a small function in the service's own
 * `template.ts`. The loader (build-model.ts) resolves parameters, conditions, names and
 * intrinsics, then hands every resource to the service that registered its type
 * (./registry.ts); links between resources (an S3 notification to a function, a subscription to
 * a topic) are collected while resources are read and resolved by their service once all exist.
 */
import type { LocalBucket, LocalModel, LocalSubscription } from '../core/model.ts';
import type { IdentityContext, ResourceIdentity } from './identity.ts';

export type Json = Record<string, unknown>;

export const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A template value as text: strings as they are, anything else (a resolved list, an object) as JSON. */
export const str = (value: unknown): string | undefined =>
  value === undefined || value === null
    ? undefined
    : typeof value === 'string'
      ? value
      : JSON.stringify(value);

export const num = (value: unknown, fallback: number): number => {
  const parsed = Number(value);
  return value === undefined || value === null || value === '' || Number.isNaN(parsed) ? fallback : parsed;
};

/** `Enabled: true|"true"` (SAM) or `State: ENABLED` (CloudFormation); enabled when neither is given. */
export const enabled = (props: Json): boolean => {
  if (props.Enabled !== undefined) return props.Enabled === true || props.Enabled === 'true';
  if (props.State !== undefined) return String(props.State).toUpperCase() === 'ENABLED';
  return true;
};

/** Links that name another resource, kept until every resource has been read. */
export interface PendingLinks {
  notifications: Array<{ bucket: string; notification: LocalBucket['notifications'][number] }>;
  subscriptions: Array<{ topicArn: string; subscription: LocalSubscription }>;
  invokeConfigs: Array<{ functionRef: string; props: Json }>;
}

/** What the loader knows while it reads the template, shared by every handler. */
export interface LoaderScope {
  ctx: IdentityContext;
  /** Directory CodeUri, DefinitionUri and bundle paths are relative to. */
  root: string;
  model: LocalModel;
  links: PendingLinks;
  /** Intrinsics resolved to local values; `AWS::NoValue` becomes undefined. */
  resolve(value: unknown): unknown;
  debug(message: string): void;
  /** Is this logical id a resource whose Condition holds? */
  isActive(logicalId: string): boolean;
}

export interface ResourceInput extends LoaderScope {
  logicalId: string;
  type: string;
  /** Properties with SAM Globals applied, intrinsics not yet resolved. */
  rawProps: Json;
  metadata: Json;
  id: ResourceIdentity;
  /** SAM `Events` of a function or state machine, read by the services that emulate each source. */
  addEventSources(ownerId: string, ownerArn: string, events: unknown, kind: EventOwnerKind): void;
}

export type EventOwnerKind = 'function' | 'stateMachine';

export interface EventSourceInput extends LoaderScope {
  /** `<owner logical id><event id>`, the logical id SAM gives the generated resource. */
  logicalId: string;
  ownerId: string;
  eventId: string;
  ownerArn: string;
  kind: EventOwnerKind;
  type: string;
  rawEvent: Json;
  /** The event's Properties, resolved. */
  props: Json;
}

export interface TemplateSupport {
  /** The service folder under local/, named in error messages. */
  service: string;
  /** CloudFormation/SAM resource type → what the service makes of it. */
  resources?: Record<string, (input: ResourceInput) => void>;
  /** SAM event source type (the `Type` of an entry in `Events`) → what the service makes of it. */
  eventSources?: Record<string, (input: EventSourceInput) => void>;
  /** Runs after every resource has been read: resolve the links this service owns. */
  link?: (scope: LoaderScope) => void;
}

/** The logical id of the function a template value names by ARN, name or logical id. */
export function functionByArnOrName(model: LocalModel, value: unknown): string | undefined {
  const text = str(value);
  return model.functions.find((fn) => fn.arn === text || fn.name === text || fn.logicalId === text)
    ?.logicalId;
}
