/** `mwaa-ops rbac`: who may enter which environment as which Airflow role (RbacTable). */
import type { Command } from 'commander';
import { registerGroup } from './group.ts';

export function registerRbac(program: Command): Command {
  return registerGroup(program, {
    name: 'rbac',
    summary: 'who may open which Airflow UI, in which role',
    description:
      'Manage access to the Airflow UI through the SSO authenticator. A grant gives a user ' +
      '(user#<email>) or an identity-provider group (group#<name>) Airflow roles (Admin, Op, ' +
      'User, Viewer, Public) on one environment or on all (env#*), optionally until a date.',
    planned: 'list grants, grant and revoke roles, explain what a given user may open.',
  });
}
