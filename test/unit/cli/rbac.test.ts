import { describe, expect, it } from '@jest/globals';
import { Command } from 'commander';
import { registerRbac } from '../../../cli/commands/rbac.ts';
import { environmentFrom, expiryFrom, principalFrom, rolesFrom } from '../../../cli/rbac-input.ts';
import { createRuntime } from '../../../cli/runtime.ts';
import type { RbacGrant, RbacKey } from '../../../functions/authenticator/rbac.ts';
import type { RbacAdmin } from '../../../functions/authenticator/rbac-store.ts';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);

function memoryAdmin(initial: RbacGrant[] = []) {
  const rows = new Map<string, RbacGrant>(initial.map((g) => [`${g.principal} ${g.environment}`, g]));
  const key = (k: RbacKey) => `${k.principal} ${k.environment}`;
  const admin: RbacAdmin & { rows: typeof rows } = {
    rows,
    async put(grant) {
      rows.set(key(grant), grant);
    },
    async delete(k) {
      const old = rows.get(key(k));
      rows.delete(key(k));
      return old;
    },
    async get(k) {
      return rows.get(key(k));
    },
    async all() {
      return [...rows.values()];
    },
  };
  return admin;
}

async function run(args: string[], admin: RbacAdmin, env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const tables: string[] = [];
  const program = new Command('mwaa-ops')
    .exitOverride()
    .configureOutput({ writeOut: (t) => (out += t), writeErr: (t) => (err += t) })
    .option('--stack <name>', 'stack', 'mwaa-ops')
    .option('--output <format>', 'format', 'text')
    .option('--no-color', 'no colours');
  const runtime = createRuntime({
    out: (t) => (out += t),
    err: (t) => (err += t),
    clients: () => {
      throw new Error('not used');
    },
    sources: { env, cwd: '/', projectRoot: '/', readFile: () => '', stdoutIsTTY: false },
  });
  registerRbac(
    program,
    runtime,
    (_context, table) => {
      tables.push(table);
      return admin;
    },
    () => NOW,
  );
  let error: unknown;
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    error = e;
  }
  return { out, err, error, tables };
}

describe('Function: rbac argument validation', () => {
  it('builds principals and environment keys', () => {
    expect(principalFrom({ user: 'Ada@Example.com' }, true)).toBe('user#ada@example.com');
    expect(principalFrom({ group: 'data-eng' }, true)).toBe('group#data-eng');
    expect(environmentFrom('prod', true)).toBe('env#prod');
    expect(environmentFrom('*', true)).toBe('env#*');
  });

  it.each([
    [() => principalFrom({ user: 'a@b.c', group: 'g' }, true), 'not both'],
    [() => principalFrom({}, true), '--user'],
    [() => principalFrom({ user: 'not-an-email' }, true), 'e-mail'],
    [() => environmentFrom('prod/../x', true), 'MWAA environment name'],
    [() => environmentFrom('prod*', true), 'MWAA environment name'],
    [() => rolesFrom(['admin'], true), 'did you mean Admin'],
    [() => rolesFrom(['Operator'], true), 'unknown Airflow role'],
    [() => rolesFrom([], true), 'at least one'],
    [() => expiryFrom('tomorrow', NOW), 'ISO 8601'],
    [() => expiryFrom('2020-01-01', NOW), 'future'],
  ])('rejects bad input (%#)', (call, message) => {
    expect(call).toThrow(message);
  });

  it('reads roles repeated or comma-separated, and expiry as a date or a duration', () => {
    expect(rolesFrom(['Viewer,Admin', 'Op'], true)).toEqual(['Admin', 'Op', 'Viewer']);
    expect(expiryFrom('12h', NOW)).toBe(NOW / 1000 + 12 * 3600);
    expect(expiryFrom('2026-12-31T00:00:00Z', NOW)).toBe(Date.UTC(2026, 11, 31) / 1000);
  });
});

describe('CLI: rbac', () => {
  it('grants roles, merging them into an existing grant', async () => {
    const admin = memoryAdmin([
      { principal: 'user#ada@example.com', environment: 'env#prod', roles: ['Viewer'] },
    ]);
    const result = await run(
      ['rbac', 'grant', '--user', 'ada@example.com', '--env', 'prod', '--role', 'User', '--table', 'T'],
      admin,
    );
    expect(result.error).toBeUndefined();
    expect(result.tables).toEqual(['T']);
    expect(admin.rows.get('user#ada@example.com env#prod')?.roles).toEqual(['User', 'Viewer']);
    expect(result.out).toContain('granted user#ada@example.com  prod');
  });

  it('grants a group on every environment until a date, table from MWAA_OPS_RBAC_TABLE', async () => {
    const admin = memoryAdmin();
    const result = await run(
      ['rbac', 'grant', '--group', 'data-eng', '--env', '*', '--role', 'Op', '--expires', '30d'],
      admin,
      { MWAA_OPS_RBAC_TABLE: 'FromEnv' },
    );
    expect(result.error).toBeUndefined();
    expect(result.tables).toEqual(['FromEnv']);
    expect(admin.rows.get('group#data-eng env#*')).toEqual({
      principal: 'group#data-eng',
      environment: 'env#*',
      roles: ['Op'],
      expiresAt: NOW / 1000 + 30 * 86_400,
    });
  });

  it('refuses an unknown role without touching the table', async () => {
    const admin = memoryAdmin();
    const result = await run(
      ['rbac', 'grant', '--user', 'a@b.c', '--env', 'prod', '--role', 'Superuser', '--table', 'T'],
      admin,
    );
    expect((result.error as Error).name).toBe('UsageError');
    expect(result.tables).toEqual([]);
    expect(admin.rows.size).toBe(0);
  });

  it('revokes some roles, then the rest, and is harmless when nothing is left', async () => {
    const admin = memoryAdmin([
      { principal: 'user#ada@example.com', environment: 'env#prod', roles: ['Op', 'Viewer'] },
    ]);
    const base = ['rbac', 'revoke', '--user', 'ada@example.com', '--env', 'prod', '--table', 'T'];
    expect((await run([...base, '--role', 'Op'], admin)).out).toContain('keeps Viewer');
    expect(admin.rows.get('user#ada@example.com env#prod')?.roles).toEqual(['Viewer']);
    expect((await run(base, admin)).out).toContain('revoked every role');
    expect(admin.rows.size).toBe(0);
    expect((await run(base, admin)).out).toContain('nothing changed');
  });

  it('lists grants with expiry, filtered, as text or JSON', async () => {
    const admin = memoryAdmin([
      { principal: 'user#ada@example.com', environment: 'env#prod', roles: ['Viewer'] },
      { principal: 'group#ops', environment: 'env#*', roles: ['Op'], expiresAt: NOW / 1000 - 60 },
    ]);
    const text = await run(['rbac', 'list', '--table', 'T'], admin);
    expect(text.out).toContain('PRINCIPAL');
    expect(text.out).toContain('(expired)');
    const json = await run(['--output', 'json', 'rbac', 'list', '--group', 'ops', '--table', 'T'], admin);
    expect(JSON.parse(json.out)).toEqual([
      {
        principal: 'group#ops',
        environment: '*',
        roles: ['Op'],
        expiresAt: '2026-11-26T11:59:00.000Z',
        expired: true,
      },
    ]);
  });
});
