/**
 * Parameter values that make the template's optional parts run offline.
 *
 * Some template parameters name things that exist only in a real account (the ALB in front of
 * Airflow, the identity provider). The local cloud has stand-ins for them, so when the template
 * declares such a parameter and the caller did not set it, the stand-in's value is used. Values
 * known only once an emulator listens (the ALB's public key endpoint, on a free port) are passed
 * as a placeholder and filled into function environments after startup.
 */
export const LATE_BOUND = {
  albPublicKeyEndpoint: 'http://late-bound.mwaa-ops.local/alb-public-keys',
} as const;

export interface LocalAlbIdentity {
  albArn: string;
  listenerArn: string;
  issuer: string;
  clientId: string;
}

export function localAlbIdentity(region: string, accountId: string, stackName: string): LocalAlbIdentity {
  const lb = `app/${stackName}-local/0123456789abcdef`;
  return {
    albArn: `arn:aws:elasticloadbalancing:${region}:${accountId}:loadbalancer/${lb}`,
    listenerArn: `arn:aws:elasticloadbalancing:${region}:${accountId}:listener/${lb}/fedcba9876543210`,
    issuer: 'https://idp.mwaa-ops.local',
    clientId: 'mwaa-ops-local',
  };
}

/** Local values for the parameters the template declares and the caller left unset. */
export function localParameters(
  declared: readonly string[],
  given: Readonly<Record<string, string>>,
  alb: LocalAlbIdentity,
): Record<string, string> {
  const standIns: Record<string, string> = {
    EnableSso: 'true',
    SsoLoadBalancerArn: alb.albArn,
    SsoListenerArn: alb.listenerArn,
    OidcIssuer: alb.issuer,
    OidcClientId: alb.clientId,
    OidcClientSecretId: 'mwaa-ops/local-oidc',
    AlbPublicKeyEndpoint: LATE_BOUND.albPublicKeyEndpoint,
  };
  const chosen: Record<string, string> = {};
  for (const [name, value] of Object.entries(standIns)) {
    if (declared.includes(name) && given[name] === undefined) chosen[name] = value;
  }
  return { ...chosen, ...given };
}

/** Replace late-bound placeholders in a function environment (in place). */
export function fillLateBound(
  environment: Record<string, string>,
  values: { albPublicKeyEndpoint: string },
): void {
  for (const [name, value] of Object.entries(environment)) {
    if (value === LATE_BOUND.albPublicKeyEndpoint) environment[name] = values.albPublicKeyEndpoint;
  }
}
