/**
 * AuthenticatorFunction: the ALB's Lambda target for browser SSO into Airflow. Wiring only;
 * built once per container, so keys and role credentials stay cached while it is warm.
 *
 * The configuration is checked at cold start, so a bad setting fails init with its name. The
 * router, with its SDK clients and JWT verification, is loaded by the first invocation
 * (shared/lazy.ts explains why).
 */
import { once } from '../shared/lazy.ts';
import { logger, withObservability } from '../shared/observability.ts';
import { atInit } from '../shared/stack-map.ts';
import { readConfig } from './config.ts';
import type { AlbEvent } from './routes.ts';

atInit(() => readConfig(process.env));

const route = once(async () => (await import('./wiring.ts')).createAuthenticator(process.env, logger));

export const handler = withObservability(async (event: AlbEvent) => (await route())(event));
