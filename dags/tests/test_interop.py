"""The format is the contract: backups written by the project's TypeScript writer
(functions/shared/backup, used by the local cloud's Airflow emulator and the REST transfer)
are imported by the Python DAG package, and backups written by the Python package are read
and verified by the TypeScript reader, with identical values."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import random
import subprocess
import tempfile

import pytest
import sqlalchemy as sa
from helpers import paused_state, seed
from s3_server import ROOT
from transfer import export, new_backup_id, restore

from mwaa_ops.secrets import SqlSecrets

NODE = os.path.join(ROOT, "node_modules", ".bin", "node")
BACKUP_LIB = "file://" + os.path.join(ROOT, "functions", "shared", "backup", "index.ts")


_TS_WRITE = """
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
const lib = await import(process.argv[1]);
const [dir, environment, backupId] = process.argv.slice(2);
const tables = {
  variable: [{ columns: ['key', 'val', 'description'], primaryKey: ['key'] }, [
    { key: 'multi', val: 'line 1\\nline 2\\r\\n\\ttabbed \\\\ back', description: 'ünï 🚀' },
    { key: 'nothing', val: null, description: null },
  ]],
  connection: [{ columns: ['conn_id', 'conn_type', 'password', 'extra', 'port'], primaryKey: ['conn_id'] }, [
    { conn_id: 'db', conn_type: 'postgres', password: 'p@ss\\nword', extra: '{"a": 1}', port: 5432 },
  ]],
  slot_pool: [{ columns: ['pool', 'slots', 'description', 'include_deferred'], primaryKey: ['pool'] }, [
    { pool: 'etl', slots: 3, description: null, include_deferred: true },
  ]],
  dag_run: [{ columns: ['id', 'dag_id', 'run_id', 'execution_date', 'state', 'run_type', 'conf', 'external_trigger'],
              primaryKey: ['id'], generatedKey: 'id' }, [
    { id: 7, dag_id: 'd', run_id: 'manual__1', execution_date: new Date('2026-11-26T10:15:30.123Z'), state: 'success',
      run_type: 'manual', conf: new Uint8Array([0, 255, 128]), external_trigger: true },
    { id: 9, dag_id: 'd', run_id: 'manual__2', execution_date: new Date('2026-11-26T11:00:00Z'), state: 'failed',
      run_type: 'manual', conf: null, external_trigger: false },
  ]],
  task_instance: [{ columns: ['dag_id', 'task_id', 'run_id', 'map_index', 'state', 'pool', 'pool_slots', 'next_kwargs'],
                    primaryKey: ['dag_id', 'task_id', 'run_id', 'map_index'] }, [
    { dag_id: 'd', task_id: 't', run_id: 'manual__1', map_index: 0, state: 'success', pool: 'etl', pool_slots: 1,
      next_kwargs: { nested: ['x', 1, null] } },
    { dag_id: 'd', task_id: 't', run_id: 'manual__1', map_index: 1, state: 'failed', pool: 'etl', pool_slots: 1,
      next_kwargs: null },
  ]],
  xcom: [{ columns: ['dag_run_id', 'task_id', 'map_index', 'key', 'dag_id', 'run_id', 'value', 'timestamp'],
           primaryKey: ['dag_run_id', 'task_id', 'map_index', 'key'], references: { dag_run_id: 'dag_run.id' } }, [
    { dag_run_id: 7, task_id: 't', map_index: 1, key: 'return_value', dag_id: 'd', run_id: 'manual__1',
      value: new Uint8Array(Buffer.from('"résultat"')), timestamp: new Date('2026-11-26T10:16:00Z') },
  ]],
};
mkdirSync(join(dir, 'tables'), { recursive: true });
const entries = {};
for (const [name, [spec, rows]] of Object.entries(tables)) {
  const file = await lib.writeTableFile(spec.columns, rows);
  writeFileSync(join(dir, lib.tableFileName(name)), file.body);
  entries[name] = lib.tableEntry(name, spec, file);
}
const manifest = lib.buildManifest({ backupId, environment, airflowVersion: '2.10.3', kind: 'database',
  createdBy: { writer: 'typescript-test' }, activeDags: ['d'], tables: entries, excluded: {} });
writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
"""

_TS_READ = """
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
const lib = await import(process.argv[1]);
const dir = process.argv[2];
const manifest = lib.parseManifest(readFileSync(join(dir, 'manifest.json'), 'utf8'));
const out = {};
for (const [name, entry] of Object.entries(manifest.tables)) {
  const body = readFileSync(join(dir, entry.file));
  const { bytes, sha256 } = lib.digest(body);
  if (bytes !== entry.bytes || sha256 !== entry.sha256) throw new Error(`checksum ${name}`);
  const rows = [];
  for await (const row of lib.readTableRows(body, entry)) rows.push(row);
  out[name] = rows.map((row) =>
    Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Buffer.isBuffer(v) ? { b64: v.toString('base64') } : v])));
}
process.stdout.write(JSON.stringify({ activeDags: manifest.activeDags, tables: out }));
"""


def _node(script: str, *args: str) -> str:
    result = subprocess.run([NODE, "--input-type=module", "-e", script, BACKUP_LIB, *args], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_a_backup_written_by_the_typescript_writer_is_restored_by_python(make_db, s3_client, bucket):
    backup_id = new_backup_id("ts")
    prefix = f"backups/dev/{backup_id}/"
    with tempfile.TemporaryDirectory() as tmp:
        _node(_TS_WRITE, tmp, "dev", backup_id)
        for dirpath, _, files in os.walk(tmp):
            for name in files:
                path = os.path.join(dirpath, name)
                with open(path, "rb") as body:
                    s3_client.put_object(Bucket=bucket, Key=prefix + os.path.relpath(path, tmp), Body=body.read())
    target = make_db("2.10.3")
    with target.begin() as conn:  # ids the target already used: remapping must rewrite xcom.dag_run_id
        conn.execute(sa.text("SELECT setval('dag_run_id_seq', 500)"))
    result, sfn = restore(target, s3_client, bucket, backup_id, SqlSecrets())
    assert sfn.answers()[0][0] == "success", sfn.answers()
    with target.connect() as conn:
        variables = dict(conn.execute(sa.text("SELECT key, val FROM variable")).all())
        assert variables == {"multi": "line 1\nline 2\r\n\ttabbed \\ back", "nothing": None}
        runs = {r.run_id: r for r in conn.execute(sa.text("SELECT * FROM dag_run"))}
        assert bytes(runs["manual__1"].conf) == b"\x00\xff\x80" and runs["manual__2"].conf is None
        assert runs["manual__1"].execution_date.isoformat() == "2026-11-26T10:15:30.123000+00:00"
        assert runs["manual__1"].id > 500
        xcom = conn.execute(sa.text("SELECT dag_run_id, value FROM xcom")).one()
        assert xcom.dag_run_id == runs["manual__1"].id and bytes(xcom.value) == '"résultat"'.encode()
        kwargs = dict(conn.execute(sa.text("SELECT map_index, next_kwargs FROM task_instance")).all())
        assert kwargs == {0: {"nested": ["x", 1, None]}, 1: None}
        pools = dict(conn.execute(sa.text("SELECT pool, slots FROM slot_pool")).all())
        assert pools == {"default_pool": 128, "etl": 3}  # the TS backup holds no default_pool: kept
    assert paused_state(target) == {"d": False}


def test_a_backup_written_by_python_is_read_identically_by_the_typescript_reader(make_db, s3_client, bucket):
    source = make_db("2.9.2")
    facts = seed(source, "2.9.2", random.Random(31))
    backup_id = new_backup_id("py")
    export(source, "2.9.2", s3_client, bucket, backup_id, SqlSecrets())
    prefix = f"backups/dev/{backup_id}/"
    with tempfile.TemporaryDirectory() as tmp:
        manifest = json.loads(s3_client.get_object(Bucket=bucket, Key=prefix + "manifest.json")["Body"].read())
        os.makedirs(os.path.join(tmp, "tables"))
        for name in ["manifest.json"] + [entry["file"] for entry in manifest["tables"].values()]:
            with open(os.path.join(tmp, name), "wb") as out:
                out.write(s3_client.get_object(Bucket=bucket, Key=prefix + name)["Body"].read())
        read = json.loads(_node(_TS_READ, tmp))
    assert read["activeDags"] == facts["active"]
    with source.connect() as conn:
        variables = {r.key: r.val for r in conn.execute(sa.text("SELECT key, val FROM variable"))}
        xcoms = {(r.dag_run_id, r.task_id, r.map_index, r.key): (None if r.value is None else bytes(r.value))
                 for r in conn.execute(sa.text("SELECT * FROM xcom"))}
        executes = {r.run_id: r.execution_date for r in conn.execute(sa.text("SELECT run_id, execution_date FROM dag_run"))}
    assert {r["key"]: r["val"] for r in read["tables"]["variable"]} == variables
    assert {(r["dag_run_id"], r["task_id"], r["map_index"], r["key"]):
            (None if r["value"] is None else base64.b64decode(r["value"]["b64"])) for r in read["tables"]["xcom"]} == xcoms
    # Timestamps stay ISO-8601 strings in UTC with offset (the TS reader does not turn them into Dates).
    assert {row["run_id"]: row["execution_date"] for row in read["tables"]["dag_run"]} == {
        run_id: stamp.astimezone(dt.timezone.utc).isoformat() for run_id, stamp in executes.items()}
    assert len(read["tables"]["task_instance"]) == facts["task_instances"]
