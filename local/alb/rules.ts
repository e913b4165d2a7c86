/**
 * Listener rules: a simplified `AWS::ElasticLoadBalancingV2::ListenerRule` (path-pattern
 * conditions; an optional authenticate-oidc action followed by a forward to a Lambda target
 * group), the ALB's path-pattern matching, and the conversion from template resources.
 */
import { createHash } from 'node:crypto';

/** One listener rule as the local ALB applies it. */
export interface AlbRule {
  /** Lower runs first, as on a listener. */
  priority: number;
  /** Path patterns; `*` matches any run of characters, `?` exactly one. Case-sensitive. */
  pathPatterns: string[];
  /** true when the rule starts with an authenticate-oidc action. */
  authenticate: boolean;
  /** Logical id, name or ARN of the function behind the target group. */
  targetFunction: string;
  /** What happens without a valid session; default `authenticate` (redirect to the IdP). */
  onUnauthenticatedRequest?: 'authenticate' | 'deny' | 'allow';
  /** OIDC scope requested; default `openid`. */
  scope?: string;
  /** The IdP logout URL for this rule's sessions. The ALB has no logout action, so the listener never acts on it; it is carried for the function's configuration. */
  logoutUrl?: string;
  /** Session cookie base name; default `AWSELBAuthSessionCookie`. */
  sessionCookieName?: string;
  /** Session lifetime; default the startAlb option, else 7 days (the ALB default). */
  sessionTimeoutSeconds?: number;
  /** Extra query parameters for the authorization request (AuthenticationRequestExtraParams). */
  authenticationRequestExtraParams?: Record<string, string>;
  /** Target group ARN put in `requestContext.elb`; derived from the function when absent. */
  targetGroupArn?: string;
  /** Target group attribute `lambda.multi_value_headers.enabled`; default true. */
  multiValueHeaders?: boolean;
}

export class AlbRuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AlbRuleError';
  }
}

/** Compile an ALB path pattern to an anchored regular expression. */
export function compilePathPattern(pattern: string): RegExp {
  const source = [...pattern]
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, 's');
}

export interface CompiledRule {
  rule: AlbRule;
  patterns: RegExp[];
}

/** Validate and order rules by priority (priorities must be unique, as on a listener). */
export function compileRules(rules: AlbRule[]): CompiledRule[] {
  const seen = new Set<number>();
  for (const rule of rules) {
    if (!Number.isInteger(rule.priority) || rule.priority < 1 || rule.priority > 50000) {
      throw new AlbRuleError(`rule priority must be an integer 1..50000, got ${rule.priority}`);
    }
    if (seen.has(rule.priority)) throw new AlbRuleError(`duplicate rule priority ${rule.priority}`);
    seen.add(rule.priority);
    if (rule.pathPatterns.length === 0) throw new AlbRuleError(`rule ${rule.priority} has no path pattern`);
    if (!rule.targetFunction) throw new AlbRuleError(`rule ${rule.priority} has no target function`);
  }
  return [...rules]
    .sort((a, b) => a.priority - b.priority)
    .map((rule) => ({ rule, patterns: rule.pathPatterns.map(compilePathPattern) }));
}

/** The first rule (by priority) whose path pattern matches `path`. */
export function matchRule(rules: CompiledRule[], path: string): AlbRule | undefined {
  return rules.find((compiled) => compiled.patterns.some((p) => p.test(path)))?.rule;
}

/** A target group ARN for a function that has none configured: stable per function. */
export function defaultTargetGroupArn(region: string, accountId: string, targetFunction: string): string {
  const base = targetFunction.split(':').at(-1) ?? targetFunction;
  const name =
    base
      .replace(/[^A-Za-z0-9-]/g, '-')
      .slice(0, 32)
      .replace(/^-+|-+$/g, '') || 'lambda';
  const id = createHash('sha256').update(targetFunction).digest('hex').slice(0, 16);
  return `arn:aws:elasticloadbalancing:${region}:${accountId}:targetgroup/${name}/${id}`;
}

interface CfnResource {
  Type?: string;
  Properties?: Record<string, unknown>;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The logical id a `Ref` / `Fn::GetAtt` points at, or the string itself. */
function referenced(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (!isRecord(value)) return undefined;
  if (typeof value.Ref === 'string') return value.Ref;
  const getAtt = value['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  if (typeof getAtt === 'string') return getAtt.split('.')[0];
  return undefined;
}

function pathPatterns(conditions: unknown): string[] {
  const patterns: string[] = [];
  for (const condition of Array.isArray(conditions) ? conditions : []) {
    if (!isRecord(condition) || condition.Field !== 'path-pattern') continue;
    const config = isRecord(condition.PathPatternConfig) ? condition.PathPatternConfig.Values : undefined;
    for (const value of [
      ...(Array.isArray(condition.Values) ? condition.Values : []),
      ...(Array.isArray(config) ? config : []),
    ]) {
      if (typeof value === 'string') patterns.push(value);
    }
  }
  return patterns;
}

/**
 * Turn the template's ListenerRule resources (path-pattern conditions; authenticate-oidc then
 * forward to a Lambda target group) into rules. Accepts a template (`{ Resources }`) or its
 * Resources map, raw or with intrinsics resolved. Rules with other actions (fixed-response,
 * redirect, forward to non-Lambda targets) are skipped: the local ALB only fronts functions.
 */
export function rulesFromTemplate(
  templateOrResources: { Resources?: Record<string, unknown> } | Record<string, unknown>,
): AlbRule[] {
  const resources = (
    isRecord(templateOrResources.Resources) ? templateOrResources.Resources : templateOrResources
  ) as Record<string, CfnResource>;
  const byName = new Map<string, CfnResource>();
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (isRecord(resource)) byName.set(logicalId, resource);
  }
  const rules: AlbRule[] = [];
  for (const resource of byName.values()) {
    if (resource.Type !== 'AWS::ElasticLoadBalancingV2::ListenerRule') continue;
    const props = resource.Properties ?? {};
    const actions = (Array.isArray(props.Actions) ? props.Actions : [])
      .filter(isRecord)
      .sort((a, b) => Number(a.Order ?? 0) - Number(b.Order ?? 0));
    const oidc = actions.find((a) => a.Type === 'authenticate-oidc');
    const forward = actions.find((a) => a.Type === 'forward');
    if (!forward) continue;
    const forwardConfig = isRecord(forward.ForwardConfig) ? forward.ForwardConfig : undefined;
    const firstGroup =
      forwardConfig && Array.isArray(forwardConfig.TargetGroups) && isRecord(forwardConfig.TargetGroups[0])
        ? forwardConfig.TargetGroups[0].TargetGroupArn
        : undefined;
    const groupRef = referenced(forward.TargetGroupArn ?? firstGroup);
    const group = groupRef ? byName.get(groupRef) : undefined;
    if (group?.Type !== 'AWS::ElasticLoadBalancingV2::TargetGroup') continue;
    const groupProps = group.Properties ?? {};
    if (groupProps.TargetType !== 'lambda') continue;
    const target =
      Array.isArray(groupProps.Targets) && isRecord(groupProps.Targets[0]) ? groupProps.Targets[0] : {};
    const targetFunction = referenced(target.Id);
    if (!targetFunction) continue;
    const attributes = Array.isArray(groupProps.TargetGroupAttributes)
      ? groupProps.TargetGroupAttributes
      : [];
    const multiValue = attributes.find((a) => isRecord(a) && a.Key === 'lambda.multi_value_headers.enabled');
    const oidcConfig = oidc && isRecord(oidc.AuthenticateOidcConfig) ? oidc.AuthenticateOidcConfig : {};
    const on = oidcConfig.OnUnauthenticatedRequest;
    const extra = oidcConfig.AuthenticationRequestExtraParams;
    rules.push({
      priority: Number(props.Priority),
      pathPatterns: pathPatterns(props.Conditions),
      authenticate: oidc !== undefined,
      targetFunction,
      ...(on === 'authenticate' || on === 'deny' || on === 'allow' ? { onUnauthenticatedRequest: on } : {}),
      ...(typeof oidcConfig.Scope === 'string' ? { scope: oidcConfig.Scope } : {}),
      ...(typeof oidcConfig.SessionCookieName === 'string'
        ? { sessionCookieName: oidcConfig.SessionCookieName }
        : {}),
      ...(oidcConfig.SessionTimeout !== undefined && Number.isFinite(Number(oidcConfig.SessionTimeout))
        ? { sessionTimeoutSeconds: Number(oidcConfig.SessionTimeout) }
        : {}),
      ...(isRecord(extra)
        ? {
            authenticationRequestExtraParams: Object.fromEntries(
              Object.entries(extra).filter((e): e is [string, string] => typeof e[1] === 'string'),
            ),
          }
        : {}),
      ...(isRecord(multiValue) ? { multiValueHeaders: String(multiValue.Value) === 'true' } : {}),
    });
  }
  return rules.filter((rule) => rule.pathPatterns.length > 0).sort((a, b) => a.priority - b.priority);
}
