"""s3rver (the npm package the local cloud uses) on a free port, for boto3 in the tests.

Chosen over moto because Debian bookworm has no python3-moto and s3rver is already in
node_modules. It is started with the project's Node 24 (node_modules/.bin/node) by a small
inline script that prints the port, and stopped by closing its stdin.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from typing import Any

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUCKET = "mwaa-ops-backups"

_SCRIPT = r"""
const S3rver = require('s3rver');
const [directory, bucket] = process.argv.slice(1);
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, resetOnClose: true,
  configureBuckets: [{ name: bucket }] });
server.run().then(({ port }) => { process.stdout.write(JSON.stringify({ port }) + '\n'); });
process.stdin.on('end', () => server.close().then(() => process.exit(0)));
process.stdin.resume();
"""


class S3Server:
    def __init__(self) -> None:
        self.directory = tempfile.mkdtemp(prefix="mwaa-ops-s3rver-")
        node = os.path.join(ROOT, "node_modules", ".bin", "node")
        if not os.path.exists(node):
            node = shutil.which("node") or "node"
        self.process = subprocess.Popen(
            [node, "-e", _SCRIPT, self.directory, BUCKET],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"s3rver did not start: {self.process.stderr.read()}")
        self.port = json.loads(line)["port"]
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="S3RVER",
            aws_secret_access_key="S3RVER",
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
        )

    def stop(self) -> None:
        try:
            self.process.stdin.close()
            self.process.wait(timeout=10)
        except Exception:
            self.process.kill()
        shutil.rmtree(self.directory, ignore_errors=True)
