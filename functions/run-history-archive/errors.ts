/**
 * Errors RunHistoryArchiveFunction throws. Their names are part of the contract with the pause
 * workflow (its Catch notifies on any of them) and the CLI, which prints them.
 */
import { type ErrorContext, MwaaOpsError } from '../shared/errors.ts';

type Options = { cause?: unknown; context?: ErrorContext };

/** The backup to archive is missing, incomplete (no manifest) or does not match its manifest. */
export class ArchiveSourceError extends MwaaOpsError {
  constructor(message: string, options: Options = {}) {
    super(message, options);
    this.name = 'ArchiveSourceError';
  }
}

/**
 * A backup row cannot be archived (a required column is empty, a value has the wrong type). The
 * message names the table, the column and the row's position, never the value.
 */
export class ArchiveRowError extends MwaaOpsError {
  constructor(message: string, options: Options = {}) {
    super(message, options);
    this.name = 'ArchiveRowError';
  }
}
