"""A throwaway PostgreSQL server for the storage tests, and the ``db_url`` fixture.

The server is started once per test session from the machine's own binaries (``initdb``,
``pg_ctl``; Debian's ``/usr/lib/postgresql/<v>/bin`` or ``$PATH``), as the unprivileged
``postgres`` user when the tests run as root (initdb refuses root). It listens only on
127.0.0.1 and on a unix socket in its temporary folder, on a free port, with trust
authentication, and is stopped and deleted at the end. Each test gets a fresh database
(``CREATE DATABASE``), so no state is shared between tests.

In CI (``CI=true``) missing binaries or a server that does not start FAIL the tests;
elsewhere they skip the PostgreSQL half.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["db_url", "pg_server"]


def _binaries() -> Path | None:
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(os.path.realpath(found)).parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(folder, "initdb").exists() and Path(folder, "pg_ctl").exists():
            return Path(folder)
    return None


def _unavailable(message: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required in CI: {message}")
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """Start PostgreSQL for the session; yield the admin URL (database ``postgres``)."""
    bindir = _binaries()
    if bindir is None:
        _unavailable("initdb/pg_ctl not found on PATH or in /usr/lib/postgresql/*/bin")
    assert bindir is not None
    root = Path(tempfile.mkdtemp(prefix="mscreg-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if runuser is None:
            _unavailable("running as root and `runuser` is missing; cannot start PostgreSQL unprivileged")
        shutil.chown(root, user="postgres", group="postgres")
        prefix = [str(runuser), "-u", "postgres", "--"]
    data = root / "data"
    port = _free_port()
    log = root / "server.log"
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*prefix, *args], capture_output=True, text=True, env=env, cwd=root, timeout=120)

    init = run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
    if init.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        _unavailable(f"initdb failed: {init.stderr.strip()}")
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={root} -c fsync=off -c max_connections=100"
    start = run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start")
    if start.returncode != 0:
        detail = log.read_text() if log.exists() else start.stderr
        shutil.rmtree(root, ignore_errors=True)
        _unavailable(f"pg_ctl start failed: {detail.strip()[-2000:]}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL: an SQLite file, or a new database on the test server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.sqlite'}"
        return
    import psycopg

    admin = request.getfixturevalue("pg_server")
    name = f"t_{uuid.uuid4().hex[:12]}"
    conninfo = admin.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
