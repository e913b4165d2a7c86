/**
 * Errors of the backup format. Their `name`s are part of the contract with the pause/resume
 * state machines (Catch/Retry match on them); `reason` says precisely which check failed.
 */
import { type ErrorContext, MwaaOpsError } from '../errors.ts';

/** Why a backup did not verify; one value per check in docs/backup-format.md "Verification". */
export type VerificationReason =
  | 'manifest-missing'
  | 'manifest-invalid'
  | 'format-version'
  | 'wrong-environment'
  | 'wrong-backup-id'
  | 'file-missing'
  | 'size-mismatch'
  | 'checksum-mismatch'
  | 'mandatory-table-missing'
  | 'invalid-row-count';

/** The backup cannot be trusted: pause must not delete, resume must not restore. */
export class BackupVerificationError extends MwaaOpsError {
  readonly reason: VerificationReason;

  constructor(reason: VerificationReason, message: string, options: { context?: ErrorContext } = {}) {
    super(message, { context: { reason, ...options.context } });
    this.name = 'BackupVerificationError';
    this.reason = reason;
  }
}

/** A committed backup (manifest present) may never be written into again. */
export class BackupAlreadyCommittedError extends MwaaOpsError {
  constructor(message: string, options: { context?: ErrorContext } = {}) {
    super(message, options);
    this.name = 'BackupAlreadyCommittedError';
  }
}

/** A table file line or value that does not follow the format. */
export class BackupFormatError extends MwaaOpsError {
  constructor(message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(message, options);
    this.name = 'BackupFormatError';
  }
}
