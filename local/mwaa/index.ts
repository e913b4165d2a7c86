/**
 * The local MWAA: control plane (restJson, `AWS_ENDPOINT_URL_MWAA`) plus one Airflow webserver
 * per environment. The local cloud starts it with `startMwaa(ctx, { targets })` and exposes
 * `airflow(env)` as `cloud.airflow(env)`.
 */
import { startServer } from '../core/http.ts';
import type { Targets } from '../core/model.ts';
import type { EmulatorHandle, ServiceContext } from '../core/service.ts';
import {
  type AirflowInspector,
  createDagBehaviourRegistry,
  type DagBehaviourRegistry,
} from './airflow/instance.ts';
import { createMwaaApi } from './api.ts';
import { type IdentityResolvers, resolveIdentity } from './identity.ts';
import { createEnvironmentModel, type EnvironmentStatus, type InjectedFailure } from './model.ts';
import { createTokenStore } from './tokens.ts';

export type {
  AirflowInspector,
  DagBehaviour,
  DagBehaviourContext,
  DagBehaviourRegistry,
} from './airflow/instance.ts';
export { DEFAULT_AIRFLOW_VERSION, SUPPORTED_AIRFLOW_VERSIONS } from './airflow/versions.ts';
export type { EnvironmentStatus, InjectedFailure } from './model.ts';
export { LIFECYCLE_MS } from './model.ts';
export type { AirflowRole } from './tokens.ts';

export interface MwaaOptions extends IdentityResolvers {
  /** Where `MWAA Environment Status Change` events go (the local EventBridge). */
  targets: Targets;
  /** Real-time floor on CLI/web token life (default 10 s); see tokens.ts. */
  tokenRealFloorMs?: number;
}

export interface EnvironmentSummary {
  name: string;
  arn: string;
  status: EnvironmentStatus;
  airflowVersion: string;
  /** `127.0.0.1:<port>`; build URLs with `webServerUrl()` from functions/shared/web-server-url.ts. */
  webServerHostname: string;
  /** Every status so far, oldest first. */
  history: EnvironmentStatus[];
  /** The environment's AirflowConfigurationOptions (the transfer DAGs read `mwaa_ops.*`). */
  airflowConfigurationOptions: Record<string, string>;
}

export interface MwaaHandle extends EmulatorHandle {
  /** Seed and inspect an environment's Airflow metadata. Throws when the environment does not exist. */
  airflow(envName: string): AirflowInspector;
  environments(): EnvironmentSummary[];
  /** Make the environment's next create (CREATE_FAILED) or update (ROLLBACK, UNAVAILABLE) fail. */
  failNext(envName: string, failure: InjectedFailure): void;
  /**
   * Drop the environment's `MWAA Environment Status Change` events from now on ('*': every
   * environment's), as best-effort delivery may; `drop: false` delivers them again.
   */
  dropStatusEvents(envName: string, drop?: boolean): void;
  /** Code run in place of a DAG's Python when its run starts (export/import DAGs plug in here). */
  dagBehaviours: DagBehaviourRegistry;
}

export async function startMwaa(ctx: ServiceContext, opts: MwaaOptions): Promise<MwaaHandle> {
  const tokens = createTokenStore(ctx.clock, opts.tokenRealFloorMs);
  const dagBehaviours = createDagBehaviourRegistry();
  const model = createEnvironmentModel(ctx, { targets: opts.targets, tokens, behaviours: dagBehaviours });
  const handle = createMwaaApi(ctx, { model, tokens, identityFor: (akid) => resolveIdentity(akid, opts) });
  const server = await startServer(handle);
  return {
    url: server.url,
    airflow(envName) {
      const record = model.find(envName);
      if (!record) throw new Error(`No MWAA environment named ${envName}`);
      return record.airflow;
    },
    environments: () =>
      model.list().map((r) => ({
        name: r.name,
        arn: r.arn,
        status: r.status,
        airflowVersion: String(r.config.AirflowVersion),
        webServerHostname: r.hostname,
        history: [...r.history],
        airflowConfigurationOptions: {
          ...((r.config.AirflowConfigurationOptions ?? {}) as Record<string, string>),
        },
      })),
    failNext: (envName, failure) => model.failNext(envName, failure),
    dropStatusEvents: (envName, drop = true) => model.dropStatusEvents(envName, drop),
    dagBehaviours,
    async close() {
      await model.close();
      await server.close();
    },
  };
}
