import { describe, expect, it } from '@jest/globals';
import { type CallerIdentity, type CliClients, type ClientFactory, sdkConfig } from '../../../cli/clients.ts';
import { registerGroup } from '../../../cli/commands/group.ts';
import {
  type ContextSources,
  type GlobalOptions,
  LocalCloudFileError,
  readLocalCloudFile,
  resolveContext,
} from '../../../cli/context.ts';
import { buildProgram, type CliDeps, normalizeArgs, runCli } from '../../../cli/main.ts';

const CALLER: CallerIdentity = {
  account: '123456789012',
  arn: 'arn:aws:sts::123456789012:assumed-role/Ops/alice@example.com',
  userId: 'AROAEXAMPLE:alice@example.com',
};

const LOCAL_FILE = JSON.stringify({
  AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:4599',
  AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4569',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
});

function sources(overrides: Partial<ContextSources> = {}): ContextSources {
  return {
    env: {},
    cwd: '/home/me/elsewhere',
    projectRoot: '/work/project',
    readFile: (path) => {
      throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
    },
    stdoutIsTTY: false,
    ...overrides,
  };
}

/** A fake STS that records the context each client was built for. */
function fakeClients(region = 'eu-west-1') {
  const contexts: Parameters<ClientFactory>[0][] = [];
  const factory: ClientFactory = (context): CliClients => {
    contexts.push(context);
    return { identity: () => ({ callerIdentity: async () => CALLER, region: async () => region }) };
  };
  return { factory, contexts };
}

async function run(args: string[], deps: Partial<CliDeps> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    clients: fakeClients().factory,
    sources: sources(),
    ...deps,
  });
  return { code, stdout, stderr };
}

const options = (overrides: Partial<GlobalOptions> = {}): GlobalOptions => ({
  stack: 'mwaa-ops',
  output: 'text',
  color: true,
  ...overrides,
});

describe('CLI: help and usage', () => {
  it('lists every command group in the top-level help and exits 0', async () => {
    const { code, stdout, stderr } = await run(['--help']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    for (const group of ['whoami', 'flows', 'dlq', 'rbac', 'env', 'backups', 'schedule', 'versions']) {
      expect(stdout).toMatch(new RegExp(`^  ${group}\\b`, 'm'));
    }
    expect(stdout).toContain('--local [file]');
    expect(stdout).toContain('Examples:');
    expect(stdout).toMatch(/^ {2}dlq list\b/m);
    expect(stdout).toMatch(/^ {2}dlq replay\b/m);
  });

  it('lists nested commands by their full path', async () => {
    let stdout = '';
    const program = buildProgram({
      stdout: (text) => {
        stdout += text;
      },
    });
    const full = registerGroup(program, { name: 'demo', summary: 's', description: 'd' });
    full.command('grant').description('grant roles');
    program.outputHelp();
    expect(stdout).toMatch(/^ {2}demo grant\s+grant roles$/m);
    // Help describes real commands only: no placeholder text for commands to come.
    expect(stdout).not.toMatch(/no\s+commands yet|planned/i);
  });

  it('exits 2 with a message for an unknown command', async () => {
    const { code, stdout, stderr } = await run(['frobnicate']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain("unknown command 'frobnicate'");
  });

  it('exits 2 for an invalid option value', async () => {
    const { code, stderr } = await run(['--output', 'yaml', 'whoami']);
    expect(code).toBe(2);
    expect(stderr).toContain("argument 'yaml' is invalid");
  });

  it('exits 2 for an unknown subcommand of a group, naming the group', async () => {
    const unknown = await run(['flows', 'frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate' for 'mwaa-ops flows'");
  });

  it('describes only real commands: no group help carries placeholder text', async () => {
    for (const group of ['flows', 'rbac', 'env', 'backups', 'schedule', 'versions', 'dlq', 'report']) {
      const { stdout } = await run([group, '--help']);
      expect(stdout).toContain(`Usage: mwaa-ops ${group}`);
      expect(stdout).not.toMatch(/planned|no commands yet/i);
    }
  });

  it('exits 2 when no command is given', async () => {
    const { code, stderr } = await run([]);
    expect(code).toBe(2);
    expect(stderr).toContain('Usage: mwaa-ops');
  });

  it('reads a bare --local followed by a command name as the flag, not as a file name', () => {
    expect(normalizeArgs(['--local', 'whoami'], ['whoami'])).toEqual(['--local=', 'whoami']);
    expect(normalizeArgs(['--local', 'cloud.json', 'whoami'], ['whoami'])).toEqual([
      '--local',
      'cloud.json',
      'whoami',
    ]);
  });
});

describe('CLI: whoami', () => {
  it('prints account, ARN, region and that no endpoint is overridden on AWS', async () => {
    const clients = fakeClients('eu-west-1');
    const { code, stdout, stderr } = await run(['whoami'], { clients: clients.factory });
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^Account +123456789012$/m);
    expect(stdout).toMatch(/^Identity +arn:aws:sts::123456789012:assumed-role\/Ops\/alice@example\.com$/m);
    expect(stdout).toMatch(/^Region +eu-west-1$/m);
    expect(stdout).toMatch(/^Target +AWS \(default credential chain\)$/m);
    expect(stdout).toMatch(/^Endpoints +none overridden/m);
    expect(clients.contexts[0]?.target).toEqual({ kind: 'aws' });
  });

  it('passes --region and --profile to the clients and prints JSON on request', async () => {
    const clients = fakeClients('ap-southeast-2');
    const { code, stdout } = await run(
      ['--region', 'ap-southeast-2', 'whoami', '--profile', 'ops', '--output', 'json'],
      { clients: clients.factory },
    );
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      account: '123456789012',
      arn: CALLER.arn,
      userId: CALLER.userId,
      region: 'ap-southeast-2',
      target: 'aws',
      profile: 'ops',
      endpoints: {},
    });
    expect(clients.contexts[0]).toMatchObject({
      region: 'ap-southeast-2',
      profile: 'ops',
      credentials: undefined,
    });
  });

  it('uses the local cloud file for endpoints and credentials with --local', async () => {
    const clients = fakeClients('us-east-1');
    const read: string[] = [];
    const { code, stdout } = await run(['--local', 'whoami'], {
      clients: clients.factory,
      sources: sources({
        readFile: (path) => {
          read.push(path);
          return LOCAL_FILE;
        },
      }),
    });
    expect(code).toBe(0);
    expect(read).toEqual(['/work/project/.mwaa-ops/local-cloud.json']);
    expect(stdout).toMatch(/^Target +local cloud \(\/work\/project\/\.mwaa-ops\/local-cloud\.json\)$/m);
    expect(stdout).toMatch(/^Endpoints +AWS_ENDPOINT_URL_S3=http:\/\/127\.0\.0\.1:4569$/m);
    expect(stdout).toMatch(/^ +AWS_ENDPOINT_URL_STS=http:\/\/127\.0\.0\.1:4599$/m);
    expect(clients.contexts[0]?.credentials).toEqual({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
  });

  it('reports a failing call as one line with the error name and exits 1', async () => {
    const failing: ClientFactory = () => ({
      identity: () => ({
        callerIdentity: async () => {
          throw Object.assign(new Error('The security token included in the request is expired\nretry'), {
            name: 'ExpiredToken',
          });
        },
        region: async () => 'us-east-1',
      }),
    });
    const { code, stdout, stderr } = await run(['whoami'], { clients: failing });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'mwaa-ops: ExpiredToken: The security token included in the request is expired retry\n',
    );
  });

  it('adds the stack trace only when debugging', async () => {
    const failing: ClientFactory = () => {
      throw new Error('boom');
    };
    const quiet = await run(['whoami'], { clients: failing });
    expect(quiet.stderr.trim().split('\n')).toHaveLength(1);
    const flagged = await run(['whoami', '--debug'], { clients: failing });
    expect(flagged.stderr).toContain('    at ');
    const viaEnv = await run(['whoami'], {
      clients: failing,
      sources: sources({ env: { MWAA_OPS_DEBUG: '1' } }),
    });
    expect(viaEnv.stderr).toContain('    at ');
  });
});

describe('CLI: --local file', () => {
  it('fails with a message naming the missing file, and the CLI exits 1', async () => {
    const { code, stderr } = await run(['whoami', '--local', 'tmp/cloud.json']);
    expect(code).toBe(1);
    expect(stderr).toBe(
      'mwaa-ops: LocalCloudFileError: Local cloud file not found: /home/me/elsewhere/tmp/cloud.json. ' +
        'Start the local cloud with --serve, or pass --local <file>.\n',
    );
  });

  it('looks for the default file in the project root and for an explicit one from the current directory', async () => {
    const read: string[] = [];
    const readFile = (path: string) => {
      read.push(path);
      return LOCAL_FILE;
    };
    for (const args of [
      ['whoami', '--local'],
      ['--local', 'whoami'],
      ['--local=', 'whoami'],
      ['whoami', '--local', 'c.json'],
    ]) {
      expect((await run(args, { sources: sources({ readFile }) })).code).toBe(0);
    }
    expect(read).toEqual([
      '/work/project/.mwaa-ops/local-cloud.json',
      '/work/project/.mwaa-ops/local-cloud.json',
      '/work/project/.mwaa-ops/local-cloud.json',
      '/home/me/elsewhere/c.json',
    ]);
  });

  it('rejects a file that is not a JSON object of strings, naming the file', () => {
    const read = (text: string) => () => text;
    expect(() => readLocalCloudFile('/f.json', read('{not json'))).toThrow(
      /Local cloud file \/f\.json is not valid JSON/,
    );
    expect(() => readLocalCloudFile('/f.json', read('[]'))).toThrow(/must hold a JSON object/);
    expect(() => readLocalCloudFile('/f.json', read('{"AWS_REGION": 1}'))).toThrow(
      /AWS_REGION must be a string/,
    );
    expect(() => readLocalCloudFile('/f.json', read('{"AWS_REGION": "us-east-1"}'))).toThrow(
      /names no endpoint/,
    );
    expect(() => readLocalCloudFile('/f.json', read('{"AWS_ENDPOINT_URL_S3": "localhost:1"}'))).toThrow(
      /AWS_ENDPOINT_URL_S3 must be an http\(s\) URL/,
    );
    expect(() => readLocalCloudFile('/f.json', read('{}'))).toThrow(LocalCloudFileError);
  });

  it('requires credentials in the file', () => {
    const readFile = () =>
      JSON.stringify({ AWS_ENDPOINT_URL: 'http://127.0.0.1:1', AWS_REGION: 'us-east-1' });
    expect(() => resolveContext(options({ local: '/c.json' }), sources({ readFile }))).toThrow(
      'Local cloud file /c.json must set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
    );
  });

  it('takes the region from the file unless --region is given', () => {
    const readFile = () => LOCAL_FILE;
    expect(resolveContext(options({ local: true }), sources({ readFile })).region).toBe('us-east-1');
    expect(resolveContext(options({ local: true, region: 'eu-west-1' }), sources({ readFile })).region).toBe(
      'eu-west-1',
    );
  });

  it('refuses --profile together with --local (usage error, exit 2)', async () => {
    const { code, stderr } = await run(['whoami', '--local', '--profile', 'ops'], {
      sources: sources({ readFile: () => LOCAL_FILE }),
    });
    expect(code).toBe(2);
    expect(stderr).toBe('mwaa-ops: UsageError: --profile and --local cannot be used together\n');
  });
});

describe('CLI: context on AWS', () => {
  it('falls back from --region to AWS_REGION to AWS_DEFAULT_REGION and lists endpoint overrides', () => {
    const env = {
      AWS_DEFAULT_REGION: 'eu-central-1',
      AWS_ENDPOINT_URL_MWAA: 'http://127.0.0.1:1',
      HOME: '/h',
    };
    const context = resolveContext(options(), sources({ env }));
    expect(context.region).toBe('eu-central-1');
    expect(context.endpoints).toEqual({ AWS_ENDPOINT_URL_MWAA: 'http://127.0.0.1:1' });
    expect(resolveContext(options(), sources({ env: { ...env, AWS_REGION: 'us-west-2' } })).region).toBe(
      'us-west-2',
    );
    expect(resolveContext(options({ region: 'sa-east-1' }), sources({ env })).region).toBe('sa-east-1');
  });

  it('uses colours only on a terminal, without --no-color and without NO_COLOR', () => {
    expect(resolveContext(options(), sources({ stdoutIsTTY: true })).color).toBe(true);
    expect(resolveContext(options(), sources({ stdoutIsTTY: false })).color).toBe(false);
    expect(resolveContext(options({ color: false }), sources({ stdoutIsTTY: true })).color).toBe(false);
    expect(resolveContext(options(), sources({ stdoutIsTTY: true, env: { NO_COLOR: '1' } })).color).toBe(
      false,
    );
  });

  it('follows no-color.org: only a non-empty NO_COLOR disables colours', () => {
    const tty = (env: Record<string, string>) =>
      resolveContext(options(), sources({ stdoutIsTTY: true, env })).color;
    expect(tty({ NO_COLOR: '' })).toBe(true);
    expect(tty({ NO_COLOR: '0' })).toBe(false);
    expect(tty({ NO_COLOR: 'false' })).toBe(false);
  });

  it('follows FORCE_COLOR as Node and supports-color read it: 0/false off, anything else on, even without a TTY', () => {
    const pipe = (env: Record<string, string>) =>
      resolveContext(options(), sources({ stdoutIsTTY: false, env })).color;
    const tty = (env: Record<string, string>) =>
      resolveContext(options(), sources({ stdoutIsTTY: true, env })).color;
    for (const on of ['', '1', '2', '3', 'true']) expect(pipe({ FORCE_COLOR: on })).toBe(true);
    for (const off of ['0', 'false', 'FALSE']) expect(tty({ FORCE_COLOR: off })).toBe(false);
    // NO_COLOR and the explicit --no-color still win over a FORCE_COLOR meant for other tools.
    expect(pipe({ FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(false);
    expect(
      resolveContext(options({ color: false }), sources({ stdoutIsTTY: true, env: { FORCE_COLOR: '3' } }))
        .color,
    ).toBe(false);
  });
});

describe('CLI: SDK client settings', () => {
  it('takes the endpoint from the context env map and region, profile, credentials from the context', () => {
    const local = resolveContext(options({ local: '/c.json' }), sources({ readFile: () => LOCAL_FILE }));
    expect(sdkConfig(local, 'STS')).toEqual({
      region: 'us-east-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      endpoint: 'http://127.0.0.1:4599',
    });
    const aws = resolveContext(options({ profile: 'ops' }), sources({ env: {} }));
    expect(sdkConfig(aws, 'STS')).toEqual({ profile: 'ops' });
  });
});

describe('CLI: command groups', () => {
  it('lets later issues add subcommands that dispatch normally', async () => {
    let stdout = '';
    const program = buildProgram({
      stdout: (text) => {
        stdout += text;
      },
      stderr: () => {},
    });
    const group = registerGroup(program, { name: 'demo', summary: 's', description: 'd' });
    group.command('list').action(() => {
      stdout += 'listed\n';
    });
    await program.parseAsync(['demo', 'list'], { from: 'user' });
    expect(stdout).toBe('listed\n');
  });

  it('prints the group help as a usage error when a group with commands is run alone', async () => {
    let stderr = '';
    const program = buildProgram({
      stdout: () => {},
      stderr: (text) => {
        stderr += text;
      },
    });
    registerGroup(program, { name: 'demo', summary: 's', description: 'd' })
      .command('list')
      .description('list things');
    await expect(program.parseAsync(['demo'], { from: 'user' })).rejects.toMatchObject({
      code: 'commander.help',
      exitCode: 1,
    });
    expect(stderr).toContain('Usage: mwaa-ops demo');
    expect(stderr).toMatch(/demo list\s+list things/);
  });
});
