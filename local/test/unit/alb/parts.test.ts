import { describe, expect, it } from '@jest/globals';
import {
  fromAlbResult,
  InvalidTargetResponseError,
  parseRawQuery,
  toAlbEvent,
} from '../../../alb/lambda-event.ts';
import { compilePathPattern, compileRules, matchRule } from '../../../alb/rules.ts';
import {
  createSessionCodec,
  MAX_COOKIE_BYTES,
  parseCookies,
  readSession,
  SessionTooLargeError,
  sessionSetCookies,
  shardCookie,
} from '../../../alb/session.ts';

describe('Module: alb rules', () => {
  it('matches path patterns with * and ? wildcards, anchored and case-sensitive', () => {
    const pattern = compilePathPattern('/aws_mwaa/*/v?');
    expect(pattern.test('/aws_mwaa/env/v1')).toBe(true);
    expect(pattern.test('/aws_mwaa/a/b/v2')).toBe(true);
    expect(pattern.test('/aws_mwaa/env/v10')).toBe(false);
    expect(pattern.test('/AWS_MWAA/env/v1')).toBe(false);
    expect(compilePathPattern('/a.b').test('/axb')).toBe(false);
  });

  it('picks the matching rule with the lowest priority and rejects duplicate priorities', () => {
    const base = { authenticate: false, targetFunction: 'F' };
    const rules = compileRules([
      { ...base, priority: 20, pathPatterns: ['/*'] },
      { ...base, priority: 5, pathPatterns: ['/health'], targetFunction: 'H' },
    ]);
    expect(matchRule(rules, '/health')?.targetFunction).toBe('H');
    expect(matchRule(rules, '/other')?.priority).toBe(20);
    expect(() =>
      compileRules([
        { ...base, priority: 1, pathPatterns: ['/a'] },
        { ...base, priority: 1, pathPatterns: ['/b'] },
      ]),
    ).toThrow('duplicate rule priority 1');
  });
});

describe('Module: alb lambda-event', () => {
  it('keeps repeated query keys and leaves values URL-encoded', () => {
    expect(parseRawQuery('a=1&a=2&b=x%20y&flag')).toEqual({ a: ['1', '2'], b: ['x%20y'], flag: [''] });
  });

  it('uses the last value per header and query key when multi-value headers are off', () => {
    const event = toAlbEvent({
      method: 'GET',
      rawUrl: '/p?k=1&k=2',
      headers: [
        ['Cookie', 'a=1'],
        ['cookie', 'b=2'],
        ['connection', 'keep-alive'],
      ],
      body: Buffer.alloc(0),
      targetGroupArn: 'arn:tg',
      multiValueHeaders: false,
    });
    expect(event).toEqual({
      requestContext: { elb: { targetGroupArn: 'arn:tg' } },
      httpMethod: 'GET',
      path: '/p',
      queryStringParameters: { k: '2' },
      headers: { cookie: 'b=2' },
      body: '',
      isBase64Encoded: false,
    });
  });

  it('turns multi-value headers into separate header lines and reads the reason phrase', () => {
    const answer = fromAlbResult(
      {
        statusCode: 302,
        statusDescription: '302 Found',
        multiValueHeaders: {
          'Set-Cookie': ['a=; Max-Age=0', 'b=; Max-Age=0'],
          Location: ['/'],
          Connection: ['close'],
        },
        headers: { 'X-Ignored': 'yes' },
        body: '',
      },
      true,
    );
    expect(answer.status).toBe(302);
    expect(answer.reason).toBe('Found');
    expect(answer.headers).toEqual([
      ['Set-Cookie', 'a=; Max-Age=0'],
      ['Set-Cookie', 'b=; Max-Age=0'],
      ['Location', '/'],
    ]);
  });

  it('decodes base64 bodies and rejects answers an ALB would turn into 502', () => {
    expect(
      fromAlbResult({ statusCode: 200, body: 'aGk=', isBase64Encoded: true }, true).body.toString(),
    ).toBe('hi');
    for (const bad of [
      null,
      'text',
      { statusCode: '200' },
      { statusCode: 200.5 },
      { statusCode: 200, multiValueHeaders: { a: 'not-an-array' } },
      { statusCode: 200, multiValueHeaders: { a: [1] } },
      { statusCode: 200, body: { json: true } },
    ]) {
      expect(() => fromAlbResult(bad, true)).toThrow(InvalidTargetResponseError);
    }
    expect(() => fromAlbResult({ statusCode: 200, headers: { a: ['x'] } }, false)).toThrow(
      InvalidTargetResponseError,
    );
  });
});

describe('Module: alb session', () => {
  const session = { claims: { sub: 's', groups: ['g'] }, accessToken: 'at', expiresAt: 2_000 };

  it('seals, shards within the cookie limit and reads the session back until it expires', () => {
    const codec = createSessionCodec();
    const sealed = codec.seal({ ...session, claims: { sub: 's', blob: 'x'.repeat(9000) } });
    const shards = shardCookie('AWSELBAuthSessionCookie', sealed);
    expect(shards.length).toBe(
      Math.ceil(sealed.length / (MAX_COOKIE_BYTES - 'AWSELBAuthSessionCookie-0='.length)),
    );
    for (const [name, value] of shards)
      expect(name.length + 1 + value.length).toBeLessThanOrEqual(MAX_COOKIE_BYTES);
    const cookies = parseCookies(shards.map(([name, value]) => `${name}=${value}`).join('; '));
    expect(readSession(cookies, 'AWSELBAuthSessionCookie', codec, 1_000)?.claims.blob).toHaveLength(9000);
    expect(readSession(cookies, 'AWSELBAuthSessionCookie', codec, 2_000)).toBeUndefined();
    expect(readSession(cookies, 'AWSELBAuthSessionCookie', createSessionCodec(), 1_000)).toBeUndefined();
  });

  it('refuses sessions above 11 KB and expires stale shards on a new login', () => {
    const codec = createSessionCodec();
    expect(() => codec.seal({ ...session, claims: { blob: 'x'.repeat(11 * 1024) } })).toThrow(
      SessionTooLargeError,
    );
    const lines = sessionSetCookies('C', codec.seal(session), 60, ['C-0', 'C-1', 'C-2']);
    expect(lines[0]).toMatch(/^C-0=[\w-]+; Max-Age=60; Path=\/; HttpOnly; SameSite=Lax$/);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^C-1=; .*Max-Age=0/),
      expect.stringMatching(/^C-2=; .*Max-Age=0/),
    ]);
  });
});
