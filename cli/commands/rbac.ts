/**
 * `mwaa-ops rbac`: who may enter which environment as which Airflow role (RbacTable).
 *
 * - `grant`  adds roles to a (principal, environment) record; `--expires` sets the record's
 *   expiry (one per record), without it the record is permanent.
 * - `revoke` removes roles, or the whole record when no role is given or none is left.
 * - `list`   shows the records, optionally for one principal and/or environment.
 *
 * The table comes from `--table`, then `MWAA_OPS_RBAC_TABLE`, then the stack output
 * `RbacTableName` (the local cloud file carries it as `MWAA_OPS_OUTPUT_RbacTableName`).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Command } from 'commander';
import type { RbacGrant } from '../../functions/authenticator/rbac.ts';
import { environmentOf, isActive } from '../../functions/authenticator/rbac.ts';
import { dynamoRbacAdmin, type RbacAdmin } from '../../functions/authenticator/rbac-store.ts';
import { sortRoles } from '../../functions/authenticator/roles.ts';
import { sdkConfig } from '../clients.ts';
import type { CliContext } from '../context.ts';
import { jsonText } from '../output.ts';
import { environmentFrom, expiryFrom, principalFrom, rolesFrom } from '../rbac-input.ts';
import type { CommandRuntime } from '../runtime.ts';
import { stackOutputs } from '../stack-outputs.ts';
import { registerGroup } from './group.ts';

export const RBAC_TABLE_VARIABLE = 'MWAA_OPS_RBAC_TABLE';

/** Builds the table access for a context and table name; tests may replace it. */
export type RbacAdminFactory = (context: CliContext, tableName: string) => RbacAdmin;

export const sdkRbacAdmin: RbacAdminFactory = (context, tableName) =>
  dynamoRbacAdmin(DynamoDBDocumentClient.from(new DynamoDBClient(sdkConfig(context, 'DYNAMODB'))), tableName);

async function tableName(context: CliContext, option: string | undefined): Promise<string> {
  const explicit = option?.trim() || context.env[RBAC_TABLE_VARIABLE]?.trim();
  if (explicit) return explicit;
  return stackOutputs(context)('RbacTableName');
}

function describeExpiry(grant: RbacGrant, nowSeconds: number): string {
  if (grant.expiresAt === undefined) return 'never';
  const when = new Date(grant.expiresAt * 1000).toISOString().replace('.000Z', 'Z');
  return isActive(grant, nowSeconds) ? when : `${when} (expired)`;
}

function grantJson(grant: RbacGrant, nowSeconds: number) {
  return {
    principal: grant.principal,
    environment: environmentOf(grant.environment) ?? grant.environment,
    roles: grant.roles,
    ...(grant.expiresAt === undefined
      ? {}
      : { expiresAt: new Date(grant.expiresAt * 1000).toISOString(), expired: !isActive(grant, nowSeconds) }),
  };
}

function grantTable(grants: readonly RbacGrant[], nowSeconds: number): string {
  const rows = grants.map((g) => [
    g.principal,
    environmentOf(g.environment) ?? g.environment,
    g.roles.join(','),
    describeExpiry(g, nowSeconds),
  ]);
  const header = ['PRINCIPAL', 'ENVIRONMENT', 'ROLES', 'EXPIRES'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [header, ...rows]
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
    .concat('\n');
}

interface CommonOptions {
  user?: string;
  group?: string;
  env?: string;
  role?: string[];
  expires?: string;
  table?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerRbac(
  program: Command,
  runtime?: CommandRuntime,
  adminFor: RbacAdminFactory = sdkRbacAdmin,
  now: () => number = Date.now,
): Command {
  const group = registerGroup(program, {
    name: 'rbac',
    summary: 'who may open which Airflow UI, in which role',
    description:
      'Manage access to the Airflow UI through the SSO authenticator. A grant gives a user ' +
      '(user#<email>) or an identity-provider group (group#<name>) Airflow roles (Admin, Op, ' +
      'User, Viewer, Public) on one environment or on all (env#*), optionally until a date.',
  });
  if (runtime === undefined) return group;

  const withTarget = (command: Command) =>
    command
      .option('--user <email>', 'a person, by the verified e-mail their identity provider sends')
      .option('--group <name>', 'an identity-provider group (from the groups claim)')
      .option(
        '--table <name>',
        `RbacTable name (default: ${RBAC_TABLE_VARIABLE}, then the stack output RbacTableName)`,
      );

  withTarget(group.command('grant'))
    .summary('give a user or group Airflow roles on an environment')
    .requiredOption('--env <name>', 'MWAA environment name, or "*" for every environment')
    .option('--role <role>', 'Admin, Op, User, Viewer or Public (repeat, or comma-separate)', collect)
    .option('--expires <when>', 'ISO 8601 date/time or a duration (12h, 30d, 2w); default never')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  $ mwaa-ops rbac grant --user ada@example.com --env prod --role Viewer',
        '  $ mwaa-ops rbac grant --group data-eng --env "*" --role User,Viewer',
        '  $ mwaa-ops rbac grant --user oncall@example.com --env prod --role Op --expires 12h',
      ].join('\n'),
    )
    .action(async (options: CommonOptions, command: Command) => {
      const principal = principalFrom(options, true) as string;
      const environment = environmentFrom(options.env, true) as string;
      const roles = rolesFrom(options.role, true);
      const expiresAt = expiryFrom(options.expires, now());
      const context = runtime.context(command);
      const admin = adminFor(context, await tableName(context, options.table));
      const existing = await admin.get({ principal, environment });
      const merged = sortRoles([...(existing?.roles ?? []), ...roles]);
      const grant: RbacGrant = {
        principal,
        environment,
        roles: merged,
        ...(expiresAt === undefined ? {} : { expiresAt }),
      };
      await admin.put(grant);
      const nowSeconds = now() / 1000;
      if (context.output === 'json') runtime.out(jsonText(grantJson(grant, nowSeconds)));
      else runtime.out(`granted ${grantTable([grant], nowSeconds).split('\n')[1]}\n`);
    });

  withTarget(group.command('revoke'))
    .summary('take roles (or the whole grant) away')
    .requiredOption('--env <name>', 'MWAA environment name, or "*"')
    .option('--role <role>', 'roles to remove (repeat, or comma-separate); default the whole grant', collect)
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  $ mwaa-ops rbac revoke --user ada@example.com --env prod              the whole grant',
        '  $ mwaa-ops rbac revoke --group data-eng --env "*" --role User',
      ].join('\n'),
    )
    .action(async (options: CommonOptions, command: Command) => {
      const principal = principalFrom(options, true) as string;
      const environment = environmentFrom(options.env, true) as string;
      const roles = rolesFrom(options.role, false);
      const context = runtime.context(command);
      const admin = adminFor(context, await tableName(context, options.table));
      const existing = await admin.get({ principal, environment });
      let remaining: RbacGrant | undefined;
      if (existing && roles.length > 0) {
        const left = existing.roles.filter((role) => !roles.includes(role));
        if (left.length > 0) remaining = { ...existing, roles: left };
      }
      if (existing === undefined) {
        // Nothing to do is not a failure: revoking twice leaves the same state.
      } else if (remaining) {
        await admin.put(remaining);
      } else {
        await admin.delete({ principal, environment });
      }
      const result = {
        principal,
        environment: environmentOf(environment) ?? environment,
        existed: existing !== undefined,
        remainingRoles: remaining?.roles ?? [],
      };
      if (context.output === 'json') runtime.out(jsonText(result));
      else if (!existing)
        runtime.out(`no grant for ${principal} on ${result.environment}; nothing changed\n`);
      else if (remaining)
        runtime.out(`revoked; ${principal} keeps ${remaining.roles.join(',')} on ${result.environment}\n`);
      else runtime.out(`revoked every role of ${principal} on ${result.environment}\n`);
    });

  withTarget(group.command('list'))
    .summary('show grants, optionally for one user, group or environment')
    .option('--env <name>', 'only this environment (or "*")')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  $ mwaa-ops rbac list',
        '  $ mwaa-ops rbac list --user ada@example.com --output json',
      ].join('\n'),
    )
    .action(async (options: CommonOptions, command: Command) => {
      const principal = principalFrom(options, false);
      const environment = environmentFrom(options.env, false);
      const context = runtime.context(command);
      const admin = adminFor(context, await tableName(context, options.table));
      const grants = (await admin.all()).filter(
        (g) =>
          (principal === undefined || g.principal === principal) &&
          (environment === undefined || g.environment === environment),
      );
      const nowSeconds = now() / 1000;
      if (context.output === 'json') runtime.out(jsonText(grants.map((g) => grantJson(g, nowSeconds))));
      else if (grants.length === 0) runtime.out('no grants\n');
      else runtime.out(grantTable(grants, nowSeconds));
    });

  return group;
}
