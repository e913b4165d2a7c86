/**
 * The CLI as a package: `npm run pack:cli` builds the tarball, `npm install -g --offline` puts it
 * in a temporary prefix with an empty npm cache (what a fresh machine has), and the installed
 * `mwaa-ops` runs as a separate process — `--help`, and real commands against the local cloud
 * through its connection file.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { LOCAL_ACCOUNT_ID } from '../../../local/core/aws.ts';
import { type LocalCloud, startLocalCloud } from '../../../local/index.ts';
import { packCli } from '../../../scripts/pack-cli.ts';

const run = promisify(execFile);

let dir: string;
let prefix: string;
let cloud: LocalCloud;
let connectionFile: string;
let tarball: string;

/** Every file below `path`, relative to it. */
function filesUnder(path: string, base = path): string[] {
  return readdirSync(path).flatMap((name) => {
    const full = join(path, name);
    return statSync(full).isDirectory() ? filesUnder(full, base) : [full.slice(base.length + 1)];
  });
}

// Only the Node running the tests (Node 24) on the PATH: the bin's `#!/usr/bin/env node` finds it.
const childEnv = () => ({
  PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
  HOME: dir,
  NO_COLOR: '1',
});

async function mwaaOps(...args: string[]) {
  try {
    const { stdout, stderr } = await run(join(prefix, 'bin', 'mwaa-ops'), args, { env: childEnv() });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mwaa-ops-package-'));
  prefix = join(dir, 'prefix');
  tarball = await packCli(dir);
  await run(
    'npm',
    [
      'install',
      '-g',
      '--prefix',
      prefix,
      tarball,
      '--offline',
      '--no-audit',
      '--no-fund',
      '--cache',
      join(dir, 'npm-cache'),
    ],
    { env: { ...process.env, ...childEnv() } },
  );
  cloud = await startLocalCloud({ clockSpeed: 2000 });
  connectionFile = join(dir, 'local-cloud.json');
  writeFileSync(connectionFile, JSON.stringify(cloud.connectionFile()));
}, 180_000);

afterAll(async () => {
  await cloud?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the mwaa-ops package', () => {
  it('installs offline as compiled JavaScript with no dependencies', () => {
    const installed = join(prefix, 'lib', 'node_modules', 'mwaa-ops');
    const files = filesUnder(installed).sort();
    expect(files).toEqual(['README.md', 'bin/mwaa-ops.mjs', 'docs/cli.md', 'package.json']);
    expect(files.some((file) => file.endsWith('.ts'))).toBe(false);
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    expect(manifest.dependencies).toBeUndefined();
    expect(manifest.bin).toEqual({ 'mwaa-ops': 'bin/mwaa-ops.mjs' });
    expect(
      readFileSync(join(installed, 'bin', 'mwaa-ops.mjs'), 'utf8').startsWith('#!/usr/bin/env node\n'),
    ).toBe(true);
  });

  it('prints its help and version', async () => {
    const help = await mwaaOps('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: mwaa-ops');
    expect(help.stdout).toMatch(/^ {2}env attach <environment>/m);
    const version = await mwaaOps('--version');
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });

  it('runs through npx from the tarball, offline, without installing', async () => {
    const { stdout } = await run(
      'npx',
      [
        '--offline',
        '--yes',
        '--cache',
        join(dir, 'npx-cache'),
        '--package',
        tarball,
        'mwaa-ops',
        'report',
        'savings',
        '--help',
      ],
      { env: { ...process.env, ...childEnv() }, cwd: dir },
    );
    expect(stdout).toContain('Usage: mwaa-ops report savings [options] <environment>');
  }, 60_000);

  it('runs real commands against the local cloud', async () => {
    const whoami = await mwaaOps('--local', connectionFile, '--output', 'json', 'whoami');
    expect(whoami.stderr).toBe('');
    expect(whoami.code).toBe(0);
    expect(JSON.parse(whoami.stdout)).toMatchObject({ account: LOCAL_ACCOUNT_ID });
    const status = await mwaaOps('--local', connectionFile, 'env', 'status', 'pkg-dev');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/State\s+unknown \(not in the registry\)/);
    const attach = await mwaaOps('--local', connectionFile, 'env', 'attach', 'pkg-dev');
    expect(attach.code).toBe(1);
    expect(attach.stderr).toContain('NothingRunningError');
  }, 60_000);
});
