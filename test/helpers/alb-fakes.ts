/**
 * Test doubles for the local ALB: a service context on a real-speed clock, a Targets whose
 * invokeFunction records the ALB event and lets each test answer it, and a tiny cookie jar that
 * honours Max-Age and Expires the way a browser does.
 */
import { createClock } from '../../local/core/clock.ts';
import { createFaultRegistry } from '../../local/core/faults.ts';
import type { Targets } from '../../local/core/model.ts';
import type { ServiceContext } from '../../local/core/service.ts';

export function testContext(speed = 1): ServiceContext {
  return {
    clock: createClock(speed),
    faults: createFaultRegistry(),
    region: 'eu-west-1',
    accountId: '123456789012',
    log: () => {},
  };
}

export interface RecordedInvocation {
  target: string;
  event: Record<string, unknown>;
}

export type FakeFunction = (event: Record<string, unknown>) => unknown;

/** Targets that only deliver to in-process fake functions, keyed by name. */
export function fakeTargets(
  functions: Record<string, FakeFunction>,
): Targets & { invocations: RecordedInvocation[] } {
  const invocations: RecordedInvocation[] = [];
  const unsupported = () => Promise.reject(new Error('not used by the ALB'));
  return {
    invocations,
    async invokeFunction(nameOrArn, payload) {
      const event = payload as Record<string, unknown>;
      invocations.push({ target: nameOrArn, event });
      const fn = functions[nameOrArn];
      if (!fn) throw new Error(`no fake function ${nameOrArn}`);
      return fn(event);
    },
    startExecution: unsupported,
    publish: unsupported,
    sendMessage: unsupported,
    putEvents: unsupported,
    deliver: unsupported,
  };
}

/** A cookie jar for one host: enough of RFC 6265 for these tests (no domains, no paths). */
export class CookieJar {
  readonly cookies = new Map<string, string>();

  /** Apply every Set-Cookie of a response. */
  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const expired = attributes.some((attribute) => {
        const [key = '', val = ''] = attribute.split('=');
        if (key.toLowerCase() === 'max-age') return Number(val) <= 0;
        if (key.toLowerCase() === 'expires') return Date.parse(val) <= Date.now();
        return false;
      });
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  /** fetch with manual redirects, sending and storing cookies. */
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) headers.set('cookie', this.header());
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.store(response);
    return response;
  }
}

/** Decode a token segment (padded base64url) as JSON. */
export function decodeJson(segment: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** The single value of a header in a multi-value ALB event. */
export function eventHeader(event: Record<string, unknown>, name: string): string | undefined {
  const headers = event.multiValueHeaders as Record<string, string[]> | undefined;
  const values = headers?.[name];
  return values?.at(-1);
}
