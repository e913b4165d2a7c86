import { describe, expect, it } from '@jest/globals';
import type { RoleAssumer, RoleCredentials, WebLoginMinter } from '../../functions/authenticator/login.ts';
import { airflowLoginUrl, createLoginService, sessionNameFor } from '../../functions/authenticator/login.ts';

const ROLE_ARNS = {
  Admin: 'arn:aws:iam::123456789012:role/mwaa-ops-sso-Admin',
  Op: 'arn:aws:iam::123456789012:role/mwaa-ops-sso-Op',
  User: 'arn:aws:iam::123456789012:role/mwaa-ops-sso-User',
  Viewer: 'arn:aws:iam::123456789012:role/mwaa-ops-sso-Viewer',
  Public: 'arn:aws:iam::123456789012:role/mwaa-ops-sso-Public',
};

function fakes(lifetimeMs = 3_600_000, clock = { now: 0 }) {
  const assumed: Array<{ roleArn: string; sessionName: string; sourceIdentity: string }> = [];
  const minted: Array<{ accessKeyId: string; environment: string }> = [];
  const assumer: RoleAssumer = {
    async assume(input) {
      assumed.push(input);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return {
        accessKeyId: `AKIA${assumed.length}`,
        secretAccessKey: 's',
        sessionToken: 't',
        expiration: new Date(clock.now + lifetimeMs),
      } satisfies RoleCredentials;
    },
  };
  const minter: WebLoginMinter = {
    async mint(credentials, environment) {
      minted.push({ accessKeyId: credentials.accessKeyId, environment });
      return {
        webServerHostname: 'abc.c1.eu-west-1.airflow.amazonaws.com',
        webToken: `tok-${minted.length}`,
      };
    },
  };
  const service = createLoginService({
    assumer,
    minter,
    roleArns: ROLE_ARNS,
    sessionDurationSeconds: 3600,
    now: () => clock.now,
  });
  return { service, assumed, minted, clock };
}

describe('Function: sessionNameFor', () => {
  it('keeps an e-mail that STS accepts and replaces what it does not', () => {
    expect(sessionNameFor('ada.lovelace+ops@example.com')).toBe('ada.lovelace+ops@example.com');
    expect(sessionNameFor("o'brien/x y@example.com")).toBe('o-brien-x-y@example.com');
    expect(sessionNameFor(`${'a'.repeat(80)}@example.com`)).toHaveLength(64);
    expect(sessionNameFor('a')).toBe('a-');
  });
});

describe('Function: airflowLoginUrl', () => {
  it('builds the MWAA login URL from the API hostname', () => {
    expect(airflowLoginUrl({ webServerHostname: 'abc.airflow.amazonaws.com', webToken: 'x.y-z' })).toBe(
      'https://abc.airflow.amazonaws.com/aws_mwaa/aws-console-sso?login=true#x.y-z',
    );
    expect(airflowLoginUrl({ webServerHostname: '127.0.0.1:4000', webToken: 'tok' })).toBe(
      'http://127.0.0.1:4000/aws_mwaa/aws-console-sso?login=true#tok',
    );
  });

  it('refuses a hostname or token that could change the URL', () => {
    expect(() => airflowLoginUrl({ webServerHostname: 'evil.com/x?', webToken: 't' })).toThrow('502');
    expect(() => airflowLoginUrl({ webServerHostname: 'a.b', webToken: 'a\r\nSet-Cookie: x' })).toThrow(
      '502',
    );
  });
});

describe('Function: createLoginService', () => {
  it('assumes the role of the requested Airflow role with the user as session name and source identity', async () => {
    const { service, assumed, minted } = fakes();
    const result = await service.login('ada@example.com', 'prod', 'Viewer');
    expect(result.location).toBe(
      'https://abc.c1.eu-west-1.airflow.amazonaws.com/aws_mwaa/aws-console-sso?login=true#tok-1',
    );
    expect(assumed).toEqual([
      expect.objectContaining({
        roleArn: ROLE_ARNS.Viewer,
        sessionName: 'ada@example.com',
        sourceIdentity: 'ada@example.com',
      }),
    ]);
    expect(minted).toEqual([{ accessKeyId: 'AKIA1', environment: 'prod' }]);
  });

  it('reuses credentials per (role, user), sharing one AssumeRole between concurrent logins', async () => {
    const { service, assumed, minted } = fakes();
    await Promise.all([1, 2, 3].map(() => service.login('ada@example.com', 'prod', 'User')));
    await service.login('ada@example.com', 'dev', 'User');
    await service.login('bo@example.com', 'prod', 'User');
    await service.login('ada@example.com', 'prod', 'Admin');
    expect(assumed.map((a) => `${a.sessionName} ${a.roleArn.split('-').at(-1)}`)).toEqual([
      'ada@example.com User',
      'bo@example.com User',
      'ada@example.com Admin',
    ]);
    expect(minted).toHaveLength(6);
  });

  it('renews credentials shortly before they expire', async () => {
    const { service, assumed, clock } = fakes(3_600_000);
    await service.login('ada@example.com', 'prod', 'User');
    clock.now = 3_600_000 - 4 * 60_000; // inside the 5-minute margin
    await service.login('ada@example.com', 'prod', 'User');
    expect(assumed).toHaveLength(2);
  });

  it('does not cache a failed AssumeRole', async () => {
    let fail = true;
    const service = createLoginService({
      assumer: {
        async assume() {
          if (fail) throw new Error('throttled');
          return {
            accessKeyId: 'A',
            secretAccessKey: 's',
            sessionToken: 't',
            expiration: new Date(Date.now() + 3_600_000),
          };
        },
      },
      minter: { mint: async () => ({ webServerHostname: 'a.b', webToken: 't' }) },
      roleArns: ROLE_ARNS,
      sessionDurationSeconds: 3600,
    });
    await expect(service.login('ada@example.com', 'prod', 'User')).rejects.toThrow('throttled');
    fail = false;
    await expect(service.login('ada@example.com', 'prod', 'User')).resolves.toMatchObject({
      sessionName: 'ada@example.com',
    });
  });
});
