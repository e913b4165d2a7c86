/**
 * AuthenticatorFunction: the ALB's Lambda target for browser SSO into Airflow. Wiring only;
 * built once per container, so keys and role credentials stay cached while it is warm.
 */
import { logger, withObservability } from '../shared/observability.ts';
import type { AlbEvent } from './routes.ts';
import { createAuthenticator } from './wiring.ts';

const route = createAuthenticator(process.env, logger);

export const handler = withObservability(async (event: AlbEvent) => route(event));
