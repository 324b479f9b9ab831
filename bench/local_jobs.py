"""What the single-part benchmarks share: the test harness's PostgreSQL and NATS, a jobs service
as a ``python -m assay.jobs`` subprocess on them, and a process's CPU seconds (bench_worker.py,
bench_jobs_cpu.py, bench_gateway_reads.py import it as a sibling of the script being run).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from harness import NatsServer, Postgres, PostgresServer, free_port, stop_process  # noqa: E402

from assay.common.migrations import upgrade  # noqa: E402
from assay.jobs.migrations import SCRIPT_LOCATION as MIGRATIONS  # noqa: E402

SECRET = "bench-secret-0123456789abcdef0123456789"
TICKS = os.sysconf("SC_CLK_TCK")
__all__ = [  # with the harness pieces the benchmarks use, so they need not put tests/ on sys.path
    "SECRET", "NatsServer", "PostgresServer", "cpu_seconds", "free_port", "jobs_database", "spawn_jobs",
    "stop_process",
]


def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` (all threads) in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def jobs_database(postgres: Postgres) -> str:
    """A migrated ``bench`` database owned by a non-superuser role (so row-level security applies)."""
    postgres.create_role("bench", "pw")
    postgres.create_database("bench", owner="bench")
    url = postgres.url_for("bench", user="bench", password="pw")
    upgrade(MIGRATIONS, url, "jobs")
    return url


def spawn_jobs(database_url: str, nats_url: str, port: int, trace_file: str | None = None) -> subprocess.Popen[bytes]:
    """The jobs service on 127.0.0.1:``port``; spans go to ``trace_file`` if given, nowhere otherwise."""
    env = {**os.environ, "ASSAY_DATABASE_URL": database_url, "ASSAY_NATS_URL": nats_url,
           "ASSAY_GRPC_HOST": "127.0.0.1", "ASSAY_GRPC_PORT": str(port), "ASSAY_METRICS_PORT": "-1",
           "ASSAY_JWT_HS256_SECRET": SECRET, "ASSAY_LOG_LEVEL": "WARNING", "ASSAY_INGEST_ADDR": "127.0.0.1:1",
           "ASSAY_OUTBOX_POLL_SECONDS": "0.2", "ASSAY_DATABASE_POOL_SIZE": "20"}
    env.pop("ASSAY_TRACE_FILE", None)
    env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    if trace_file:
        env["ASSAY_TRACE_FILE"] = trace_file
    return subprocess.Popen([sys.executable, "-m", "assay.jobs"], env=env)
