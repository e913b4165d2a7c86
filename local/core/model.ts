/**
 * The local model: what template.yaml declares, with Parameters, Conditions and intrinsic
 * functions resolved to local values and SAM shorthand expanded. The template loader
 * (local/template/) produces it; each emulator creates its resources from its part of it.
 * This file is the contract between the loader and the emulators.
 */

export interface LocalBucket {
  logicalId: string;
  name: string;
  arn: string;
  /** S3 event notifications to Lambda functions (from NotificationConfiguration or SAM `S3` events). */
  notifications: Array<{
    events: string[]; // e.g. ['s3:ObjectCreated:*']
    prefix?: string;
    suffix?: string;
    functionLogicalId: string;
  }>;
  /** true when EventBridge notifications are enabled on the bucket. */
  eventBridge: boolean;
  versioned: boolean;
}

export interface LocalTable {
  logicalId: string;
  name: string;
  arn: string;
  /** The CreateTable input (KeySchema, AttributeDefinitions, indexes, BillingMode), CloudFormation-cased. */
  createTableInput: Record<string, unknown>;
}

export interface LocalFunction {
  logicalId: string;
  name: string;
  arn: string;
  /** Folder under functions/ (e.g. 's3-dag-trigger'); the bundle is dist/functions/<folder>/index.mjs. */
  folder: string;
  /** Absolute path of the TypeScript entry point. */
  sourceEntry: string;
  /** Exported handler name (from `Handler: index.handler`). */
  handlerExport: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
  /** Asynchronous invocation settings (EventInvokeConfig / SAM EventInvokeConfig). */
  async: {
    maximumRetryAttempts: number;
    maximumEventAgeSeconds: number;
    onFailure?: string;
    onSuccess?: string;
  };
}

export interface LocalStateMachine {
  logicalId: string;
  name: string;
  arn: string;
  /** The ASL definition object with DefinitionSubstitutions applied. */
  definition: Record<string, unknown>;
  /** Where the definition came from (statemachines/<x>.asl.json), for messages. */
  definitionPath?: string;
}

export interface LocalTopic {
  logicalId: string;
  name: string;
  arn: string;
  /**
   * Subscriptions declared in the template (the topic's `Subscription` property,
   * `AWS::SNS::Subscription` resources, SAM `SNS` function events). Optional for compatibility.
   */
  subscriptions?: LocalSubscription[];
}

export interface LocalSubscription {
  /** lambda, sqs, email, https, ... as in the SNS API. */
  protocol: string;
  /** Function / queue ARN, address or URL. */
  endpoint: string;
  filterPolicy?: Record<string, unknown>;
  rawMessageDelivery?: boolean;
}

export interface LocalQueue {
  logicalId: string;
  name: string;
  arn: string;
}

export interface LocalTarget {
  id: string;
  arn: string;
  /** Constant JSON input (already a string, as CloudFormation gives it). */
  input?: string;
  inputPath?: string;
}

export interface LocalRule {
  logicalId: string;
  name: string;
  arn: string;
  eventBusName: string;
  eventPattern?: Record<string, unknown>;
  scheduleExpression?: string;
  enabled: boolean;
  targets: LocalTarget[];
}

export interface LocalSchedule {
  logicalId: string;
  name: string;
  groupName: string;
  /** cron(...), rate(...) or at(...). */
  expression: string;
  timezone: string;
  enabled: boolean;
  target: { arn: string; input?: string; roleArn?: string };
}

export interface LocalModel {
  region: string;
  accountId: string;
  stackName: string;
  parameters: Record<string, string>;
  buckets: LocalBucket[];
  tables: LocalTable[];
  functions: LocalFunction[];
  stateMachines: LocalStateMachine[];
  topics: LocalTopic[];
  queues: LocalQueue[];
  rules: LocalRule[];
  schedules: LocalSchedule[];
  /** EventBridge Scheduler schedule groups the template creates (names). */
  scheduleGroups?: string[];
  /** Stack outputs, resolved. */
  outputs: Record<string, string>;
  /** Every resource's physical id / Ref value, by logical id (for messages and lookups). */
  refs: Record<string, string>;
}

/**
 * In-process delivery between emulators: an S3 notification invokes a function, a rule starts
 * an execution, a failed async invocation goes to its on-failure destination. The orchestrator
 * (local/index.ts) implements it over the running emulators; emulators receive it at start.
 */
export interface Targets {
  /** Invoke a function by name or ARN. `async` queues it with retries and destinations, as Lambda does. */
  invokeFunction(nameOrArn: string, payload: unknown, options?: { async?: boolean }): Promise<unknown>;
  /** Start a state machine execution by ARN; returns the execution ARN. */
  startExecution(stateMachineArn: string, input: unknown, name?: string): Promise<string>;
  publish(topicArn: string, message: string, subject?: string): Promise<void>;
  sendMessage(queueArn: string, body: string, attributes?: Record<string, string>): Promise<void>;
  putEvents(
    entries: Array<{
      Source: string;
      DetailType: string;
      Detail: string;
      Resources?: string[];
      EventBusName?: string;
    }>,
  ): Promise<void>;
  /** Deliver to any ARN by its service (lambda, states, sns, sqs, events). */
  deliver(arn: string, payload: string): Promise<void>;
}
