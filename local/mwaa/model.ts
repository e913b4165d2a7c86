/**
 * MWAA environments and their lifecycle on the emulated clock. Every status change is recorded,
 * emitted as an `MWAA Environment Status Change` event, and drives the environment's webserver
 * (which serves only while the environment is usable).
 *
 *   create:            CREATING ──25 min──▶ AVAILABLE            (or CREATE_FAILED when injected)
 *   update:            UPDATING ──10 min──▶ AVAILABLE
 *   version change:    UPDATING ─5─▶ CREATING_SNAPSHOT ─10─▶ UPDATING ─20─▶ AVAILABLE (new version)
 *   injected rollback: … ─▶ ROLLING_BACK ─10─▶ UPDATE_FAILED (old version, LastUpdate.Error)
 *   injected failure:  … ─▶ ROLLING_BACK ─10─▶ UNAVAILABLE
 *   delete:            DELETING ──15 min──▶ gone (GetEnvironment → ResourceNotFoundException)
 */
import type { RunningServer } from '../core/http.ts';
import type { Targets } from '../core/model.ts';
import type { ServiceContext } from '../core/service.ts';
import {
  type AirflowInstance,
  createAirflowInstance,
  type DagBehaviourRegistry,
} from './airflow/instance.ts';
import { startWebserver } from './airflow/server.ts';
import { DEFAULT_AIRFLOW_VERSION, versionChangeProblem } from './airflow/versions.ts';
import { notFoundError, validationError } from './errors.ts';
import type { TokenStore } from './tokens.ts';
import { validateCreate, validateUpdate } from './validation.ts';

const MIN = 60_000;
/** Emulated durations of each lifecycle phase. */
export const LIFECYCLE_MS = {
  create: 25 * MIN,
  delete: 15 * MIN,
  update: 10 * MIN,
  upgradePrepare: 5 * MIN,
  snapshot: 10 * MIN,
  upgrade: 20 * MIN,
  rollback: 10 * MIN,
} as const;

export type EnvironmentStatus =
  | 'CREATING'
  | 'CREATE_FAILED'
  | 'AVAILABLE'
  | 'UPDATING'
  | 'DELETING'
  | 'DELETED'
  | 'UNAVAILABLE'
  | 'UPDATE_FAILED'
  | 'ROLLING_BACK'
  | 'CREATING_SNAPSHOT';

/** Failures a test can arm for an environment's next create or update. */
export type InjectedFailure = 'CREATE_FAILED' | 'ROLLBACK' | 'UNAVAILABLE';

export interface LastUpdate {
  Status: 'SUCCESS' | 'PENDING' | 'FAILED';
  CreatedAt: number;
  Error?: { ErrorCode: string; ErrorMessage: string };
  Source?: string;
}

export interface EnvironmentRecord {
  name: string;
  arn: string;
  status: EnvironmentStatus;
  createdAt: number;
  /** The environment's configuration as GetEnvironment reports it (wire field names). */
  config: Record<string, unknown>;
  lastUpdate?: LastUpdate;
  /** True while an update that changes the Airflow version is in progress. */
  upgrading: boolean;
  webserver: RunningServer;
  /** `127.0.0.1:<port>` — MWAA's WebServerHostname / WebserverUrl (no scheme). */
  hostname: string;
  airflow: AirflowInstance;
  /** Every status the environment went through, oldest first (for tests). */
  history: EnvironmentStatus[];
}

const CREATE_DEFAULTS = {
  EnvironmentClass: 'mw1.small',
  MaxWorkers: 10,
  MinWorkers: 1,
  Schedulers: 2,
  WebserverAccessMode: 'PRIVATE_ONLY',
  EndpointManagement: 'SERVICE',
  WeeklyMaintenanceWindowStart: 'SUN:03:30',
  AirflowConfigurationOptions: {},
  LoggingConfiguration: {},
};

/** Fields UpdateEnvironment may change (besides AirflowVersion). */
const UPDATABLE = [
  'AirflowConfigurationOptions',
  'DagS3Path',
  'EnvironmentClass',
  'ExecutionRoleArn',
  'LoggingConfiguration',
  'MaxWorkers',
  'MinWorkers',
  'NetworkConfiguration',
  'PluginsS3ObjectVersion',
  'PluginsS3Path',
  'RequirementsS3ObjectVersion',
  'RequirementsS3Path',
  'Schedulers',
  'SourceBucketArn',
  'StartupScriptS3ObjectVersion',
  'StartupScriptS3Path',
  'WebserverAccessMode',
  'WeeklyMaintenanceWindowStart',
];

export interface EnvironmentModel {
  create(name: string, input: Record<string, unknown>): Promise<EnvironmentRecord>;
  get(name: string): EnvironmentRecord;
  find(name: string): EnvironmentRecord | undefined;
  list(): EnvironmentRecord[];
  update(name: string, input: Record<string, unknown>): EnvironmentRecord;
  delete(name: string): EnvironmentRecord;
  failNext(name: string, failure: InjectedFailure): void;
  /** Stop (or, with `drop` false, resume) emitting status change events for `name` ('*': all). */
  dropStatusEvents(name: string, drop: boolean): void;
  /** GetEnvironment's `Environment` member. */
  describe(record: EnvironmentRecord): Record<string, unknown>;
  close(): Promise<void>;
}

export function createEnvironmentModel(
  ctx: ServiceContext,
  deps: { targets: Targets; tokens: TokenStore; behaviours: DagBehaviourRegistry },
): EnvironmentModel {
  const environments = new Map<string, EnvironmentRecord>();
  const armed = new Map<string, InjectedFailure>();
  const timers = new Map<string, () => void>();
  const log = (message: string, fields?: Record<string, unknown>) => ctx.log('mwaa', message, fields);

  const dropping = new Set<string>();

  const emit = (record: EnvironmentRecord, previous: EnvironmentStatus | undefined) => {
    // Best effort on AWS too: tests drop events to prove the workflows' polling fallback.
    if (dropping.has(record.name) || dropping.has('*')) {
      log('status event dropped', { name: record.name, status: record.status });
      return;
    }
    const detail = {
      Name: record.name,
      Arn: record.arn,
      Status: record.status,
      PreviousStatus: previous ?? null,
      AirflowVersion: record.config.AirflowVersion,
    };
    // Best effort, as MWAA's own delivery: a failing target never stalls the lifecycle.
    deps.targets
      .putEvents([
        {
          Source: 'aws.airflow',
          DetailType: 'MWAA Environment Status Change',
          Detail: JSON.stringify(detail),
          Resources: [record.arn],
        },
      ])
      .catch((error: unknown) =>
        log('status event not delivered', { name: record.name, error: String(error) }),
      );
  };

  const setStatus = (record: EnvironmentRecord, status: EnvironmentStatus) => {
    const previous = record.history.at(-1);
    record.status = status;
    record.history.push(status);
    log('environment status', { name: record.name, status });
    emit(record, previous);
  };

  /** Walk through timed phases; each step sets a status and waits before the next. */
  const phases = (
    record: EnvironmentRecord,
    steps: Array<{ status?: EnvironmentStatus; ms: number }>,
    done: () => void,
  ) => {
    const next = (index: number) => {
      const step = steps[index];
      if (!step) {
        timers.delete(record.name);
        done();
        return;
      }
      if (step.status) setStatus(record, step.status);
      timers.set(
        record.name,
        ctx.clock.after(step.ms, () => next(index + 1)),
      );
    };
    next(0);
  };

  const require = (name: string) => {
    const record = environments.get(name);
    if (!record) throw notFoundError(name);
    return record;
  };

  return {
    async create(name, input) {
      validateCreate(name, input);
      if (environments.has(name)) throw validationError(`Environment ${name} already exists.`);
      const version = String(input.AirflowVersion ?? DEFAULT_AIRFLOW_VERSION);
      const airflow = createAirflowInstance({
        environment: name,
        version,
        clock: ctx.clock,
        behaviours: deps.behaviours,
        log,
      });
      let record: EnvironmentRecord | undefined;
      const webserver = await startWebserver({
        environment: name,
        airflow: () => airflow,
        tokens: deps.tokens,
        serving: () => record !== undefined && isServing(record),
        log,
      });
      // A second create could have raced us while the port was being opened.
      if (environments.has(name)) {
        await webserver.close();
        airflow.close();
        throw validationError(`Environment ${name} already exists.`);
      }
      const now = ctx.clock.now();
      const hostname = `127.0.0.1:${webserver.port}`;
      const { Tags, ...rest } = input;
      record = {
        name,
        arn: `arn:aws:airflow:${ctx.region}:${ctx.accountId}:environment/${name}`,
        status: 'CREATING',
        createdAt: now,
        config: {
          ...CREATE_DEFAULTS,
          ...rest,
          Name: name,
          AirflowVersion: version,
          Tags: Tags ?? {},
          ServiceRoleArn: `arn:aws:iam::${ctx.accountId}:role/aws-service-role/airflow.amazonaws.com/AWSServiceRoleForAmazonMWAA`,
          CeleryExecutorQueue: `arn:aws:sqs:${ctx.region}:${ctx.accountId}:airflow-celery-${name}`,
          DatabaseVpcEndpointService: `com.amazonaws.vpce.${ctx.region}.vpce-svc-db-${name.toLowerCase()}`,
          WebserverVpcEndpointService: `com.amazonaws.vpce.${ctx.region}.vpce-svc-web-${name.toLowerCase()}`,
        },
        upgrading: false,
        webserver,
        hostname,
        airflow,
        history: [],
      };
      const created = record;
      environments.set(name, created);
      setStatus(created, 'CREATING');
      const failure = armed.get(name) === 'CREATE_FAILED' ? 'CREATE_FAILED' : undefined;
      if (failure) armed.delete(name);
      phases(created, [{ ms: LIFECYCLE_MS.create }], () => {
        if (failure) {
          created.lastUpdate = {
            Status: 'FAILED',
            CreatedAt: ctx.clock.now(),
            Error: {
              ErrorCode: 'INCORRECT_CONFIGURATION',
              ErrorMessage: 'Injected failure: the environment could not be created.',
            },
          };
          setStatus(created, 'CREATE_FAILED');
        } else {
          created.lastUpdate = { Status: 'SUCCESS', CreatedAt: ctx.clock.now() };
          setStatus(created, 'AVAILABLE');
        }
      });
      return created;
    },

    get: require,
    find: (name) => environments.get(name),
    list: () => [...environments.values()],

    update(name, input) {
      validateUpdate(name, input);
      const record = require(name);
      if (record.status !== 'AVAILABLE' && record.status !== 'UPDATE_FAILED') {
        throw validationError(`Environment ${name} cannot be updated while its status is ${record.status}.`);
      }
      const from = String(record.config.AirflowVersion);
      const to = input.AirflowVersion === undefined ? from : String(input.AirflowVersion);
      const problem = versionChangeProblem(from, to);
      if (problem) throw validationError(problem);
      const changes: Record<string, unknown> = {};
      for (const key of UPDATABLE) if (input[key] !== undefined) changes[key] = input[key];
      const failure = armed.get(name);
      if (failure === 'ROLLBACK' || failure === 'UNAVAILABLE') armed.delete(name);
      const upgrading = to !== from;
      record.upgrading = upgrading;
      record.lastUpdate = { Status: 'PENDING', CreatedAt: ctx.clock.now() };
      const steps: Array<{ status?: EnvironmentStatus; ms: number }> = upgrading
        ? [
            { status: 'UPDATING', ms: LIFECYCLE_MS.upgradePrepare },
            { status: 'CREATING_SNAPSHOT', ms: LIFECYCLE_MS.snapshot },
            { status: 'UPDATING', ms: LIFECYCLE_MS.upgrade },
          ]
        : [{ status: 'UPDATING', ms: LIFECYCLE_MS.update }];
      if (failure === 'ROLLBACK' || failure === 'UNAVAILABLE')
        steps.push({ status: 'ROLLING_BACK', ms: LIFECYCLE_MS.rollback });
      phases(record, steps, () => {
        record.upgrading = false;
        if (failure === 'ROLLBACK' || failure === 'UNAVAILABLE') {
          record.lastUpdate = {
            Status: 'FAILED',
            CreatedAt: record.lastUpdate?.CreatedAt ?? ctx.clock.now(),
            Error: {
              ErrorCode: failure === 'ROLLBACK' ? 'UPDATE_FAILED' : 'ROLLBACK_FAILED',
              ErrorMessage:
                failure === 'ROLLBACK'
                  ? 'Injected failure: the update failed and the environment was rolled back.'
                  : 'Injected failure: the update failed and the rollback did not complete.',
            },
          };
          setStatus(record, failure === 'ROLLBACK' ? 'UPDATE_FAILED' : 'UNAVAILABLE');
          return;
        }
        Object.assign(record.config, changes);
        if (upgrading) {
          record.airflow.setVersion(to);
          record.config.AirflowVersion = to;
        }
        record.lastUpdate = { Status: 'SUCCESS', CreatedAt: record.lastUpdate?.CreatedAt ?? ctx.clock.now() };
        setStatus(record, 'AVAILABLE');
      });
      return record;
    },

    delete(name) {
      const record = require(name);
      if (['CREATING', 'UPDATING', 'CREATING_SNAPSHOT', 'ROLLING_BACK', 'DELETING'].includes(record.status)) {
        throw validationError(`Environment ${name} cannot be deleted while its status is ${record.status}.`);
      }
      timers.get(name)?.();
      phases(record, [{ status: 'DELETING', ms: LIFECYCLE_MS.delete }], () => {
        environments.delete(name);
        deps.tokens.revoke(name);
        setStatus(record, 'DELETED');
        record.airflow.close();
        record.webserver.close().catch(() => undefined);
      });
      return record;
    },

    failNext(name, failure) {
      armed.set(name, failure);
    },

    dropStatusEvents(name, drop) {
      if (drop) dropping.add(name);
      else dropping.delete(name);
    },

    describe(record) {
      const c = record.config;
      const env: Record<string, unknown> = {
        ...c,
        Arn: record.arn,
        Name: record.name,
        Status: record.status,
        CreatedAt: record.createdAt / 1000,
        WebserverUrl: record.hostname,
      };
      if (record.lastUpdate) {
        env.LastUpdate = { ...record.lastUpdate, CreatedAt: record.lastUpdate.CreatedAt / 1000 };
      }
      return env;
    },

    async close() {
      for (const cancel of timers.values()) cancel();
      timers.clear();
      for (const record of environments.values()) {
        record.airflow.close();
        await record.webserver.close();
      }
      environments.clear();
    },
  };
}

/** The webserver answers while the environment is usable: not while creating, upgrading or broken. */
export function isServing(record: EnvironmentRecord): boolean {
  if (record.status === 'AVAILABLE' || record.status === 'UPDATE_FAILED') return true;
  return record.status === 'UPDATING' && !record.upgrading;
}
