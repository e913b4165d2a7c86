import { describe, expect, it } from '@jest/globals';
import { MAX_AIRFLOW_USER, roleNameLeavesRoomForHash } from '../../../../functions/authenticator/identity.ts';
import type {
  RoleAssumer,
  RoleCredentials,
  WebLoginMinter,
} from '../../../../functions/authenticator/login.ts';
import {
  airflowLoginUrl,
  createLoginService,
  sessionNameFor,
} from '../../../../functions/authenticator/login.ts';

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

const ada = { email: 'ada@example.com' };
const adaName = sessionNameFor(ada);

describe('Function: sessionNameFor', () => {
  it('is a hash of the identity plus the readable address, within what STS accepts', () => {
    expect(sessionNameFor({ email: 'ada.lovelace+ops@example.com' })).toMatch(
      /^[0-9a-f]{16}\.ada\.lovelace\+ops@example\.com$/,
    );
    expect(sessionNameFor({ email: "o'brien/x y@example.com" })).toMatch(
      /^[0-9a-f]{16}\.o-brien-x-y@example\.com$/,
    );
    for (const email of [`${'a'.repeat(80)}@example.com`, 'a@b', 'ü@example.com']) {
      const name = sessionNameFor({ email });
      expect(name.length).toBeLessThanOrEqual(64);
      expect(name.length).toBeGreaterThanOrEqual(2);
      expect(name).toMatch(/^[\w+=,.@-]+$/);
    }
  });

  it('never gives two people the same name, even when their addresses sanitise or truncate alike', () => {
    // Before: both became "o-brien@example.com" / the same first 64 characters.
    expect(sessionNameFor({ email: "o'brien@example.com" })).not.toBe(
      sessionNameFor({ email: 'o/brien@example.com' }),
    );
    const long = 'a'.repeat(70);
    expect(sessionNameFor({ email: `${long}1@example.com` })).not.toBe(
      sessionNameFor({ email: `${long}2@example.com` }),
    );
  });

  it('keeps people apart in Airflow user names, which MWAA cuts at 64 characters', () => {
    const airflowUser = (email: string) =>
      `assumed-role/mwaa-ops-sso-Viewer/${sessionNameFor({ email })}`.slice(0, MAX_AIRFLOW_USER);
    const long = 'firstname.middlename.lastname';
    expect(airflowUser(`${long}@example.com`)).not.toBe(airflowUser(`${long}@example.org`));
    expect(roleNameLeavesRoomForHash('mwaa-ops-sso-Viewer')).toBe(true);
    expect(roleNameLeavesRoomForHash(`${'s'.repeat(24)}-sso-Public`)).toBe(false);
  });

  it('derives the name from issuer + subject when the IdP sends one', () => {
    const bySubject = sessionNameFor({ email: 'ada@example.com', issuer: 'https://idp', subject: '42' });
    expect(bySubject).not.toBe(adaName);
    expect(
      sessionNameFor({ email: 'ada.renamed@example.com', issuer: 'https://idp', subject: '42' }).slice(0, 16),
    ).toBe(bySubject.slice(0, 16));
    expect(sessionNameFor({ email: 'ada@example.com', issuer: 'https://other-idp', subject: '42' })).not.toBe(
      bySubject,
    );
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
    const result = await service.login(ada, 'prod', 'Viewer');
    expect(result.location).toBe(
      'https://abc.c1.eu-west-1.airflow.amazonaws.com/aws_mwaa/aws-console-sso?login=true#tok-1',
    );
    expect(assumed).toEqual([
      expect.objectContaining({
        roleArn: ROLE_ARNS.Viewer,
        sessionName: adaName,
        sourceIdentity: adaName,
      }),
    ]);
    expect(minted).toEqual([{ accessKeyId: 'AKIA1', environment: 'prod' }]);
  });

  it('reuses credentials per (role, user), sharing one AssumeRole between concurrent logins', async () => {
    const { service, assumed, minted } = fakes();
    await Promise.all([1, 2, 3].map(() => service.login(ada, 'prod', 'User')));
    await service.login(ada, 'dev', 'User');
    await service.login({ email: 'bo@example.com' }, 'prod', 'User');
    await service.login(ada, 'prod', 'Admin');
    const bo = sessionNameFor({ email: 'bo@example.com' });
    expect(assumed.map((a) => `${a.sessionName} ${a.roleArn.split('-').at(-1)}`)).toEqual([
      `${adaName} User`,
      `${bo} User`,
      `${adaName} Admin`,
    ]);
    expect(minted).toHaveLength(6);
  });

  it('renews credentials shortly before they expire', async () => {
    const { service, assumed, clock } = fakes(3_600_000);
    await service.login(ada, 'prod', 'User');
    clock.now = 3_600_000 - 4 * 60_000; // inside the 5-minute margin
    await service.login(ada, 'prod', 'User');
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
    await expect(service.login(ada, 'prod', 'User')).rejects.toThrow('throttled');
    fail = false;
    await expect(service.login(ada, 'prod', 'User')).resolves.toMatchObject({ sessionName: adaName });
  });

  it('never shares cached credentials between two people whose addresses sanitise alike', async () => {
    const { service, assumed } = fakes();
    await service.login({ email: "o'brien@example.com" }, 'prod', 'Admin');
    await service.login({ email: 'o/brien@example.com' }, 'prod', 'Admin');
    expect(assumed).toHaveLength(2);
    expect(new Set(assumed.map((a) => a.sessionName)).size).toBe(2);
  });
});
