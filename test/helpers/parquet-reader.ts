/**
 * Parquet files read back by pyarrow (test/helpers/read_parquet.py in the pinned `parquet` venv,
 * scripts/python/parquet.in), not by the library that wrote them.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { venvBin, venvLabel } from '../../scripts/python-env.ts';

export interface ParquetColumn {
  name: string;
  arrow: string;
  nullable: boolean;
  physical: string;
  logical: string;
}

export interface ParquetFileContents {
  path: string;
  columns: ParquetColumn[];
  metadata: Record<string, string>;
  rowGroups: number;
  rows: Record<string, unknown>[];
}

const script = join(import.meta.dirname, 'read_parquet.py');

/** Read the given Parquet bodies with pyarrow. */
export async function readParquet(bodies: readonly Uint8Array[]): Promise<ParquetFileContents[]> {
  const python = venvBin('parquet', 'python');
  if (!existsSync(python))
    throw new Error(`${venvLabel('parquet')} is missing: run \`node scripts/python-env.ts parquet\``);
  const dir = mkdtempSync(join(tmpdir(), 'mwaa-ops-parquet-'));
  try {
    const paths = bodies.map((body, i) => {
      const path = join(dir, `${i}.parquet`);
      writeFileSync(path, body);
      return path;
    });
    const { stdout } = await promisify(execFile)(python, [script, ...paths], {
      maxBuffer: 256 * 1024 * 1024,
    });
    return JSON.parse(stdout) as ParquetFileContents[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
