/**
 * The `mwaa-ops` operator CLI: the program, its global options and its command groups.
 *
 * `buildProgram()` wires everything from injectable parts (output writers, client factories,
 * environment), so tests run the whole CLI in-process; `runCli()` parses and turns every outcome
 * into an exit code: 0 success, 1 a command failed, 2 a usage error.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { type ClientFactory, sdkClients } from './clients.ts';
import { registerBackups } from './commands/backups.ts';
import { registerBackupsArchive } from './commands/backups-archive.ts';
import { registerDlq } from './commands/dlq.ts';
import { registerEnv } from './commands/env.ts';
import { registerEnvAttach } from './commands/env-attach.ts';
import { registerEnvUpgrade } from './commands/env-upgrade.ts';
import { registerFlows } from './commands/flows.ts';
import { registerRbac } from './commands/rbac.ts';
import { registerReport } from './commands/report.ts';
import { registerSchedule } from './commands/schedule.ts';
import { registerVersions } from './commands/versions.ts';
import { registerWhoami } from './commands/whoami.ts';
import {
  type ContextSources,
  DEFAULT_LOCAL_CLOUD_FILE,
  DEFAULT_STACK_NAME,
  OUTPUT_FORMATS,
  processSources,
  UsageError,
} from './context.ts';
import { type DeadLetterQueueOpsFactory, sdkDeadLetterQueueOps } from './dlq-ops.ts';
import { type EnvironmentOpsFactory, sdkEnvironmentOps } from './environment-ops.ts';
import { type FlowsStoreFactory, sdkFlowsStore } from './flows-store.ts';
import { treeHelp } from './help.ts';
import { createRuntime } from './runtime.ts';
import { type SavingsOpsFactory, sdkSavingsOps } from './savings/ops.ts';
import { sdkUpgradeOps, type UpgradeOpsFactory } from './upgrade-ops.ts';

/** Exit codes of the CLI. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** The parts of the CLI that touch the outside world; every one can be replaced in tests. */
export interface CliDeps {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly clients: ClientFactory;
  readonly sources: ContextSources;
  readonly flows: FlowsStoreFactory;
  readonly readInput: (path: string) => string;
  readonly environmentOps: EnvironmentOpsFactory;
  readonly upgradeOps: UpgradeOpsFactory;
  readonly dlq: DeadLetterQueueOpsFactory;
  /** The clock: execution names and the elapsed time in `--wait` progress read it. */
  readonly now: () => Date;
  readonly savings: SavingsOpsFactory;
  /** Writes a file the user asked for (`report savings --html <file>`). */
  readonly writeFile: (path: string, text: string) => void;
}

function defaultDeps(): CliDeps {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    clients: sdkClients,
    sources: processSources(),
    flows: sdkFlowsStore,
    readInput: (path) => readFileSync(path === '-' ? 0 : path, 'utf8'),
    environmentOps: sdkEnvironmentOps,
    upgradeOps: sdkUpgradeOps,
    dlq: sdkDeadLetterQueueOps,
    now: () => new Date(),
    savings: sdkSavingsOps,
    writeFile: (path, text) => writeFileSync(path, text),
  };
}

function packageVersion(): string {
  const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

const PROGRAM_EXAMPLES = [
  '',
  'Examples:',
  '  $ mwaa-ops whoami                                 who am I, in which account and region',
  '  $ mwaa-ops --profile ops --region eu-west-1 whoami',
  `  $ mwaa-ops whoami --local                         use the local cloud (${DEFAULT_LOCAL_CLOUD_FILE})`,
  '  $ mwaa-ops help <command>                         help for one command',
  '',
  'Exit codes: 0 success, 1 the command failed, 2 usage error.',
  'Set MWAA_OPS_DEBUG=1 (or pass --debug) to print stack traces.',
].join('\n');

/**
 * Build the program with every command registered. Nothing is parsed or run until
 * `parseAsync`; commander's own exits become thrown `CommanderError`s (see `runCli`).
 */
export function buildProgram(overrides: Partial<CliDeps> = {}): Command {
  const deps = { ...defaultDeps(), ...overrides };
  const program = new Command('mwaa-ops');
  // Settings made before `.command()` calls are inherited by every subcommand.
  program
    .description(
      'Operate the mwaa-ops kit for Amazon MWAA: flows, access, environment pause/resume and ' +
        'upgrades, backups and schedules, the trigger dead-letter queue, savings reports, on AWS or on the local cloud.',
    )
    .version(packageVersion(), '-V, --version', 'print the CLI version')
    .configureOutput({
      writeOut: deps.stdout,
      writeErr: deps.stderr,
      // Commander writes plain help text; ANSI styles only ever come from our own output.
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .configureHelp(treeHelp())
    .exitOverride()
    .showHelpAfterError('(run mwaa-ops --help for usage)')
    .option('--region <region>', 'AWS region (default: AWS_REGION, then the profile)')
    .option('--profile <name>', 'named profile from the shared AWS config and credentials files')
    .option(
      '--local [file]',
      `talk to a running local cloud; endpoints and credentials come from the file (default: ${DEFAULT_LOCAL_CLOUD_FILE})`,
    )
    .option(
      '--stack <name>',
      'the deployed stack whose outputs name tables, buckets and ARNs',
      DEFAULT_STACK_NAME,
    )
    .addOption(new Option('--output <format>', 'output format').choices(OUTPUT_FORMATS).default('text'))
    .option(
      '--no-color',
      'never use colours in text output (NO_COLOR=<non-empty> too; FORCE_COLOR=1 forces them, FORCE_COLOR=0 disables)',
    )
    .option('--debug', 'print stack traces of failures (or set MWAA_OPS_DEBUG=1)')
    .addHelpText('after', PROGRAM_EXAMPLES);

  const runtime = createRuntime({
    out: deps.stdout,
    err: deps.stderr,
    clients: deps.clients,
    sources: deps.sources,
  });
  registerWhoami(program, runtime);
  registerFlows(program, runtime, { store: deps.flows, readInput: deps.readInput });
  registerRbac(program, runtime);
  const env = registerEnv(program, runtime, { ops: deps.environmentOps, now: deps.now });
  registerEnvUpgrade(env, runtime, { ops: deps.upgradeOps, now: deps.now });
  registerEnvAttach(env, runtime, { ops: deps.environmentOps, now: deps.now });
  const backups = registerBackups(program, runtime, { ops: deps.environmentOps });
  registerBackupsArchive(backups, runtime, { ops: deps.environmentOps, invoker: deps.dlq });
  registerSchedule(program, runtime, { ops: deps.environmentOps });
  registerVersions(program, runtime);
  registerDlq(program, runtime, { ops: deps.dlq });
  registerReport(program, runtime, { ops: deps.savings, now: deps.now, writeFile: deps.writeFile });
  return program;
}

/**
 * `--local [file]` takes an optional value, so commander would read `mwaa-ops --local whoami`
 * as "the file is whoami". When the next word is one of our commands, it is the command: the
 * flag becomes `--local=` (an empty value, which means the default file).
 */
export function normalizeArgs(args: readonly string[], commandNames: readonly string[]): string[] {
  const normalized = [...args];
  for (let i = 0; i < normalized.length - 1; i += 1) {
    if (normalized[i] === '--') break;
    if (normalized[i] === '--local' && commandNames.includes(normalized[i + 1]!)) {
      normalized[i] = '--local=';
    }
  }
  return normalized;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * Run the CLI on `args` (without the node and script paths) and return the exit code. Failures
 * are reported as one line, `mwaa-ops: <ErrorName>: <message>`, plus the stack when debugging.
 */
export async function runCli(args: readonly string[], overrides: Partial<CliDeps> = {}): Promise<number> {
  const deps = { ...defaultDeps(), ...overrides };
  const program = buildProgram(deps);
  const names = program.commands.map((command) => command.name());
  try {
    await program.parseAsync(normalizeArgs(args, names), { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    // Commander has already printed its message (or the help) through configureOutput.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    const name = error instanceof Error ? error.name : 'Error';
    const message = error instanceof Error ? error.message : String(error);
    deps.stderr(`mwaa-ops: ${name}: ${oneLine(message) || '(no message)'}\n`);
    const debug = program.opts().debug === true || deps.sources.env.MWAA_OPS_DEBUG === '1';
    if (debug && error instanceof Error && error.stack) deps.stderr(`${error.stack}\n`);
    return error instanceof UsageError ? EXIT.usage : EXIT.failure;
  }
}

/** The process entry point used by cli/bin.mjs. */
export async function main(): Promise<void> {
  // `mwaa-ops --help | head` closes the pipe early; that is the reader's choice, not a failure.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.ok);
    throw error;
  });
  process.exitCode = await runCli(process.argv.slice(2));
}
