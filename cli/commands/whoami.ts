/**
 * `mwaa-ops whoami`: the first thing to run when a command does something unexpected. It shows
 * which account and identity the CLI acts as, in which region, and whether requests go to AWS
 * or to overridden endpoints (the local cloud, or AWS_ENDPOINT_URL* variables in the shell).
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { jsonText, keyValueLines } from '../output.ts';
import type { CommandRuntime } from '../runtime.ts';

function describeTarget(context: CliContext): string {
  if (context.target.kind === 'local') return `local cloud (${context.target.file})`;
  return context.profile === undefined
    ? 'AWS (default credential chain)'
    : `AWS (profile ${context.profile})`;
}

export function registerWhoami(program: Command, runtime: CommandRuntime): Command {
  return program
    .command('whoami')
    .summary('show the account, identity and region the CLI acts as')
    .description(
      'Show the account, identity (ARN) and region the CLI acts as, and which service endpoints are ' +
        'overridden. Calls STS GetCallerIdentity, which needs no permissions.',
    )
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  $ mwaa-ops whoami                          AWS, default credential chain',
        '  $ mwaa-ops whoami --profile ops --region eu-west-1',
        '  $ mwaa-ops whoami --local                  the local cloud started with --serve',
        '  $ mwaa-ops whoami --output json',
      ].join('\n'),
    )
    .action(async (_options: unknown, command: Command) => {
      const context = runtime.context(command);
      const identity = runtime.clients(context).identity();
      const [caller, region] = await Promise.all([identity.callerIdentity(), identity.region()]);
      if (context.output === 'json') {
        runtime.out(
          jsonText({
            account: caller.account,
            arn: caller.arn,
            userId: caller.userId,
            region,
            target: context.target.kind,
            ...(context.target.kind === 'local' ? { localCloudFile: context.target.file } : {}),
            ...(context.profile === undefined ? {} : { profile: context.profile }),
            endpoints: context.endpoints,
          }),
        );
        return;
      }
      const overrides = Object.entries(context.endpoints).map(([name, url]) => `${name}=${url}`);
      runtime.out(
        keyValueLines(
          [
            ['Account', caller.account],
            ['Identity', caller.arn],
            ['User id', caller.userId],
            ['Region', region],
            ['Target', describeTarget(context)],
            ['Endpoints', overrides.length === 0 ? 'none overridden (AWS public endpoints)' : overrides[0]!],
            ...overrides.slice(1).map((line) => ['', line] as const),
          ],
          context.color,
        ),
      );
    });
}
