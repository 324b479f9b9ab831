"""Start, supervise and stop a whole local Assay stack under one data directory."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import sys
import threading
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from assay.common.auth import mint_token
from assay.common.config import CommonSettings
from assay.devstack import spans
from assay.devstack.config import DevSettings
from assay.devstack.lock import take_over_stale_locks
from assay.devstack.provision import provision
from assay.devstack.servers import HOST, ServerProcess, free_port, port_is_free, start_all, stop_all
from assay.devstack.servers.nats import NatsServer
from assay.devstack.servers.postgres import PostgresServer
from assay.devstack.servers.s3 import LocalBucketServer
from assay.devstack.servers.service import AssayService

logger = logging.getLogger(__name__)

SERVICES = ("jobs", "ingest", "analysis", "gateway")
CONNECTIONS_PER_JOBS_PROCESS = 4
"""``ASSAY_JOBS_CONNECTIONS`` per jobs serving process when the user sets none: the kernel places
each connection, and 4 per process spread the calls nearly evenly."""


def jobs_client_connections(environ: dict[str, str] | os._Environ[str]) -> dict[str, str]:
    """With ``ASSAY_JOBS_PROCESSES`` > 1 and no ``ASSAY_JOBS_CONNECTIONS``: the gateway's and the
    worker's connections to jobs, ``CONNECTIONS_PER_JOBS_PROCESS`` per process (one connection
    would keep one process busy)."""
    processes = int(environ.get("ASSAY_JOBS_PROCESSES") or 1)
    if processes <= 1 or environ.get("ASSAY_JOBS_CONNECTIONS"):
        return {}
    return {"ASSAY_JOBS_CONNECTIONS": str(CONNECTIONS_PER_JOBS_PROCESS * processes)}
"""Each listens on its own port; they start side by side."""
BUCKET = "assay"
RESTART_BACKOFF = (0.5, 1.0, 2.0, 5.0, 10.0)
"""Delays before restarting a service that keeps dying, as Kubernetes would back off."""


def _report(text: str) -> None:
    """A line on stderr, unless the terminal is gone."""
    with contextlib.suppress(OSError):
        print(f"assay dev: {text}", file=sys.stderr, flush=True)


def _load_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.exists() else {}


def _write_json(path: Path, data: dict[str, Any], mode: int = 0o644) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.chmod(mode)
    tmp.replace(path)


@dataclass
class Service:
    """One Assay service process and its restart bookkeeping."""

    server: AssayService
    restarts: int = 0
    started_at: float = 0.0

    @property
    def name(self) -> str:
        return self.server.name

    @property
    def exited(self) -> bool:
        """Not running: it exited, or a start that failed left no process."""
        return self.server.proc is None or self.server.proc.poll() is not None


@dataclass
class DevStack:
    """Everything ``assay dev`` runs; ``stack.json`` in ``data_dir`` describes it for clients."""

    data_dir: Path
    settings: DevSettings = field(default_factory=DevSettings)
    services: dict[str, Service] = field(default_factory=dict)
    held: set[str] = field(default_factory=set)
    """Services kept down on purpose (an outage being rehearsed): the supervisor leaves them."""
    _stopping: threading.Event = field(default_factory=threading.Event)
    _lifecycle: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.data_dir = self.data_dir.resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.secrets = self._load_secrets()
        previous = _load_json(self.data_dir / "stack.json").get("ports", {})
        self.ports = {name: self._port(previous.get(name)) for name in (
            "postgres", "nats", "s3", *SERVICES, *(f"{s}_metrics" for s in SERVICES))}
        self.postgres = PostgresServer(self.data_dir / "postgres", self.ports["postgres"],
                                       self.secrets["postgres_password"], throwaway=False)
        self.nats = NatsServer(self.data_dir / "nats", self.ports["nats"], server_name="assay-dev")
        self.s3 = LocalBucketServer(self.data_dir / "s3", self.ports["s3"], "assay-dev", self.secrets["s3_secret_key"])
        self.database_url = ""
        self.provisioned = False
        """Whether this start migrated and provisioned (False: all was current, nothing ran)."""
        self.timings: dict[str, float] = {}
        """Seconds each start-up phase took: servers, provisioning, services."""

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Start the backing servers side by side, migrate and provision unless that is current,
        then start every service side by side."""
        fresh = not all(path.exists() for path in (
            self.postgres.data_dir / "PG_VERSION", self.nats.store_dir, self.s3.data_dir))
        take_over_stale_locks(self.data_dir)
        began = time.monotonic()
        start_all((self.nats, self.s3, self.postgres))  # postgres last: a first start runs initdb first
        self.timings["servers"] = time.monotonic() - began
        self.database_url = self._ensure_app_database("assay", self.secrets["app_db_password"])
        self.provisioned = provision(self.data_dir, self.database_url, self.nats.url, self.s3, BUCKET, force=fresh)
        self.timings["provisioning"] = time.monotonic() - began - self.timings["servers"]
        self.services = {name: Service(AssayService(name, self.env(name), self.data_dir / "logs", self.ports[name]))
                         for name in SERVICES}
        start_all(service.server for service in self.services.values())
        for service in self.services.values():
            service.started_at = time.monotonic()
        self.timings["services"] = time.monotonic() - began - self.timings["servers"] - self.timings["provisioning"]
        self.write_stack_file()

    def supervise(self) -> None:
        """Restart services and backing servers that die (services with back-off) until ``stop`` is called."""
        while not self._stopping.wait(0.5):
            spans.rotate_if_large(self.span_file, self.settings.spans_max_bytes, self.settings.spans_keep)
            self._revive_servers()
            for service in self.services.values():
                if service.exited and service.name not in self.held and not self._stopping.is_set():
                    code = service.server.proc.returncode if service.server.proc is not None else None
                    if time.monotonic() - service.started_at > 60:
                        service.restarts = 0  # it ran fine for a while: forget old crashes
                    delay = RESTART_BACKOFF[min(service.restarts, len(RESTART_BACKOFF) - 1)]
                    _report(f"{service.name} exited with code {code}; restarting in {delay:g}s")
                    if self._stopping.wait(delay):
                        return
                    service.restarts += 1
                    if not self._restart(service):
                        return
                    if not service.exited:
                        self.write_stack_file()
                        _report(f"{service.name} restarted (pid {service.server.pid})")

    def _backing(self) -> dict[str, ServerProcess]:
        return {"postgres": self.postgres, "nats": self.nats, "s3": self.s3}

    def _revive_servers(self) -> None:
        """Start again a backing server whose process died (one stopped on purpose has none, or is held)."""
        for name, server in self._backing().items():
            proc = server.proc
            if proc is None or proc.poll() is None or name in self.held:
                continue
            _report(f"{name} exited with code {proc.returncode}; restarting")
            with self._lifecycle:
                if self._stopping.is_set() or name in self.held:
                    return
                server.launch()
            try:
                server.wait_ready()
            except RuntimeError as exc:  # e.g. PostgreSQL's old backends still hold its memory: next pass
                _report(f"{name} failed to start: {str(exc).splitlines()[0]}")
                continue
            self.write_stack_file()
            _report(f"{name} restarted (pid {server.pid})")

    def restart_server(self, name: str) -> None:
        """Restart backing server ``name`` in an orderly way (the supervisor leaves it meanwhile)."""
        self.held.add(name)
        try:
            self._backing()[name].restart()
        finally:
            self.held.discard(name)

    def _restart(self, service: Service) -> bool:
        """Start ``service`` again unless the stack is stopping (then False). The launch and the
        stop flag share a lock, so ``stop`` sees, and stops, every process launched here."""
        with self._lifecycle:
            if self._stopping.is_set():
                return False
            service.server.launch()
        try:
            service.server.wait_ready()
        except RuntimeError as exc:
            if self._stopping.is_set():
                return False  # stopped while starting
            # It died (or hung) while starting, e.g. with a backing server restarting: the next
            # pass starts it again after a longer back-off, as Kubernetes would.
            _report(f"{service.name} failed to start: {str(exc).splitlines()[0]}")
        service.started_at = time.monotonic()
        return True

    def hold_down(self, name: str) -> None:
        """Stop service or backing server ``name`` and keep it down (the supervisor leaves it) until
        ``bring_back``: an outage."""
        self.held.add(name)
        if name in self.services:
            self.services[name].server.stop()
        else:
            self._backing()[name].stop()

    def bring_back(self, name: str) -> None:
        """End ``hold_down``: start it again (waits until it is ready) and supervise it again."""
        if name in self.services:
            self._restart(self.services[name])
        else:
            self._backing()[name].start()
        self.held.discard(name)
        self.write_stack_file()

    def stop(self) -> None:
        """Stop the services (they drain, side by side), then the backing servers."""
        with self._lifecycle:
            self._stopping.set()
        stop_all((service.server for service in self.services.values()), timeout=30)
        stop_all((self.s3, self.nats, self.postgres), timeout=20)

    @property
    def span_file(self) -> Path:
        """Where the services append their spans (rotated into ``spans.jsonl.1`` …)."""
        return self.data_dir / "traces" / "spans.jsonl"

    # -- description ---------------------------------------------------------------------------

    @cached_property
    def dev_token(self) -> str:
        """The dev tenant's token, minted once per stack: stack.json and the console link printed carry the same
        one (minted twice, they differed whenever the clock's second turned between them)."""
        settings = CommonSettings(jwt_hs256_secret=self.secrets["jwt_secret"])
        return mint_token(settings, subject="dev", tenant="dev", roles=["user", "admin"], ttl_seconds=30 * 86400)

    def describe(self) -> dict[str, Any]:
        return {
            "data_dir": str(self.data_dir),
            "gateway_url": f"http://{HOST}:{self.ports['gateway']}",
            "endpoints": {
                "jobs": f"{HOST}:{self.ports['jobs']}", "ingest": f"{HOST}:{self.ports['ingest']}",
                "analysis": f"{HOST}:{self.ports['analysis']}", "postgres": f"{HOST}:{self.ports['postgres']}",
                "nats": self.nats.url, "s3": self.s3.endpoint,
            },
            "metrics": {s: f"http://{HOST}:{self.ports[f'{s}_metrics']}/metrics" for s in SERVICES},
            "pids": {name: s.server.pid for name, s in self.services.items() if s.server.pid is not None},
            "backing_pids": {name: server.pid for name, server in (
                ("postgres", self.postgres), ("nats", self.nats), ("s3", self.s3)) if server.pid is not None},
            "supervisor_pid": os.getpid(),
            "token": self.dev_token,
            "ports": self.ports,
        }

    def write_stack_file(self) -> None:
        _write_json(self.data_dir / "stack.json", self.describe(), 0o600)

    # -- helpers -------------------------------------------------------------------------------

    def _port(self, previous: int | None) -> int:
        return previous if previous and port_is_free(previous) else free_port()

    def _load_secrets(self) -> dict[str, str]:
        path = self.data_dir / "secrets.json"
        stored = _load_json(path)
        for key in ("postgres_password", "app_db_password", "jwt_secret", "s3_secret_key", "worker_secret",
                    "job_capability_secret"):
            stored.setdefault(key, secrets.token_urlsafe(32))
        _write_json(path, stored, 0o600)
        return stored

    def env(self, name: str) -> dict[str, str]:
        """The environment every service process gets (the same variables as in Kubernetes)."""
        return {
            **os.environ,
            "ASSAY_GRPC_HOST": HOST, "ASSAY_GRPC_PORT": str(self.ports.get(name, 0)),
            "ASSAY_HTTP_HOST": HOST, "ASSAY_HTTP_PORT": str(self.ports["gateway"]),
            # the console it serves, by either name of this host (pages from another origin stay refused)
            "ASSAY_CORS_ORIGINS": f"http://{HOST}:{self.ports['gateway']},http://localhost:{self.ports['gateway']}",
            # webhooks to a receiver on this machine, so a user can try them (jobs refuses loopback otherwise)
            "ASSAY_WEBHOOK_ALLOW_TARGETS": os.environ.get("ASSAY_WEBHOOK_ALLOW_TARGETS") or "127.0.0.0/8,::1/128",
            "ASSAY_METRICS_PORT": str(self.ports.get(f"{name}_metrics", -1)),
            "ASSAY_DATABASE_URL": self.database_url,
            "ASSAY_NATS_URL": self.nats.url,
            "ASSAY_S3_ENDPOINT": self.s3.endpoint, "ASSAY_S3_ACCESS_KEY": self.s3.access_key,
            "ASSAY_S3_SECRET_KEY": self.s3.secret_key, "ASSAY_S3_BUCKET": BUCKET,
            "ASSAY_JWT_HS256_SECRET": self.secrets["jwt_secret"],
            "ASSAY_JOBS_ADDR": f"{HOST}:{self.ports['jobs']}",
            "ASSAY_INGEST_ADDR": f"{HOST}:{self.ports['ingest']}",
            "ASSAY_ANALYSIS_ADDR": f"{HOST}:{self.ports['analysis']}",
            "ASSAY_DATA_DIR": str(self.data_dir),
            **jobs_client_connections(os.environ),
            **self._worker_keys(name),
            # One analysis process at a time, started only after the last one exited (``supervise``):
            # a restarted worker may release what its predecessor left running (ReleaseWorkerAttempts).
            **({"ASSAY_WORKER_SLOT": "assay-dev-analysis"} if name == "analysis" else {}),
            "OTEL_SERVICE_NAME": f"assay-{name}",
            # Spans go to a file `assay trace` reads, unless the user points OTLP somewhere.
            "ASSAY_TRACE_FILE": str(self.span_file),
        }

    def _worker_keys(self, name: str) -> dict[str, str]:
        """The worker-credential key (analysis mints with it, jobs and ingest verify) and the job
        capability key (jobs signs, ingest verifies): each only where it is needed, never the gateway."""
        keys = {}
        if name in ("jobs", "ingest", "analysis"):
            keys["ASSAY_WORKER_SECRET"] = self.secrets["worker_secret"]
        if name in ("jobs", "ingest"):
            keys["ASSAY_JOB_CAPABILITY_SECRET"] = self.secrets["job_capability_secret"]
        return keys

    def _ensure_app_database(self, name: str, password: str) -> str:
        """A non-superuser role owning database ``name`` (so RLS applies to the services)."""
        with self.postgres.connect() as conn:
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone() is None:
                self.postgres.create_role(name, password)
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
                self.postgres.create_database(name, owner=name)
        self.postgres.create_extensions(name)  # a data directory from before the index schema
        return self.postgres.url_for(name, user=name, password=password)
