/**
 * The local cloud: template.yaml run offline. `startLocalCloud()` reads the template, starts an
 * emulator per service on 127.0.0.1 (each on a free port), creates what the template declares
 * and wires the services together, so unchanged handlers and SDK v3 clients work against it.
 *
 * @example
 * ```ts
 * const cloud = await startLocalCloud({ clockSpeed: 1000 });
 * const s3 = new S3Client({ ...clientConfig(cloud.env) });
 * await cloud.invoke('S3DagTriggerFunction', event);
 * await cloud.stop();
 * ```
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AlbHandle, rulesFromTemplate, startAlb } from './alb/index.ts';
import { DEFAULT_REGION, LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS } from './core/aws.ts';
import { type Clock, createClock } from './core/clock.ts';
import { createFaultRegistry, type FaultRegistry } from './core/faults.ts';
import type { LocalModel } from './core/model.ts';
import type { EmulatorHandle, EndpointKey, ServiceContext } from './core/service.ts';
import { startDynamoDb } from './dynamodb/index.ts';
import { type EventBridgeHandle, startEventBridge } from './eventbridge/index.ts';
import { startLambdaApi } from './lambda/api.ts';
import { createLambdaRuntime } from './lambda/runtime.ts';
import { fillLateBound, localAlbIdentity, localParameters } from './local-parameters.ts';
import type { AirflowInspector } from './mwaa/airflow/instance.ts';
import { type MwaaHandle, startMwaa } from './mwaa/index.ts';
import { installTransferDags, type TransferDagsHandle, transferDagClients } from './mwaa/transfer-dags.ts';
import { startS3 } from './s3/index.ts';
import { type SchedulerHandle, startScheduler } from './scheduler/index.ts';
import { type SnsHandle, startSns } from './sns/index.ts';
import { type SqsHandle, startSqs } from './sqs/index.ts';
import {
  type ExecutionOutcome,
  type StepFunctionsHandle,
  startStepFunctions,
} from './stepfunctions/index.ts';
import { type StsHandle, startSts } from './sts/index.ts';
import { createTargets, type RunningServices } from './targets.ts';
import { parseTemplate } from './template/build-model.ts';
import { loadTemplate } from './template/index.ts';

export type { FaultSpec } from './core/faults.ts';
export type { LocalModel } from './core/model.ts';
export { LambdaInvokeError, LambdaServiceError } from './lambda/errors.ts';
export { TemplateError } from './template/index.ts';

export interface LocalCloudOptions {
  /** Emulated milliseconds per real millisecond (waits, retries, schedules, MWAA lifecycles). Default 1. */
  clockSpeed?: number;
  /** Print the cloud's own log lines and every function's output. Default false. */
  log?: boolean;
  /** Template to run. Default: template.yaml at the repository root. */
  templatePath?: string;
  /** Directory CodeUri/DefinitionUri are relative to and whose dist/ holds bundles. Default: the template's directory. */
  root?: string;
  /** Parameter values over the template's defaults. */
  parameters?: Record<string, string>;
  /** Default us-east-1. */
  region?: string;
  /** `AWS::StackName`; default mwaa-ops (samconfig.toml). */
  stackName?: string;
}

/** The variables that point SDK v3 clients at the local cloud. */
export type LocalCloudEnv = Readonly<
  Record<string, string> & {
    AWS_REGION: string;
    AWS_DEFAULT_REGION: string;
    AWS_ACCESS_KEY_ID: string;
    AWS_SECRET_ACCESS_KEY: string;
  }
>;

export interface LocalCloud {
  /** AWS_ENDPOINT_URL_<SERVICE> for every emulator, region and the dummy credentials. */
  readonly env: LocalCloudEnv;
  /** What the template declares, resolved. */
  readonly model: LocalModel;
  readonly clock: Clock;
  /** `inject({ service, operation, error, times })`, `clear()`, `pending()`. */
  readonly faults: FaultRegistry;
  /** Real milliseconds `startLocalCloud` took. */
  readonly startupMs: number;
  /** When each part was ready, in ms since the start (template = model built). */
  readonly startupBreakdownMs: Readonly<Record<string, number>>;
  /** The physical id / Ref value of a resource (bucket name, table name, topic ARN …). */
  ref(logicalId: string): string;
  /**
   * What `mwaa-ops --local <file>` reads (`npm start -- --serve` writes it): the SDK variables of
   * `env` plus every stack output as `MWAA_OPS_OUTPUT_<Name>`.
   */
  connectionFile(): Record<string, string>;
  /** The environment variables the template gives a function. */
  functionEnv(logicalId: string): Record<string, string>;
  /** Invoke synchronously; resolves to the payload, or rejects with a LambdaInvokeError. */
  invoke(functionLogicalId: string, event: unknown): Promise<unknown>;
  /** Invoke asynchronously (retries and destinations apply); returns at once. */
  invokeAsync(functionLogicalId: string, event: unknown): { requestId: string };
  /** Resolves when every asynchronous invocation has finished (retries and destinations included). */
  settled(): Promise<void>;
  /** How many times a function has been invoked (each retry counts). */
  invocationCount(functionLogicalId: string): number;
  /** A function's captured output: its own log lines plus START/END/REPORT, as in CloudWatch. */
  logs(functionLogicalId: string): string[];
  startExecution(stateMachineLogicalIdOrArn: string, input: unknown, name?: string): Promise<string>;
  waitForExecution(executionArn: string, opts?: { timeoutMs?: number }): Promise<ExecutionOutcome>;
  readonly stepFunctions: StepFunctionsHandle;
  readonly sns: SnsHandle;
  readonly sqs: SqsHandle;
  readonly events: EventBridgeHandle;
  readonly scheduler: SchedulerHandle;
  /** Seed and inspect an environment's Airflow (DAGs, runs, variables, connections, pools). */
  airflow(environmentName: string): AirflowInspector;
  /** The MWAA control plane: environments, injected lifecycle failures, DAG behaviours. */
  readonly mwaa: MwaaHandle;
  /** The ALB listener with its OIDC identity provider and public key endpoint. */
  readonly alb: AlbHandle;
  readonly sts: StsHandle;
  /** The emulated export/import DAGs (Airflow 2.x): injected failures and the task answers they sent. */
  readonly transferDags: TransferDagsHandle;
  /** Close every emulator, stop every function worker, remove temp dirs. Idempotent. */
  stop(): Promise<void>;
}

/** The nearest directory above this module holding template.yaml (works from local/ and dist/local/). */
function defaultTemplatePath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'template.yaml');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error('template.yaml not found above the local cloud module; pass templatePath');
    dir = parent;
  }
}

export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const started = Date.now();
  const region = options.region ?? DEFAULT_REGION;
  const echo = options.log === true;
  const log: ServiceContext['log'] = (service, message, fields) => {
    if (echo)
      console.log(`[local-cloud] ${service}: ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}`);
  };
  const templatePath = resolve(options.templatePath ?? defaultTemplatePath());
  const root = resolve(options.root ?? dirname(templatePath));
  const stackName = options.stackName ?? 'mwaa-ops';
  const rawTemplate = parseTemplate(readFileSync(templatePath, 'utf8')) as Record<string, unknown>;
  const albIdentity = localAlbIdentity(region, LOCAL_ACCOUNT_ID, stackName);
  const model = loadTemplate(templatePath, {
    root,
    region,
    accountId: LOCAL_ACCOUNT_ID,
    stackName,
    parameters: localParameters(
      Object.keys((rawTemplate.Parameters as Record<string, unknown> | undefined) ?? {}),
      options.parameters ?? {},
      albIdentity,
    ),
    debug: (message) => log('template', message),
  });
  const clock = createClock(options.clockSpeed ?? 1);
  const faults = createFaultRegistry();
  const ctx: ServiceContext = { clock, faults, region, accountId: LOCAL_ACCOUNT_ID, log };

  const env: Record<string, string> & LocalCloudEnv = {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
  };
  const services: RunningServices = {};
  const endpointsKnown = Promise.withResolvers<void>();
  const targets = createTargets(services, endpointsKnown.promise);
  services.lambda = createLambdaRuntime({
    functions: model.functions,
    root,
    region,
    clock,
    baseEnv: () => env,
    echo,
    log: (message, fields) => log('lambda', message, fields),
    deliver: (arn, payload) => targets.deliver(arn, payload),
    faults,
    ready: endpointsKnown.promise,
  });

  const handles: EmulatorHandle[] = [];
  const startupBreakdownMs: Record<string, number> = { template: Date.now() - started };
  const track = <T extends EmulatorHandle>(key: EndpointKey, promise: Promise<T>): Promise<T> =>
    promise.then((handle) => {
      startupBreakdownMs[key] = Date.now() - started;
      handles.push(handle);
      env[`AWS_ENDPOINT_URL_${key}`] = handle.url;
      return handle;
    });

  let stepFunctions: StepFunctionsHandle;
  let sns: SnsHandle;
  let sqs: SqsHandle;
  let events: EventBridgeHandle;
  let scheduler: SchedulerHandle;
  let sts: StsHandle;
  let mwaa: MwaaHandle;
  let alb: AlbHandle;
  // The ALB forwards to functions as the template's listener rules say; the rules are read from
  // the raw template because they reference functions by logical id.
  // The ALB forwards to functions as the template's listener rules say (rules of resources the
  // template's conditions left out are dropped).
  const albRules = rulesFromTemplate(rawTemplate).filter((rule) =>
    model.functions.some((fn) => fn.logicalId === rule.targetFunction),
  );
  try {
    // Independent emulators start in parallel; startup is bounded by the slowest one.
    sts = await track('STS', startSts(ctx));
    [, , , sns, sqs, events, scheduler, stepFunctions, mwaa, alb] = await Promise.all([
      track('LAMBDA', startLambdaApi(ctx, services.lambda, model.functions)),
      track('S3', startS3(ctx, { buckets: model.buckets, targets })),
      track('DYNAMODB', startDynamoDb(ctx, { tables: model.tables })),
      track('SNS', startSns(ctx, { topics: model.topics, targets })),
      track('SQS', startSqs(ctx, { queues: model.queues })),
      track('EVENTBRIDGE', startEventBridge(ctx, { rules: model.rules, targets })),
      track(
        'SCHEDULER',
        startScheduler(ctx, { schedules: model.schedules, targets, groups: model.scheduleGroups ?? [] }),
      ),
      track(
        'SFN',
        startStepFunctions(ctx, { stateMachines: model.stateMachines, targets, sdkEnv: () => env }),
      ),
      // Callers holding credentials from the local STS appear in Airflow as their assumed role.
      track(
        'MWAA',
        startMwaa(ctx, {
          targets,
          identityForAccessKey: (accessKeyId) => sts.session(accessKeyId)?.assumedRoleArn,
        }),
      ),
      startAlb(ctx, {
        targets,
        albArn: albIdentity.albArn,
        clientId: albIdentity.clientId,
        issuer: albIdentity.issuer,
        rules: albRules,
      }).then((handle) => {
        handles.push(handle);
        startupBreakdownMs.ALB = Date.now() - started;
        return handle;
      }),
    ]);
  } catch (error) {
    clock.dispose();
    await services.lambda.close();
    endpointsKnown.resolve();
    await Promise.all(handles.map((handle) => handle.close().catch(() => {})));
    throw error;
  }
  Object.assign(services, { sns, sqs, events, stepFunctions });
  for (const fn of model.functions)
    fillLateBound(fn.environment, { albPublicKeyEndpoint: alb.publicKeyEndpoint });
  // The export/import DAGs deployed to every environment's DAG folder, emulated per the backup format.
  const transferDags = installTransferDags(mwaa, {
    ...transferDagClients(env),
    // Every local environment is set up as docs/pause-resume.md#setup says (mwaa_ops.*).
    configuration: { stackName, backupBucket: model.refs.BackupBucket },
    log: (message, fields) => log('transfer-dags', message, fields),
  });
  endpointsKnown.resolve();
  const lambda = services.lambda;
  const startupMs = Date.now() - started;
  log('cloud', `started in ${startupMs} ms`, {
    readyAtMs: startupBreakdownMs,
    endpoints: Object.keys(env).filter((k) => k.startsWith('AWS_ENDPOINT_URL_')),
  });

  const fnOf = (logicalId: string) => {
    const fn = model.functions.find(
      (f) => f.logicalId === logicalId || f.name === logicalId || f.arn === logicalId,
    );
    if (!fn) throw new Error(`no function ${logicalId} in ${templatePath}`);
    return fn;
  };
  const machineArn = (idOrArn: string) => {
    if (idOrArn.startsWith('arn:')) return idOrArn;
    const machine = model.stateMachines.find((sm) => sm.logicalId === idOrArn || sm.name === idOrArn);
    if (!machine) throw new Error(`no state machine ${idOrArn} in ${templatePath}`);
    return machine.arn;
  };

  let stopping: Promise<void> | undefined;
  return {
    env,
    model,
    clock,
    faults,
    startupMs,
    startupBreakdownMs,
    ref(logicalId) {
      const value = model.refs[logicalId];
      if (value === undefined) throw new Error(`no resource ${logicalId} in ${templatePath}`);
      return value;
    },
    connectionFile: () => ({
      ...env,
      ...Object.fromEntries(
        Object.entries(model.outputs).map(([name, value]) => [`MWAA_OPS_OUTPUT_${name}`, String(value)]),
      ),
    }),
    functionEnv: (logicalId) => ({ ...fnOf(logicalId).environment }),
    invoke: (logicalId, event) => lambda.invoke(fnOf(logicalId).logicalId, event),
    invokeAsync: (logicalId, event) => lambda.invokeAsync(fnOf(logicalId).logicalId, event),
    settled: () => lambda.settled(),
    invocationCount: (logicalId) => lambda.invocationCount(fnOf(logicalId).logicalId),
    logs: (logicalId) => lambda.logs(fnOf(logicalId).logicalId),
    startExecution: (idOrArn, input, name) => stepFunctions.startExecution(machineArn(idOrArn), input, name),
    waitForExecution: (executionArn, opts) => stepFunctions.waitForExecution(executionArn, opts),
    stepFunctions,
    sns,
    sqs,
    events,
    scheduler,
    airflow: (environmentName) => mwaa.airflow(environmentName),
    mwaa,
    alb,
    sts,
    transferDags,
    stop() {
      stopping ??= (async () => {
        transferDags.close();
        clock.dispose();
        await lambda.close();
        await Promise.all(handles.map((handle) => handle.close().catch(() => {})));
      })();
      return stopping;
    },
  };
}
