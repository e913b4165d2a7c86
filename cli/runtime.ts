/**
 * What every command gets from the program: where to write, how to resolve the global options
 * into a context, and how to build clients. Commands never touch `process` directly, so the
 * whole CLI runs in-process under test.
 */
import type { Command } from 'commander';
import type { ClientFactory } from './clients.ts';
import { type CliContext, type ContextSources, type GlobalOptions, resolveContext } from './context.ts';

export interface CommandRuntime {
  /** Write to standard output (text is written as given; add the newline yourself). */
  readonly out: (text: string) => void;
  /** Write to standard error. */
  readonly err: (text: string) => void;
  /** Resolve the global options seen by `command` (options may appear before or after it). */
  context(command: Command): CliContext;
  readonly clients: ClientFactory;
}

export function createRuntime(options: {
  out: (text: string) => void;
  err: (text: string) => void;
  clients: ClientFactory;
  sources: ContextSources;
}): CommandRuntime {
  return {
    out: options.out,
    err: options.err,
    clients: options.clients,
    context: (command) => resolveContext(command.optsWithGlobals<GlobalOptions>(), options.sources),
  };
}
