/** Chapter: a person signs in through the ALB and lands in Airflow with the role RBAC grants. */
import { dynamoRbacAdmin } from '../functions/authenticator/rbac-store.ts';
import type { LocalCloud } from '../local/index.ts';
import { ScriptedBrowser } from './browser.ts';
import type { DemoClients } from './clients.ts';
import { DEMO_ENVIRONMENT } from './environment.ts';
import type { Narrator } from './narrator.ts';

export async function ssoChapter(cloud: LocalCloud, clients: DemoClients, narrator: Narrator) {
  narrator.chapter(
    'Browser SSO into Airflow',
    'The ALB authenticates with the identity provider; the authenticator checks the signed token and RbacTable, then mints an MWAA web login token.',
  );
  if (!cloud.model.functions.some((f) => f.logicalId === 'AuthenticatorFunction')) {
    await narrator.step('SSO is part of the template', async () => {
      throw new Error('AuthenticatorFunction is not in the template (EnableSso=false?)');
    });
    return;
  }
  const loginPath = `/aws_mwaa/aws-console-sso?mwaa_env=${DEMO_ENVIRONMENT}&rbac_role=Op`;

  await narrator.step('grant ana@example.com the Op role on data-dev', async () => {
    await dynamoRbacAdmin(clients.ddb, cloud.ref('RbacTable')).put({
      principal: 'user#ana@example.com',
      environment: `env#${DEMO_ENVIRONMENT}`,
      roles: ['Op'],
    });
    return 'RbacTable: user#ana@example.com / env#data-dev → {Op}';
  });

  await narrator.step('ana signs in through the ALB and lands in Airflow as Op', async () => {
    const browser = new ScriptedBrowser();
    const { url, response } = await browser.open(`${cloud.alb.url}${loginPath}`, 'ana@example.com');
    const page = await response.text();
    if (response.status !== 200 || !/ana@example\.com/.test(page) || !/\bOp\b/.test(page)) {
      throw new Error(`expected the Airflow home page for ana as Op, got HTTP ${response.status} at ${url}`);
    }
    return `ALB → IdP → ALB (x-amzn-oidc-data) → AuthenticatorFunction → CreateWebLoginToken → ${new URL(url).origin}/home`;
  });

  await narrator.step('bob has no grant: 403', async () => {
    const browser = new ScriptedBrowser();
    const { response } = await browser.open(`${cloud.alb.url}${loginPath}`, 'bob@example.com');
    await response.text();
    if (response.status !== 403) throw new Error(`expected 403, got ${response.status}`);
    return 'the authenticator refused before assuming any role';
  });
}
