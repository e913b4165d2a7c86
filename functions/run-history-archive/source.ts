/**
 * Reading the backup that is archived. `backupRows` is the ONE place the archive reads table
 * rows; it decodes them with the backup package's reader, which knows both formats (v1 JSON
 * Lines, v2 COPY text), after checking the file against its manifest entry.
 */
import {
  type BackupStore,
  digest,
  MANIFEST_FILE,
  type Manifest,
  parseManifest,
  type Row,
  readTableRows,
} from '../shared/backup/index.ts';
import { ArchiveSourceError } from './errors.ts';

/** The committed manifest of `backupId`; a backup without one is incomplete and never archived. */
export async function readManifest(
  store: BackupStore,
  environment: string,
  backupId: string,
): Promise<Manifest> {
  const raw = await store.get(MANIFEST_FILE);
  if (raw === undefined)
    throw new ArchiveSourceError(
      `s3://${store.bucket}/${store.prefix}${MANIFEST_FILE} does not exist: backup ${backupId} is missing or incomplete`,
      { context: { backupId } },
    );
  let manifest: Manifest;
  try {
    manifest = parseManifest(Buffer.from(raw).toString('utf8'));
  } catch (cause) {
    throw new ArchiveSourceError(
      `The manifest of backup ${backupId} is invalid: ${(cause as Error).message}`,
      {
        cause,
        context: { backupId },
      },
    );
  }
  if (manifest.environment !== environment || manifest.backupId !== backupId)
    throw new ArchiveSourceError(
      `s3://${store.bucket}/${store.prefix}${MANIFEST_FILE} names backup ${manifest.backupId} of ${manifest.environment}, not ${backupId} of ${environment}`,
      { context: { backupId } },
    );
  return manifest;
}

/**
 * The rows of one table, one at a time (decompressed as they are read, never the whole table as
 * text). The file must match the manifest's size and SHA-256: only what was verified is archived.
 * A table the backup does not hold yields nothing.
 */
export async function* backupRows(
  store: BackupStore,
  manifest: Manifest,
  table: string,
): AsyncGenerator<Row> {
  const entry = manifest.tables[table];
  if (!entry) return;
  const body = await store.get(entry.file);
  const where = `s3://${store.bucket}/${store.prefix}${entry.file}`;
  if (body === undefined) throw new ArchiveSourceError(`${where} does not exist`, { context: { table } });
  const actual = digest(body);
  if (actual.bytes !== entry.bytes || actual.sha256 !== entry.sha256)
    throw new ArchiveSourceError(`${where} does not match its manifest entry (size or SHA-256)`, {
      context: { table },
    });
  yield* readTableRows(body, entry);
}
