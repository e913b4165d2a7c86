/**
 * The local Application Load Balancer with its OIDC identity provider: a listener that applies
 * listener rules (authenticate-oidc, then forward to a Lambda target), an IdP with a login page
 * of made-up users, and the regional public-key endpoint serving the ALB's ES256 keys as PEM.
 *
 * @example
 * const alb = await startAlb(ctx, {
 *   targets, albArn, clientId: 'mwaa-ops-local',
 *   rules: [{ priority: 10, pathPatterns: ['/aws_mwaa/*', '/'], authenticate: true, targetFunction: 'AuthenticatorFunction' }],
 *   users: [{ email: 'ada@example.com', groups: ['data-eng'] }],
 * });
 * // env for the authenticator: ALB_ARNS=alb.albArn, OIDC_ISSUER=alb.idpUrl, OIDC_CLIENT_ID=clientId,
 * // ALB_PUBLIC_KEY_ENDPOINT=alb.publicKeyEndpoint; a person opens alb.url in a browser.
 */
import { randomBytes } from 'node:crypto';
import type { Targets } from '../core/model.ts';
import type { EmulatorHandle, ServiceContext } from '../core/service.ts';
import { type IdpUser, startIdp } from './idp.ts';
import { createKeyRing } from './keys.ts';
import { DEFAULT_SESSION_TTL_SECONDS, DEFAULT_TOKEN_TTL_SECONDS, startListener } from './listener.ts';
import { startPublicKeyEndpoint } from './public-keys.ts';
import type { AlbRule } from './rules.ts';
import { createSessionCodec } from './session.ts';
import { buildOidcDataToken } from './token.ts';

export type { IdpUser, UserClaims } from './idp.ts';
export { claimsFor, subjectFor } from './idp.ts';
export type { AlbTargetEvent, AlbTargetResult } from './lambda-event.ts';
export { type AlbRule, compilePathPattern, rulesFromTemplate } from './rules.ts';
export { DEFAULT_SESSION_COOKIE_NAME, MAX_COOKIE_BYTES } from './session.ts';
export { base64UrlPadded, decodeSegment } from './token.ts';

export interface AlbOptions {
  /** Delivers forwarded requests: `invokeFunction(rule.targetFunction, albEvent)` → ALB Lambda response. */
  targets: Targets;
  /** The load balancer ARN: the token's `signer`. */
  albArn: string;
  /** OIDC client id registered at the IdP: the token's `client`. */
  clientId: string;
  /** OIDC issuer; defaults to the IdP's base URL. */
  issuer?: string;
  rules: AlbRule[];
  /** Made-up users offered on the login page. */
  users?: IdpUser[];
  /** Authentication session lifetime (emulated clock); default 7 days, as the ALB. */
  sessionTtlSeconds?: number;
  /** Lifetime of each `x-amzn-oidc-data` token (emulated clock); default 120 s. */
  tokenTtlSeconds?: number;
}

export interface MintTokenOptions {
  /** Expiry, epoch seconds; default now (emulated) + the token TTL. */
  exp?: number;
  signer?: string;
  clientId?: string;
  issuer?: string;
}

export interface AlbHandle extends EmulatorHandle {
  /** Listener base URL. */
  url: string;
  /** IdP base URL (the default issuer). */
  idpUrl: string;
  /** The issuer tokens carry. */
  issuer: string;
  /** `ALB_PUBLIC_KEY_ENDPOINT`: `GET <publicKeyEndpoint>/<kid>` → PEM. */
  publicKeyEndpoint: string;
  /** IdP logout endpoint (`/logout?post_logout_redirect_uri=`), accepting URIs on the listener's origin. */
  idpLogoutUrl: string;
  albArn: string;
  clientId: string;
  /** A token exactly as the ALB sends it, signed with the current key (header fields overridable for tests). */
  mintToken(claims: Record<string, unknown>, options?: MintTokenOptions): string;
  /** Start signing with a new key; returns its kid. Earlier keys stay published. */
  rotateKey(): string;
  /** The kid tokens are currently signed with. */
  currentKid(): string;
}

/** Start the listener, the identity provider and the public-key endpoint on 127.0.0.1. */
export async function startAlb(ctx: ServiceContext, options: AlbOptions): Promise<AlbHandle> {
  const keys = createKeyRing();
  const clientSecret = randomBytes(24).toString('base64url');
  const tokenTtlSeconds = options.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
  const idp = await startIdp(ctx, {
    clientId: options.clientId,
    clientSecret,
    ...(options.issuer ? { issuer: options.issuer } : {}),
    ...(options.users ? { users: options.users } : {}),
  });
  const closers: Array<() => Promise<void>> = [idp.close];
  try {
    const publicKeys = await startPublicKeyEndpoint(keys);
    closers.push(publicKeys.close);
    const listener = await startListener(ctx, {
      targets: options.targets,
      rules: options.rules,
      idp,
      keys,
      codec: createSessionCodec(),
      albArn: options.albArn,
      clientId: options.clientId,
      clientSecret,
      issuer: idp.issuer,
      sessionTtlSeconds: options.sessionTtlSeconds ?? DEFAULT_SESSION_TTL_SECONDS,
      tokenTtlSeconds,
    });
    closers.push(listener.close);
    idp.allowRedirectUri(`${listener.url}/oauth2/idpresponse`);
    idp.allowLogoutOrigin(new URL(listener.url).origin);
    ctx.log('alb', 'listening', { url: listener.url, idp: idp.url, rules: options.rules.length });
    return {
      url: listener.url,
      idpUrl: idp.url,
      issuer: idp.issuer,
      publicKeyEndpoint: publicKeys.url,
      idpLogoutUrl: idp.endSessionEndpoint,
      albArn: options.albArn,
      clientId: options.clientId,
      mintToken: (claims, mint = {}) =>
        buildOidcDataToken({
          key: keys.current(),
          issuer: mint.issuer ?? idp.issuer,
          clientId: mint.clientId ?? options.clientId,
          signer: mint.signer ?? options.albArn,
          exp: mint.exp ?? Math.floor(ctx.clock.now() / 1000) + tokenTtlSeconds,
          claims,
        }),
      rotateKey: () => keys.rotate(),
      currentKid: () => keys.current().kid,
      close: async () => {
        await Promise.all(closers.map((close) => close()));
      },
    };
  } catch (error) {
    await Promise.all(closers.map((close) => close()));
    throw error;
  }
}
