"""What the single-part benchmarks share: PostgreSQL and NATS from ``assay.devstack.servers``, the
jobs service and analysis workers as processes on them, the gateway as a process over that jobs
service, and a process's CPU seconds (bench_worker.py, bench_jobs_cpu.py, bench_gateway_reads.py and
bench_tenants.py import it as a sibling of the script).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from compare.procs import cpu_by_group

from assay.common.migrations import upgrade
from assay.devstack.servers import free_port
from assay.devstack.servers.nats import NatsServer
from assay.devstack.servers.postgres import Postgres, PostgresServer
from assay.devstack.servers.service import AssayService
from assay.devstack.servers.serving import serving_pids
from assay.gateway.config import GatewaySettings
from assay.jobs.migrations import SCRIPT_LOCATION as MIGRATIONS

SECRET = "bench-secret-0123456789abcdef0123456789"
WORKER_SECRET = "bench-worker-secret-0123456789abcdef0123"
CAPABILITY_SECRET = "bench-capability-secret-0123456789abcdef"
TICKS = os.sysconf("SC_CLK_TCK")
__all__ = [
    "CAPABILITY_SECRET", "SECRET", "WORKER_SECRET",
    "NatsServer", "PostgresServer", "analysis_worker", "cpu_seconds", "family_cpu_seconds", "free_port",
    "gateway_service", "jobs_database", "jobs_service", "wait_all_gateway_processes",
]


def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` (all threads) in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def family_cpu_seconds(pid: int) -> float:
    """CPU seconds of ``pid`` and every process below it, with what they reaped (a gateway of
    several processes: its supervisor and each serving process)."""
    return cpu_by_group({"family": pid})["family"]


def wait_all_gateway_processes(gateway: AssayService, port: int, timeout: float = 120.0) -> int:
    """Wait until each of the gateway's ``ASSAY_GATEWAY_PROCESSES`` serving processes has answered
    a connection (its port accepts before its workers have started); returns their number."""
    expected, seen = GatewaySettings().gateway_processes, set()
    deadline = time.monotonic() + timeout
    while len(seen) < expected:
        assert gateway.pid is not None
        seen |= serving_pids("127.0.0.1", port, gateway.pid) - ({gateway.pid} if expected > 1 else set())
        if time.monotonic() > deadline:
            raise SystemExit(f"only {len(seen)} of {expected} gateway processes answered in {timeout:.0f} s")
    return expected


def jobs_database(postgres: Postgres) -> str:
    """A migrated ``bench`` database owned by a non-superuser role (so row-level security applies)."""
    postgres.create_role("bench", "pw")
    postgres.create_database("bench", owner="bench")
    url = postgres.url_for("bench", user="bench", password="pw")
    upgrade(MIGRATIONS, url, "jobs")
    return url


def _env(**overrides: str) -> dict[str, str]:
    """Our environment without span exporters, quiet logs, and ``overrides``."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("ASSAY_TRACE_FILE", "OTEL_EXPORTER_OTLP_ENDPOINT")}
    return {**env, "ASSAY_GRPC_HOST": "127.0.0.1", "ASSAY_METRICS_PORT": "-1", "ASSAY_JWT_HS256_SECRET": SECRET,
            "ASSAY_WORKER_SECRET": WORKER_SECRET, "ASSAY_LOG_LEVEL": "WARNING", **overrides}


def jobs_service(database_url: str, nats_url: str, port: int, trace_file: str | None = None,
                 **settings: str) -> AssayService:
    """The jobs service on 127.0.0.1:``port`` (start it, or use ``with``); spans go to ``trace_file`` if given;
    ``settings`` are further ``ASSAY_*`` variables."""
    env = _env(ASSAY_DATABASE_URL=database_url, ASSAY_NATS_URL=nats_url, ASSAY_GRPC_PORT=str(port),
               ASSAY_INGEST_ADDR="127.0.0.1:1", ASSAY_OUTBOX_POLL_SECONDS="0.2", ASSAY_DATABASE_POOL_SIZE="20",
               ASSAY_JOB_CAPABILITY_SECRET=CAPABILITY_SECRET,
               **({"ASSAY_TRACE_FILE": trace_file} if trace_file else {}), **settings)
    return AssayService("jobs", env, port=port)


def analysis_worker(nats_url: str, jobs_port: int, concurrency: int, **settings: str) -> AssayService:
    """An analysis worker consuming sentiment jobs (start it, or use ``with``); ``settings`` are further
    ``ASSAY_*`` variables."""
    port = free_port()
    env = _env(ASSAY_NATS_URL=nats_url, ASSAY_JOBS_ADDR=f"127.0.0.1:{jobs_port}", ASSAY_INGEST_ADDR="",
               ASSAY_GRPC_PORT=str(port), ASSAY_WORKER_ANALYZERS="sentiment",
               ASSAY_WORKER_CONCURRENCY=str(concurrency), **settings)
    return AssayService("analysis", env, port=port)


def gateway_service(jobs_port: int, port: int, **settings: str) -> AssayService:
    """The REST gateway on 127.0.0.1:``port`` over the jobs service (no ingest, analysis or NATS: its
    job view off), with further ``ASSAY_*`` ``settings``."""
    env = _env(ASSAY_HTTP_HOST="127.0.0.1", ASSAY_HTTP_PORT=str(port), ASSAY_JOBS_ADDR=f"127.0.0.1:{jobs_port}",
               ASSAY_INGEST_ADDR="127.0.0.1:1", ASSAY_ANALYSIS_ADDR="127.0.0.1:1", **settings)
    return AssayService("gateway", env, port=port)
