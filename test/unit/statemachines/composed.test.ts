/**
 * statemachines/<name>.asl.json are generated from statemachines/src (npm run compose): the
 * committed files must be what the sources compose, and each shared rule (lock, drain, failure
 * tail, ...) must come from its one fragment.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import {
  composeStatemachine,
  composeStatemachines,
  formatJson,
  GENERATED_NOTE,
  staleStatemachines,
  writeStatemachines,
} from '../../../scripts/compose-statemachines.ts';
import { root } from '../../../scripts/esbuild-options.ts';
import { readChildFailure } from '../../../statemachines/src/fragments/backup.ts';
import { drain } from '../../../statemachines/src/fragments/drain.ts';
import { requireAvailable } from '../../../statemachines/src/fragments/environment.ts';
import { ensureFailureCause, failureTail } from '../../../statemachines/src/fragments/failure.ts';
import { recordHistory } from '../../../statemachines/src/fragments/history.ts';
import { validateWholeSeconds } from '../../../statemachines/src/fragments/input.ts';
import { takeLock } from '../../../statemachines/src/fragments/lock.ts';
import { findStaleBackupAttempt, stopStaleBackup } from '../../../statemachines/src/fragments/stale.ts';
import { sources } from '../../../statemachines/src/index.ts';
import type { States } from '../../../statemachines/src/types.ts';

describe('statemachines/*.asl.json are composed from statemachines/src', () => {
  it.each(composeStatemachines().map((f) => [f.path, f.text]))(
    '%s is up to date (edit statemachines/src, then run npm run compose)',
    (path, text) => {
      expect(readFileSync(join(root, path), 'utf8')).toBe(text);
    },
  );

  it('finds no stale file', () => {
    expect(staleStatemachines()).toEqual([]);
  });

  it('says in each file that it is generated', () => {
    for (const { text } of composeStatemachines()) {
      expect(JSON.parse(text).Comment).toContain(GENERATED_NOTE);
    }
  });

  it('names the files that differ from their sources, and rewrites only those', () => {
    const dir = mkdtempSync(join(tmpdir(), 'compose-'));
    try {
      mkdirSync(join(dir, 'statemachines'));
      const [first, ...rest] = composeStatemachines();
      for (const { path, text } of rest) writeFileSync(join(dir, path), text);
      writeFileSync(join(dir, first!.path), first!.text.replace('"StartAt"', '"StartAt" '));
      expect(staleStatemachines(dir)).toEqual([first!.path]);
      rmSync(join(dir, rest[0]!.path));
      expect(staleStatemachines(dir)).toEqual([first!.path, rest[0]!.path]);
      expect(writeStatemachines(dir)).toEqual([first!.path, rest[0]!.path]);
      expect(staleStatemachines(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a workflow without a source', () => {
    expect(() => composeStatemachine('no-such-workflow')).toThrow(/no source/);
  });

  it('formats as biome does: short lists of values on one line, long ones one value a line', () => {
    expect(formatJson({ a: ['x', 'y'], b: [], c: {}, d: [{ e: 1 }] })).toBe(
      '{\n  "a": ["x", "y"],\n  "b": [],\n  "c": {},\n  "d": [\n    {\n      "e": 1\n    }\n  ]\n}',
    );
    const long = Array.from({ length: 12 }, (_, i) => `ErrorNumber${i}`);
    expect(formatJson({ k: long }).split('\n')).toHaveLength(long.length + 4);
  });
});

// biome-ignore lint/suspicious/noExplicitAny: the definitions are read as plain JSON.
type Json = any;
const machine = (name: string): { States: Record<string, Json> } =>
  composeStatemachine(`${name}-environment`) as Json;
const all = ['backup', 'pause', 'resume', 'upgrade'];

/** Every state the fragment produces is in the machine exactly as the fragment writes it. */
const expectFrom = (name: string, fragment: States) => {
  const states = machine(name).States;
  for (const [key, state] of Object.entries(fragment)) expect([key, states[key]]).toEqual([key, state]);
};
const lacks = (name: string, state: string) => expect(Object.keys(machine(name).States)).not.toContain(state);

describe('each shared rule comes from its one fragment', () => {
  it('composes the four workflows', () => {
    expect(Object.keys(sources).sort()).toEqual(all.map((n) => `${n}-environment`));
  });

  it.each([
    ['pause', 'pause', 'docs/pause-resume.md'],
    ['resume', 'resume', 'docs/pause-resume.md'],
    ['upgrade', 'upgrade', 'docs/upgrades.md'],
  ])('the lock: %s takes it with takeLock (operation %s)', (name, operation, runbook) => {
    const states = machine(name).States;
    expectFrom(
      name,
      takeLock({
        operation,
        next: states.TakeLock.Next,
        nextAfterStaleLock: states.TakeStaleLock.Next,
        runbook,
      }),
    );
  });

  it('the lock: the backup child does not take it (its caller holds it)', () => {
    for (const state of Object.keys(takeLock({ operation: 'x', next: 'Y', runbook: 'z' })))
      lacks('backup', state);
  });

  it.each(['pause', 'resume', 'upgrade'])('the failure tail: %s ends with failureTail', (name) => {
    expectFrom(name, failureTail(machine(name).States.ReleaseLockAfterFailure.Comment));
    expect(machine(name).States.FailWorkflow.Type).toBe('Fail');
  });

  it('the failure tail: the backup child adds a missing cause and fails without releasing', () => {
    expectFrom('backup', ensureFailureCause('FailBackup'));
    lacks('backup', 'ReleaseLockAfterFailure');
  });

  it.each(['pause', 'upgrade'])('the drain: %s drains with drain() before the backup', (name) => {
    expectFrom(name, drain({ next: 'Backup' }));
  });

  it.each(['backup', 'resume'])('the drain: %s does not drain', (name) => {
    for (const state of Object.keys(drain({ next: 'Backup' }))) lacks(name, state);
  });

  it.each(all)('the *Seconds check: %s validates with validateWholeSeconds', (name) => {
    const states = machine(name).States;
    const text: string = states.FormatSeconds.Parameters['text.$'];
    const paths = text.slice(text.indexOf("', ") + 3, -1).split(', ');
    const cause: string = states.InvalidSeconds.Cause;
    const outcome = cause.slice(cause.indexOf('; ') + 2);
    expectFrom(name, validateWholeSeconds({ paths, next: states.ValidateWholeSeconds.Default, outcome }));
  });

  it.each(['pause', 'resume'])(
    'the stale attempt: %s cleans up with findStaleBackupAttempt/stopStaleBackup',
    (name) => {
      const states = machine(name).States;
      expectFrom(
        name,
        findStaleBackupAttempt({
          comment: states.HasStaleBackupAttempt.Comment,
          otherwise: states.HasStaleBackupAttempt.Default,
          next: states.ReadStaleBackupAttempt.Next,
        }),
      );
      expectFrom(
        name,
        stopStaleBackup({
          errors: states.CheckStaleExports.Retry[2].ErrorEquals,
          stillRunningComment: states.StaleExportStillRunning.Comment,
          stillRunningCause: states.StaleExportStillRunning.Parameters['Cause.$'],
          next: states.AfterStaleRestore.Default,
        }),
      );
    },
  );

  it.each(['pause', 'upgrade'])(
    "%s requires an AVAILABLE environment and reads its backup child's failure",
    (name) => {
      const states = machine(name).States;
      expectFrom(
        name,
        requireAvailable({
          comment: states.GetEnvironment.Comment,
          notFoundCause: states.EnvironmentNotFound.Parameters['Cause.$'],
          next: states.IsEnvironmentAvailable.Choices[0].Next,
        }),
      );
      expectFrom(name, readChildFailure());
    },
  );

  it.each([
    ['pause', 'PAUSED', 'Paused'],
    ['resume', 'RUNNING', 'Running'],
  ])('the pause history: %s records %s with recordHistory', (name, state, word) => {
    const states = machine(name).States;
    const stamp = states[`Stamp${word}History`];
    expectFrom(
      name,
      recordHistory({
        state,
        stampComment: stamp.Comment,
        atPath: stamp.Parameters['at.$'],
        next: states[`Record${word}History`].Next,
      }),
    );
  });
});
