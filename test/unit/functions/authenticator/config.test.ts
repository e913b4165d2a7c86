import { describe, expect, it } from '@jest/globals';
import { readConfig } from '../../../../functions/authenticator/config.ts';
import { rolesFor } from '../../../../functions/authenticator/rbac.ts';
import { dynamoRbacStore } from '../../../../functions/authenticator/rbac-store.ts';

const ENV = {
  AWS_REGION: 'eu-west-1',
  ALB_ARNS: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/a/1, arn:b',
  OIDC_ISSUER: 'https://idp.example.com',
  OIDC_CLIENT_ID: 'client',
  RBAC_TABLE_NAME: 'Rbac',
  LOGIN_ROLE_ARN_ADMIN: 'arn:aws:iam::123456789012:role/s-sso-Admin',
  LOGIN_ROLE_ARN_OP: 'arn:aws:iam::123456789012:role/s-sso-Op',
  LOGIN_ROLE_ARN_USER: 'arn:aws:iam::123456789012:role/s-sso-User',
  LOGIN_ROLE_ARN_VIEWER: 'arn:aws:iam::123456789012:role/s-sso-Viewer',
  LOGIN_ROLE_ARN_PUBLIC: 'arn:aws:iam::123456789012:role/s-sso-Public',
};

describe('Function: readConfig (authenticator)', () => {
  it('reads the docs/architecture.md §4 variables with the regional key endpoint as default', () => {
    const config = readConfig({ ...ENV, OIDC_LOGOUT_URL: '' });
    expect(config.albArns).toEqual([
      'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/a/1',
      'arn:b',
    ]);
    expect(config.publicKeyEndpoint).toBe('https://public-keys.auth.elb.eu-west-1.amazonaws.com');
    expect(config.groupsClaim).toBe('groups');
    expect(config.logoutUrl).toBeUndefined();
    expect(config.loginRoleArns.Op).toBe('arn:aws:iam::123456789012:role/s-sso-Op');
  });

  it.each([
    ['ALB_ARNS', ''],
    ['OIDC_ISSUER', ''],
    ['RBAC_TABLE_NAME', ''],
    ['LOGIN_ROLE_ARN_VIEWER', ''],
    ['LOGIN_ROLE_ARN_ADMIN', 'not-an-arn'],
    ['ALB_PUBLIC_KEY_ENDPOINT', 'ftp://keys'],
  ])('fails at cold start naming %s when it is %j', (name, value) => {
    expect(() => readConfig({ ...ENV, [name]: value })).toThrow(name);
  });
});

describe('Function: dynamoRbacStore', () => {
  it('asks with BatchGetItem, retries unprocessed keys, and splits above 100 keys', async () => {
    const requests: Array<Array<Record<string, string>>> = [];
    let first = true;
    const client = {
      async send(command: {
        input: { RequestItems: Record<string, { Keys: Array<Record<string, string>> }> };
      }) {
        const keys = command.input.RequestItems.Rbac?.Keys ?? [];
        requests.push(keys);
        // The first batch leaves its last key unprocessed, as DynamoDB may under load.
        const unprocessed = first ? keys.slice(-1) : [];
        first = false;
        const processed = keys.slice(0, keys.length - unprocessed.length);
        return {
          Responses: {
            Rbac: processed
              .filter((k) => k.environment === 'env#*')
              .map((k) => ({ ...k, roles: new Set(['Viewer']) })),
          },
          UnprocessedKeys: unprocessed.length > 0 ? { Rbac: { Keys: unprocessed } } : {},
        };
      },
    };
    const store = dynamoRbacStore(client as never, 'Rbac');
    const groups = Array.from({ length: 60 }, (_, i) => `g${i}`);
    const roles = await rolesFor(store, { email: 'a@b.c', groups }, 'prod', 0);
    expect(roles).toEqual(['Viewer']);
    // 61 principals × 2 environments = 122 keys: batches of 100 and 22, plus one retry of 1 key.
    expect(requests.map((keys) => keys.length).sort((a, b) => a - b)).toEqual([1, 22, 100]);
  });
});
