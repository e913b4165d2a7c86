import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { compactVerify, importSPKI, jwtVerify } from 'jose';
import {
  CookieJar,
  decodeJson,
  eventHeader,
  type FakeFunction,
  fakeTargets,
  testContext,
} from '../../../test/helpers/alb-fakes.ts';
import { type AlbHandle, type AlbRule, rulesFromTemplate, startAlb } from '../../alb/index.ts';

const ALB_ARN =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/mwaa-ops/50dc6c495c0c9188';
const CLIENT_ID = 'mwaa-ops-local';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The app echoes who it sees and sets two cookies of its own; /logout expires every session shard. */
const app: FakeFunction = (event) => {
  if (event.path === '/logout') {
    const cookie = eventHeader(event, 'cookie') ?? '';
    const shards = cookie
      .split(';')
      .map((c) => c.trim().split('=')[0] ?? '')
      .filter((name) => name.startsWith('AWSELBAuthSessionCookie-'));
    return {
      statusCode: 302,
      statusDescription: '302 Found',
      multiValueHeaders: {
        Location: ['/signed-out'],
        'Set-Cookie': shards.map((name) => `${name}=; Max-Age=0; Path=/`),
      },
      body: '',
      isBase64Encoded: false,
    };
  }
  return {
    statusCode: 200,
    statusDescription: '200 OK',
    multiValueHeaders: {
      'Content-Type': ['text/plain; charset=utf-8'],
      'Set-Cookie': ['app-a=1; Path=/', 'app-b=2; Path=/; HttpOnly'],
    },
    body: `hello ${eventHeader(event, 'x-amzn-oidc-identity') ?? 'anonymous'}`,
    isBase64Encoded: false,
  };
};

const rules: AlbRule[] = [
  { priority: 1, pathPatterns: ['/health'], authenticate: false, targetFunction: 'HealthFunction' },
  {
    priority: 2,
    pathPatterns: ['/logout', '/signed-out'],
    authenticate: false,
    targetFunction: 'AppFunction',
  },
  {
    priority: 3,
    pathPatterns: ['/api/*'],
    authenticate: true,
    onUnauthenticatedRequest: 'deny',
    targetFunction: 'AppFunction',
  },
  {
    priority: 4,
    pathPatterns: ['/broken', '/bad-shape'],
    authenticate: false,
    targetFunction: 'BrokenFunction',
  },
  {
    priority: 5,
    pathPatterns: ['/open/v?'],
    authenticate: true,
    onUnauthenticatedRequest: 'allow',
    targetFunction: 'AppFunction',
  },
  {
    priority: 10,
    pathPatterns: ['/app/*', '/'],
    authenticate: true,
    scope: 'openid email',
    targetFunction: 'AppFunction',
  },
];

describe('Local ALB with OIDC identity provider', () => {
  const ctx = testContext();
  const targets = fakeTargets({
    AppFunction: app,
    HealthFunction: () => ({
      statusCode: 200,
      statusDescription: '200 OK',
      multiValueHeaders: {},
      body: 'ok',
    }),
    BrokenFunction: (event) => {
      if (event.path === '/bad-shape') return { statusCode: '200', body: 'strings are not statuses' };
      throw new Error('function crashed');
    },
  });
  let alb: AlbHandle;

  beforeAll(async () => {
    alb = await startAlb(ctx, {
      targets,
      albArn: ALB_ARN,
      clientId: CLIENT_ID,
      rules,
      users: [
        { email: 'ada@example.com', name: 'Ada', groups: ['data-eng'] },
        { email: 'mallory<script>@example.com', name: '<b>Mallory</b>', groups: ['"><img src=x>'] },
      ],
    });
  });

  afterAll(async () => {
    await alb.close();
    ctx.clock.dispose();
  });

  const lastEvent = () => targets.invocations.at(-1)?.event ?? {};

  /** Walk the browser flow for `path` as the user typed into the IdP form; returns the final response. */
  async function login(jar: CookieJar, path: string, user: { email: string; groups?: string }) {
    const first = await jar.fetch(`${alb.url}${path}`);
    expect(first.status).toBe(302);
    const authorize = new URL(first.headers.get('location') ?? '');
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${alb.idpUrl}/authorize`);
    const loginPage = await jar.fetch(authorize.toString());
    expect(loginPage.status).toBe(200);
    await loginPage.text();
    const form = new URLSearchParams(authorize.searchParams);
    form.set('email', user.email);
    form.set('groups', user.groups ?? '');
    form.set('email_verified', 'true');
    const submitted = await jar.fetch(`${alb.idpUrl}/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    expect(submitted.status).toBe(302);
    const callback = await jar.fetch(submitted.headers.get('location') ?? '');
    expect(callback.status).toBe(302);
    expect(callback.headers.get('location')).toBe(`${alb.url}${path}`);
    return { callback, final: await jar.fetch(callback.headers.get('location') ?? '') };
  }

  it('redirects an unauthenticated browser to the IdP authorize endpoint with the OIDC parameters', async () => {
    const response = await fetch(`${alb.url}/app/dags?x=1`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location') ?? '');
    expect(location.searchParams.get('response_type')).toBe('code');
    expect(location.searchParams.get('client_id')).toBe(CLIENT_ID);
    expect(location.searchParams.get('redirect_uri')).toBe(`${alb.url}/oauth2/idpresponse`);
    expect(location.searchParams.get('scope')).toBe('openid email');
    expect(location.searchParams.get('state')?.length).toBeGreaterThanOrEqual(32);
    expect(location.searchParams.get('nonce')?.length).toBeGreaterThanOrEqual(16);
    expect(targets.invocations.filter((i) => i.event.path === '/app/dags')).toHaveLength(0);
  });

  it('shows the made-up users on the login page with everything escaped', async () => {
    const response = await fetch(`${alb.url}/`, { redirect: 'manual' });
    const page = await (await fetch(response.headers.get('location') ?? '')).text();
    expect(page).toContain('ada@example.com');
    expect(page).toContain('mallory&lt;script&gt;@example.com');
    expect(page).toContain('&quot;&gt;&lt;img src=x&gt;');
    expect(page).not.toContain('<script>');
    expect(page).not.toContain('<img src=x>');
  });

  it('forwards the logged-in request as an ALB multi-value event with a token that verifies only with padding', async () => {
    const jar = new CookieJar();
    const { final } = await login(jar, '/app/dags?tag=a&tag=b%20c', {
      email: 'ada@example.com',
      groups: 'data-eng, ops',
    });
    expect(final.status).toBe(200);
    expect(await final.text()).toMatch(/^hello [0-9a-f]{32}$/);

    const event = lastEvent();
    expect(event.httpMethod).toBe('GET');
    expect(event.path).toBe('/app/dags');
    expect(event.multiValueQueryStringParameters).toEqual({ tag: ['a', 'b%20c'] });
    expect(event.queryStringParameters).toBeUndefined();
    expect(event.headers).toBeUndefined();
    expect(event.body).toBe('');
    expect(event.isBase64Encoded).toBe(false);
    expect((event.requestContext as { elb: { targetGroupArn: string } }).elb.targetGroupArn).toMatch(
      /^arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup\/AppFunction\/[0-9a-f]{16}$/,
    );
    expect(eventHeader(event, 'x-forwarded-for')).toBe('127.0.0.1');
    expect(eventHeader(event, 'x-forwarded-proto')).toBe('http');
    expect(eventHeader(event, 'x-forwarded-port')).toBe(new URL(alb.url).port);
    expect(eventHeader(event, 'x-amzn-trace-id')).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(eventHeader(event, 'x-amzn-oidc-accesstoken')).toMatch(/^[\w-]{20,}$/);

    const token = eventHeader(event, 'x-amzn-oidc-data') ?? '';
    const [headerSegment = '', payloadSegment = ''] = token.split('.');
    const header = decodeJson(headerSegment);
    expect(header).toEqual({
      typ: 'JWT',
      kid: expect.stringMatching(UUID),
      alg: 'ES256',
      iss: alb.idpUrl,
      client: CLIENT_ID,
      signer: ALB_ARN,
      exp: expect.any(Number),
    });
    // Segments are padded base64url exactly as base64 would pad them.
    const padded = (json: string) =>
      Buffer.from(json).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
    expect(headerSegment).toBe(padded(Buffer.from(headerSegment, 'base64url').toString('utf8')));
    expect(payloadSegment).toBe(padded(Buffer.from(payloadSegment, 'base64url').toString('utf8')));

    const pemResponse = await fetch(`${alb.publicKeyEndpoint}/${String(header.kid)}`);
    const pem = await pemResponse.text();
    expect(pem).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/);
    const key = await importSPKI(pem, 'ES256');
    const { payload } = await jwtVerify(token, key, { algorithms: ['ES256'], issuer: alb.idpUrl });
    expect(payload).toMatchObject({
      email: 'ada@example.com',
      email_verified: true,
      groups: ['data-eng', 'ops'],
      iss: alb.idpUrl,
      exp: header.exp,
    });
    expect(payload.sub).toBe(eventHeader(event, 'x-amzn-oidc-identity'));
    expect(Buffer.from(token.split('.')[2] ?? '', 'base64url')).toHaveLength(64);
  });

  it('signs over the padded text: removing the padding breaks verification', async () => {
    // Vary the signer and a claim until both the header and the payload segments need padding:
    // a JSON text whose length is not a multiple of 3 always does, so 3 × 3 tries cover every case.
    const needsPadding = (t: string) => /=$/.test(t.split('.')[0] ?? '') && /=$/.test(t.split('.')[1] ?? '');
    let token = '';
    for (let i = 0; i < 9 && !needsPadding(token); i += 1) {
      token = alb.mintToken(
        { sub: 's', email: 'ada@example.com', filler: 'x'.repeat(i % 3) },
        { signer: `${ALB_ARN}${'y'.repeat(Math.floor(i / 3))}` },
      );
    }
    expect(needsPadding(token)).toBe(true);
    const key = await importSPKI(
      await (await fetch(`${alb.publicKeyEndpoint}/${alb.currentKid()}`)).text(),
      'ES256',
    );
    await expect(compactVerify(token, key)).resolves.toBeDefined();
    const stripped = token
      .split('.')
      .map((segment) => segment.replace(/=+$/, ''))
      .join('.');
    await expect(compactVerify(stripped, key)).rejects.toMatchObject({
      code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    });
  });

  it('shards a large session over several cookies that each fit the 4096-byte limit and still authenticate', async () => {
    const jar = new CookieJar();
    const groups = Array.from({ length: 300 }, (_, i) => `team-${String(i).padStart(4, '0')}`).join(',');
    const { callback, final } = await login(jar, '/app/big', { email: 'big@example.com', groups });
    const shards = callback.headers
      .getSetCookie()
      .filter((line) => line.startsWith('AWSELBAuthSessionCookie-'));
    expect(shards.length).toBeGreaterThanOrEqual(2);
    for (const line of shards) {
      expect(line.split(';')[0]?.length).toBeLessThanOrEqual(4096);
      expect(line).toMatch(/; Path=\/;/);
      expect(line).toMatch(/; HttpOnly/);
    }
    expect(
      [...jar.cookies.keys()].filter((name) => name.startsWith('AWSELBAuthSessionCookie-')).sort(),
    ).toEqual(shards.map((_, i) => `AWSELBAuthSessionCookie-${i}`).sort());
    expect(final.status).toBe(200);
    const token = eventHeader(lastEvent(), 'x-amzn-oidc-data') ?? '';
    expect(decodeJson(token.split('.')[1] ?? '').groups).toHaveLength(300);
  });

  it('passes every Set-Cookie of the function to the browser', async () => {
    const jar = new CookieJar();
    const { final } = await login(jar, '/app/cookies', { email: 'ada@example.com' });
    const cookies = final.headers.getSetCookie();
    expect(cookies).toEqual(['app-a=1; Path=/', 'app-b=2; Path=/; HttpOnly']);
    expect(final.headers.get('content-type')).toBe('text/plain; charset=utf-8');
  });

  it('treats a session as gone once the function expires its cookie shards', async () => {
    const jar = new CookieJar();
    await login(jar, '/app/x', { email: 'ada@example.com' });
    const loggedIn = await jar.fetch(`${alb.url}/app/x`);
    expect(loggedIn.status).toBe(200);
    const logout = await jar.fetch(`${alb.url}/logout`);
    expect(logout.status).toBe(302);
    expect([...jar.cookies.keys()].some((name) => name.startsWith('AWSELBAuthSessionCookie'))).toBe(false);
    const after = await jar.fetch(`${alb.url}/app/x`);
    expect(after.status).toBe(302);
    expect(after.headers.get('location')).toContain(`${alb.idpUrl}/authorize`);
  });

  it('rejects a tampered session cookie as unauthenticated', async () => {
    const jar = new CookieJar();
    await login(jar, '/app/x', { email: 'ada@example.com' });
    const value = jar.cookies.get('AWSELBAuthSessionCookie-0') ?? '';
    jar.cookies.set('AWSELBAuthSessionCookie-0', `${value.slice(0, -4)}AAAA`);
    const response = await jar.fetch(`${alb.url}/api/dags`);
    expect(response.status).toBe(401);
  });

  it('answers 401 without a session on a deny rule and forwards with one', async () => {
    const denied = await fetch(`${alb.url}/api/dags`, { redirect: 'manual' });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('server')).toBe('awselb/2.0');
    const jar = new CookieJar();
    await login(jar, '/app/x', { email: 'ada@example.com' });
    const allowed = await jar.fetch(`${alb.url}/api/dags`);
    expect(allowed.status).toBe(200);
    expect(eventHeader(lastEvent(), 'x-amzn-oidc-data')).toBeDefined();
  });

  it('forwards a non-authenticating rule without claims, passing client headers through', async () => {
    const response = await fetch(`${alb.url}/health`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok');
    const event = lastEvent();
    expect(targets.invocations.at(-1)?.target).toBe('HealthFunction');
    expect(eventHeader(event, 'x-amzn-oidc-data')).toBeUndefined();
    expect(eventHeader(event, 'x-amzn-oidc-identity')).toBeUndefined();
    expect(eventHeader(event, 'x-forwarded-for')).toBe('203.0.113.9, 127.0.0.1');
  });

  it('strips client-supplied x-amzn-oidc headers on an allow rule without a session', async () => {
    const forged = alb.mintToken({ sub: 'forged', email: 'eve@example.com' });
    const response = await fetch(`${alb.url}/open/v1`, {
      headers: { 'x-amzn-oidc-data': forged, 'x-amzn-oidc-identity': 'forged' },
    });
    expect(response.status).toBe(200);
    expect(eventHeader(lastEvent(), 'x-amzn-oidc-data')).toBeUndefined();
    expect(eventHeader(lastEvent(), 'x-amzn-oidc-identity')).toBeUndefined();
  });

  it('answers 502 when the function fails or returns an invalid response', async () => {
    const crashed = await fetch(`${alb.url}/broken`);
    expect(crashed.status).toBe(502);
    expect(await crashed.text()).toContain('502 Bad Gateway');
    const malformed = await fetch(`${alb.url}/bad-shape`);
    expect(malformed.status).toBe(502);
  });

  it('base64-encodes non-text request bodies and passes text bodies as is', async () => {
    await fetch(`${alb.url}/health`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1&b=2',
    });
    expect(lastEvent()).toMatchObject({
      httpMethod: 'POST',
      body: Buffer.from('a=1&b=2').toString('base64'),
      isBase64Encoded: true,
    });
    await fetch(`${alb.url}/health`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(lastEvent()).toMatchObject({ body: '{"a":1}', isBase64Encoded: false });
  });

  it('refuses a callback whose state it never issued', async () => {
    const response = await fetch(`${alb.url}/oauth2/idpresponse?code=abc&state=forged`, {
      redirect: 'manual',
    });
    expect(response.status).toBe(401);
  });

  it('refuses a callback from a browser that did not start the login (no nonce cookie)', async () => {
    const start = await fetch(`${alb.url}/app/x`, { redirect: 'manual' });
    const authorize = new URL(start.headers.get('location') ?? '');
    const form = new URLSearchParams(authorize.searchParams);
    form.set('email', 'victim@example.com');
    const submitted = await fetch(`${alb.idpUrl}/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      redirect: 'manual',
    });
    expect(submitted.status).toBe(302);
    const callback = await fetch(submitted.headers.get('location') ?? '', { redirect: 'manual' });
    expect(callback.status).toBe(401);
    expect(callback.headers.getSetCookie()).toEqual([]);
  });

  it('signs with a new kid after rotation and keeps serving the old key', async () => {
    const before = alb.currentKid();
    const after = alb.rotateKey();
    expect(after).not.toBe(before);
    expect(after).toMatch(UUID);
    expect(decodeJson(alb.mintToken({ sub: 's' }).split('.')[0] ?? '').kid).toBe(after);
    expect((await fetch(`${alb.publicKeyEndpoint}/${before}`)).status).toBe(200);
    expect((await fetch(`${alb.publicKeyEndpoint}/${after}`)).status).toBe(200);
    expect((await fetch(`${alb.publicKeyEndpoint}/00000000-0000-0000-0000-000000000000`)).status).toBe(404);
  });

  it('IdP: refuses unregistered redirect URIs, bad client credentials and foreign logout targets', async () => {
    const authorize = new URL(`${alb.idpUrl}/authorize`);
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: 'https://evil.example/cb',
      scope: 'openid',
      state: 's',
    }).toString();
    const refused = await fetch(authorize, { redirect: 'manual' });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('location')).toBeNull();

    const token = await fetch(`${alb.idpUrl}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${CLIENT_ID}:wrong`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=authorization_code&code=x',
    });
    expect(token.status).toBe(401);
    expect(await token.json()).toEqual({ error: 'invalid_client' });

    const back = await fetch(
      `${alb.idpLogoutUrl}?post_logout_redirect_uri=${encodeURIComponent(`${alb.url}/signed-out`)}`,
      {
        redirect: 'manual',
      },
    );
    expect(back.status).toBe(302);
    expect(back.headers.get('location')).toBe(`${alb.url}/signed-out`);
    const away = await fetch(`${alb.idpLogoutUrl}?post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F`, {
      redirect: 'manual',
    });
    expect(away.status).toBe(200);
  });

  it('answers 404 from the default action when no rule matches', async () => {
    expect((await fetch(`${alb.url}/nothing-here`)).status).toBe(404);
  });
});

describe('Local ALB on a fast clock', () => {
  it('completes a login at clock speed 1500 (login steps count real time) and forwards a token valid on that clock', async () => {
    const ctx = testContext(1500);
    const targets = fakeTargets({ AppFunction: app });
    const alb = await startAlb(ctx, {
      targets,
      albArn: ALB_ARN,
      clientId: CLIENT_ID,
      rules: [{ priority: 1, pathPatterns: ['/*'], authenticate: true, targetFunction: 'AppFunction' }],
    });
    try {
      const jar = new CookieJar();
      const start = await jar.fetch(`${alb.url}/x`);
      const form = new URLSearchParams(new URL(start.headers.get('location') ?? '').searchParams);
      form.set('email', 'ada@example.com');
      // One real second is 25 emulated minutes here: longer than a pending login's 15 minutes.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const submitted = await jar.fetch(`${alb.idpUrl}/authorize`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      });
      const callback = await jar.fetch(submitted.headers.get('location') ?? '');
      expect(callback.status).toBe(302);
      const final = await jar.fetch(`${alb.url}/x`);
      expect(final.status).toBe(200);
      const token = eventHeader(targets.invocations.at(-1)?.event ?? {}, 'x-amzn-oidc-data') ?? '';
      const key = await importSPKI(
        await (await fetch(`${alb.publicKeyEndpoint}/${alb.currentKid()}`)).text(),
        'ES256',
      );
      await expect(jwtVerify(token, key, { currentDate: ctx.clock.date() })).resolves.toBeDefined();
    } finally {
      await alb.close();
      ctx.clock.dispose();
    }
  });
});

describe('rulesFromTemplate', () => {
  it('turns authenticate-oidc + forward listener rules into ALB rules', () => {
    const rules = rulesFromTemplate({
      Resources: {
        AuthenticatorFunction: { Type: 'AWS::Serverless::Function', Properties: {} },
        AuthenticatorTargetGroup: {
          Type: 'AWS::ElasticLoadBalancingV2::TargetGroup',
          Properties: {
            TargetType: 'lambda',
            Targets: [{ Id: { 'Fn::GetAtt': ['AuthenticatorFunction', 'Arn'] } }],
            TargetGroupAttributes: [{ Key: 'lambda.multi_value_headers.enabled', Value: 'true' }],
          },
        },
        LoginRule: {
          Type: 'AWS::ElasticLoadBalancingV2::ListenerRule',
          Properties: {
            Priority: 20,
            Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/aws_mwaa/*', '/'] } }],
            Actions: [
              { Type: 'forward', Order: 2, TargetGroupArn: { Ref: 'AuthenticatorTargetGroup' } },
              {
                Type: 'authenticate-oidc',
                Order: 1,
                AuthenticateOidcConfig: {
                  Scope: 'openid email',
                  OnUnauthenticatedRequest: 'authenticate',
                  SessionTimeout: 3600,
                },
              },
            ],
          },
        },
        HealthRule: {
          Type: 'AWS::ElasticLoadBalancingV2::ListenerRule',
          Properties: {
            Priority: 10,
            Conditions: [{ Field: 'path-pattern', Values: ['/health'] }],
            Actions: [{ Type: 'forward', TargetGroupArn: { Ref: 'AuthenticatorTargetGroup' } }],
          },
        },
        RedirectRule: {
          Type: 'AWS::ElasticLoadBalancingV2::ListenerRule',
          Properties: {
            Priority: 30,
            Conditions: [{ Field: 'path-pattern', Values: ['/x'] }],
            Actions: [{ Type: 'redirect' }],
          },
        },
      },
    });
    expect(rules).toEqual([
      {
        priority: 10,
        pathPatterns: ['/health'],
        authenticate: false,
        targetFunction: 'AuthenticatorFunction',
        multiValueHeaders: true,
      },
      {
        priority: 20,
        pathPatterns: ['/aws_mwaa/*', '/'],
        authenticate: true,
        targetFunction: 'AuthenticatorFunction',
        onUnauthenticatedRequest: 'authenticate',
        scope: 'openid email',
        sessionTimeoutSeconds: 3600,
        multiValueHeaders: true,
      },
    ]);
  });
});
