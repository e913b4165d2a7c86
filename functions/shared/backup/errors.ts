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

/** Which recorded fact a backup no longer matches (docs/pause-resume.md "Isolation"). */
export type TamperedPart = 'manifest' | 'snapshot' | 'recreation';

/**
 * The backup verifies on its own (its checksums agree) but is not the backup that was verified
 * and recorded in EnvironmentsTable: its manifest or environment.json bytes, or the settings the
 * snapshot would recreate the environment with, differ from what the registry holds. Only a
 * rewrite produces that, so nothing may be created or restored from it. A separate name from
 * BackupVerificationError on purpose: the operator's next step is an investigation, not a retry.
 */
export class BackupTamperedError extends MwaaOpsError {
  readonly part: TamperedPart;

  constructor(part: TamperedPart, message: string, options: { context?: ErrorContext } = {}) {
    super(message, { context: { part, ...options.context } });
    this.name = 'BackupTamperedError';
    this.part = part;
  }
}

/**
 * The registry's last verified backup was recorded before mwaa-ops recorded digests (no
 * `manifestSha256`/`snapshotSha256`): nothing proves the objects in S3 are the ones verified.
 */
export class UnrecordedBackupError extends MwaaOpsError {
  constructor(message: string, options: { context?: ErrorContext } = {}) {
    super(message, options);
    this.name = 'UnrecordedBackupError';
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
