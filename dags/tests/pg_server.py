"""A throwaway PostgreSQL 15 server for the tests: initdb + pg_ctl in a temp directory.

PostgreSQL refuses to run as root, so as root (CI) the server runs as the ``postgres`` user
that Debian's package creates, through ``runuser``; otherwise as the current user. It listens
on 127.0.0.1 on a free port (and a socket inside the temp directory), trusts local clients
and runs with fsync off: the data is thrown away.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from typing import List, Optional

PG_BIN = os.environ.get("MWAA_OPS_PG_BIN", "/usr/lib/postgresql/15/bin")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PgServer:
    def __init__(self) -> None:
        self.root = tempfile.mkdtemp(prefix="mwaa-ops-pg-")
        self.data = os.path.join(self.root, "data")
        self.port = _free_port()
        self.user: Optional[str] = "postgres" if os.geteuid() == 0 else None
        self.started = False

    def _run(self, args: List[str], **kwargs) -> subprocess.CompletedProcess:
        command = args if self.user is None else ["runuser", "-u", self.user, "--", *args]
        # cwd: the server's own directory, which the postgres user can enter (a CI checkout under
        # /root cannot be, and PostgreSQL's tools resolve the current directory).
        try:
            return subprocess.run(command, check=True, capture_output=True, text=True, cwd=self.root, **kwargs)
        except subprocess.CalledProcessError as error:
            log = os.path.join(self.root, "log")
            tail = open(log).read()[-2000:] if os.path.exists(log) else ""
            raise RuntimeError(f"{' '.join(args[:1])} failed: {error.stderr or error.stdout}\n{tail}") from error

    def start(self) -> "PgServer":
        if not os.path.exists(os.path.join(PG_BIN, "initdb")):
            raise RuntimeError(f"PostgreSQL 15 binaries not found in {PG_BIN} (apt-get install postgresql)")
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._run(
            [os.path.join(PG_BIN, "initdb"), "-D", self.data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
             "--no-sync", "--locale=C.UTF-8"]
        )
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50 -c shared_buffers=128MB"
        )
        self._run(
            [os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-l", os.path.join(self.root, "log"), "-o", options,
             "-w", "-t", "60", "start"]
        )
        self.started = True
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        if self.started:
            try:
                self._run([os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-m", "immediate", "-w", "stop"])
            except RuntimeError:
                pass
            self.started = False
        shutil.rmtree(self.root, ignore_errors=True)
