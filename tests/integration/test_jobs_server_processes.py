"""``python -m assay.jobs`` with ``ASSAY_JOBS_PROCESSES=2`` as a real process on the real database and
NATS: two serving processes (never the parent) take the port's connections, each has its /metrics
port, SIGTERM to the parent's PID stops every one, a SIGKILL of the parent takes its serving
processes with it, and a start that cannot bind the port fails the parent instead of looping.

Which process serves a connection is read from the kernel (``assay.devstack.servers.serving``).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from harness import Postgres
from harness.jobs import SERVICE_KEYS, fresh_database
from harness.waiting import assert_eventually

from assay.common.grpc_server import LIVENESS_SERVICE
from assay.common.migrations import upgrade
from assay.devstack.servers import free_consecutive_ports, free_port
from assay.devstack.servers.serving import alive, connection_owners, descendants, kill_family
from assay.jobs.migrations import SCRIPT_LOCATION as MIGRATIONS

HOST = "127.0.0.1"
START_SECONDS = 60.0
"""A spawned serving process imports the whole jobs service: slow on a loaded machine."""


@dataclass
class JobsProcess:
    proc: subprocess.Popen[bytes]
    port: int
    metrics_port: int


def _serving(port: int, channels: list[grpc.Channel]) -> bool:
    for channel in channels:
        response = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=LIVENESS_SERVICE), timeout=5)
        assert response.status == health_pb2.HealthCheckResponse.SERVING
    return True


def _channels(port: int, count: int) -> list[grpc.Channel]:
    """``count`` channels, each with its own connection (no shared subchannel)."""
    return [grpc.insecure_channel(f"{HOST}:{port}", options=[("grpc.use_local_subchannel_pool", 1)])
            for _ in range(count)]


@pytest.fixture
def start_jobs_processes(postgres: Postgres, nats_server) -> Iterator[object]:  # type: ignore[no-untyped-def]
    url = fresh_database(postgres, "jobsprocs")
    upgrade(MIGRATIONS, url, "jobs")
    started: list[JobsProcess] = []

    def start(processes: int, port: int | None = None) -> JobsProcess:
        port = port or free_port()
        metrics_port = free_consecutive_ports(2)  # one /metrics port per serving process
        env = {**os.environ, "ASSAY_JOBS_PROCESSES": str(processes), "ASSAY_GRPC_HOST": HOST,
               "ASSAY_GRPC_PORT": str(port), "ASSAY_METRICS_PORT": str(metrics_port), "ASSAY_DATABASE_URL": url,
               "ASSAY_NATS_URL": nats_server.url, "ASSAY_INGEST_ADDR": f"{HOST}:1", "ASSAY_OTLP_ENDPOINT": "",
               "ASSAY_TRACE_FILE": "", "ASSAY_SHUTDOWN_GRACE_SECONDS": "1",
               **{f"ASSAY_{key.upper()}": value for key, value in SERVICE_KEYS.items()}}
        proc = subprocess.Popen([sys.executable, "-m", "assay.jobs"], env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        jobs = JobsProcess(proc, port, metrics_port)
        started.append(jobs)
        return jobs

    yield start
    for jobs in started:  # a failed test still stops what it started, by PID
        kill_family(jobs.proc)


def _both_serve(jobs: JobsProcess) -> set[int]:
    """Connections until two processes hold some (the kernel spreads them by a hash)."""
    owners: set[int] = set()
    opened: list[grpc.Channel] = []

    def two_owners() -> bool:
        channels = _channels(jobs.port, 4)
        opened.extend(channels)
        _serving(jobs.port, channels)
        owners.update(connection_owners(jobs.port, jobs.proc.pid))
        return len(owners) >= 2

    try:
        assert_eventually(two_owners, timeout=START_SECONDS, interval=0.2,
                          retry_on=(grpc.RpcError, AssertionError))
    finally:
        for channel in opened:
            channel.close()
    return owners


def test_two_processes_share_the_port_and_stop_together_on_sigterm(start_jobs_processes):
    jobs = start_jobs_processes(2)
    owners = _both_serve(jobs)
    assert jobs.proc.pid not in owners  # the parent only supervises
    assert owners <= descendants(jobs.proc.pid)
    for port in (jobs.metrics_port, jobs.metrics_port + 1):  # one /metrics port per process
        assert_eventually(lambda p=port: httpx.get(f"http://{HOST}:{p}/metrics", timeout=2).status_code == 200,
                          timeout=10, retry_on=(httpx.HTTPError, AssertionError))
    family = descendants(jobs.proc.pid)
    jobs.proc.send_signal(signal.SIGTERM)
    assert jobs.proc.wait(30) == 0
    assert_eventually(lambda: not any(alive(pid) for pid in family), timeout=10)


def test_a_killed_parent_takes_its_serving_processes_with_it(start_jobs_processes):
    jobs = start_jobs_processes(2)
    _both_serve(jobs)
    family = descendants(jobs.proc.pid)
    jobs.proc.send_signal(signal.SIGKILL)
    jobs.proc.wait(10)
    try:
        assert_eventually(lambda: not any(alive(pid) for pid in family), timeout=30)
    finally:  # the fixture finds no family below a dead parent: stop what survived it here
        for pid in family:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_port_the_processes_cannot_bind_fails_the_parent(start_jobs_processes):
    with socket.create_server((HOST, 0)) as taken:  # bound without SO_REUSEPORT: nobody shares it
        jobs = start_jobs_processes(2, port=taken.getsockname()[1])
        assert jobs.proc.wait(START_SECONDS) != 0
    assert_eventually(lambda: not descendants(jobs.proc.pid), timeout=10)
