/**
 * The verifier (docs/backup-format.md "Verification"): a backup is verified when its manifest
 * exists, parses, names the expected environment and backup id, and every file it lists exists
 * with the recorded size and SHA-256. Pause deletes nothing and resume restores nothing unless
 * this passes.
 */
import { BackupTamperedError, BackupVerificationError } from './errors.ts';
import { MANIFEST_FILE, SNAPSHOT_FILE } from './location.ts';
import { type FileEntry, MANDATORY_TABLES, type Manifest, parseManifest } from './manifest.ts';
import type { BackupStore } from './store.ts';
import { digest } from './table-file.ts';

export interface VerifyOptions {
  environment: string;
  backupId: string;
  /**
   * SHA-256 of the manifest bytes as recorded in EnvironmentsTable when the backup was verified
   * (`lastVerifiedBackup.manifestSha256`). Checked before anything else: a manifest rewritten
   * consistently with rewritten files passes every other check. Absent or null: not checked.
   */
  expectedManifestSha256?: string | null | undefined;
  /** SHA-256 of environment.json as the snapshot step wrote it (`snapshotSha256`); same rules. */
  expectedSnapshotSha256?: string | null | undefined;
}

export interface VerifiedBackup {
  manifest: Manifest;
  /** The verified bytes of every table file, by table (importers reuse them). */
  files: Map<string, Uint8Array>;
  /** SHA-256 (hex) of the manifest bytes that were verified: what the registry records. */
  manifestSha256: string;
  /** SHA-256 (hex) of environment.json as it was read, or null when the backup has none. */
  snapshotSha256: string | null;
}

async function checkFile(store: BackupStore, where: string, entry: FileEntry): Promise<Uint8Array> {
  const body = await store.get(entry.file);
  const location = `${store.prefix}${entry.file}`;
  if (body === undefined) {
    throw new BackupVerificationError('file-missing', `${where}: ${location} does not exist`, {
      context: { file: entry.file },
    });
  }
  const actual = digest(body);
  if (actual.bytes !== entry.bytes) {
    throw new BackupVerificationError(
      'size-mismatch',
      `${where}: ${location} has ${actual.bytes} bytes, the manifest says ${entry.bytes}`,
      { context: { file: entry.file } },
    );
  }
  if (actual.sha256 !== entry.sha256) {
    throw new BackupVerificationError(
      'checksum-mismatch',
      `${where}: ${location} does not match its SHA-256`,
      {
        context: { file: entry.file },
      },
    );
  }
  return body;
}

/** Verify the backup in `store`; throws BackupVerificationError naming the failed check. */
export async function verifyBackup(store: BackupStore, expected: VerifyOptions): Promise<VerifiedBackup> {
  const raw = await store.get(MANIFEST_FILE);
  if (raw === undefined) {
    throw new BackupVerificationError(
      'manifest-missing',
      `${store.prefix}${MANIFEST_FILE} does not exist: the backup is incomplete`,
    );
  }
  const manifestSha256 = digest(raw).sha256;
  if (expected.expectedManifestSha256 && manifestSha256 !== expected.expectedManifestSha256) {
    throw new BackupTamperedError(
      'manifest',
      `${store.prefix}${MANIFEST_FILE} is not the manifest that was verified and recorded in EnvironmentsTable (lastVerifiedBackup.manifestSha256): the backup was rewritten after it was verified`,
    );
  }
  const snapshotBytes = await store.get(SNAPSHOT_FILE);
  const snapshotSha256 = snapshotBytes === undefined ? null : digest(snapshotBytes).sha256;
  if (expected.expectedSnapshotSha256) {
    if (snapshotSha256 === null)
      throw new BackupVerificationError('file-missing', `${store.prefix}${SNAPSHOT_FILE} does not exist`, {
        context: { file: SNAPSHOT_FILE },
      });
    if (snapshotSha256 !== expected.expectedSnapshotSha256)
      throw new BackupTamperedError(
        'snapshot',
        `${store.prefix}${SNAPSHOT_FILE} is not the snapshot MetadataTransferFunction wrote from GetEnvironment (lastVerifiedBackup.snapshotSha256): it was rewritten after the snapshot was taken`,
      );
  }
  const manifest = parseManifest(Buffer.from(raw).toString('utf8'));
  if (manifest.environment !== expected.environment) {
    throw new BackupVerificationError(
      'wrong-environment',
      `The backup belongs to environment ${manifest.environment}, not ${expected.environment}`,
    );
  }
  if (manifest.backupId !== expected.backupId) {
    throw new BackupVerificationError(
      'wrong-backup-id',
      `The manifest names backup ${manifest.backupId}, not ${expected.backupId}`,
    );
  }
  if (manifest.kind === 'database') {
    for (const table of MANDATORY_TABLES) {
      if (!manifest.tables[table]) {
        throw new BackupVerificationError('mandatory-table-missing', `The backup has no ${table} table`, {
          context: { table },
        });
      }
    }
  }
  const files = new Map<string, Uint8Array>();
  for (const [name, entry] of Object.entries(manifest.tables)) {
    files.set(name, await checkFile(store, `table ${name}`, entry));
  }
  if (manifest.snapshot) await checkFile(store, 'snapshot', manifest.snapshot);
  return { manifest, files, manifestSha256, snapshotSha256 };
}
