/** The backup format (docs/backup-format.md) in TypeScript: encoding, files, manifest, verifier. */
export * from './copy-text.ts';
export * from './encoding.ts';
export * from './errors.ts';
export * from './import-order.ts';
export * from './location.ts';
export * from './manifest.ts';
export * from './snapshot.ts';
export * from './store.ts';
export * from './table-file.ts';
export * from './table-rows.ts';
export * from './verify.ts';
