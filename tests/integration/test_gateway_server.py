"""``python -m assay.gateway`` as a real process: it serves with one and with two processes on one
port, both processes take connections, each has its /metrics port, and SIGTERM to the gateway's PID
stops every process it started.

Which process serves a connection is read from the kernel, not from the app
(``assay.devstack.servers.serving``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from harness.waiting import assert_eventually

from assay.devstack.servers import free_consecutive_ports, free_port
from assay.devstack.servers.serving import alive, descendants, kill_family, serving_pids

HOST = "127.0.0.1"
START_SECONDS = 60.0
"""A spawned worker imports the whole gateway: slow on a loaded machine."""


@dataclass
class GatewayProcess:
    proc: subprocess.Popen[bytes]
    port: int
    metrics_port: int

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"


@pytest.fixture
def start_gateway() -> Iterator[object]:
    started: list[GatewayProcess] = []

    def start(processes: int) -> GatewayProcess:
        # /metrics is metrics_port + the process's index: every port of the range must be free.
        port, metrics_port = free_port(), free_consecutive_ports(processes)
        env = {**os.environ, "ASSAY_GATEWAY_PROCESSES": str(processes),
               "ASSAY_HTTP_HOST": HOST, "ASSAY_HTTP_PORT": str(port), "ASSAY_METRICS_PORT": str(metrics_port),
               "ASSAY_JOBS_ADDR": f"{HOST}:1", "ASSAY_INGEST_ADDR": f"{HOST}:1", "ASSAY_ANALYSIS_ADDR": f"{HOST}:1",
               "ASSAY_NATS_URL": "", "ASSAY_OTLP_ENDPOINT": "", "ASSAY_TRACE_FILE": ""}
        proc = subprocess.Popen([sys.executable, "-m", "assay.gateway"], env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        gateway = GatewayProcess(proc, port, metrics_port)
        started.append(gateway)
        assert_eventually(lambda: httpx.get(f"{gateway.url}/healthz", timeout=2).status_code == 200,
                          timeout=START_SECONDS, interval=0.2, retry_on=(httpx.HTTPError, AssertionError))
        return gateway

    yield start
    for gateway in started:  # a failed test still stops what it started, by PID
        kill_family(gateway.proc)


def _stops_on_sigterm(gateway: GatewayProcess) -> None:
    family = descendants(gateway.proc.pid)
    gateway.proc.send_signal(signal.SIGTERM)
    assert gateway.proc.wait(30) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once it has shut down
    assert_eventually(lambda: not any(alive(pid) for pid in family), timeout=10)


def test_one_process_serves_the_api_and_stops_on_sigterm(start_gateway):
    gateway = start_gateway(1)
    response = httpx.get(f"{gateway.url}/healthz", timeout=5)
    assert response.json() == {"status": "ok"}
    assert response.headers["x-request-id"]
    assert response.headers["x-content-type-options"] == "nosniff"
    problem = httpx.get(f"{gateway.url}/v1/jobs", timeout=5)
    assert (problem.status_code, problem.headers["content-type"]) == (401, "application/problem+json")
    assert httpx.get(f"http://{HOST}:{gateway.metrics_port}/metrics", timeout=5).status_code == 200
    _stops_on_sigterm(gateway)


def test_two_processes_share_the_port_and_stop_together_on_sigterm(start_gateway):
    gateway = start_gateway(2)
    owners: set[int] = set()

    def both_serve() -> bool:
        owners.update(serving_pids(HOST, gateway.port, gateway.proc.pid))
        return len(owners) >= 2

    assert_eventually(both_serve, timeout=30, interval=0.05)
    assert gateway.proc.pid not in owners  # the parent only supervises
    assert owners <= descendants(gateway.proc.pid)
    for port in (gateway.metrics_port, gateway.metrics_port + 1):  # one /metrics port per process
        assert_eventually(lambda p=port: httpx.get(f"http://{HOST}:{p}/metrics", timeout=2).status_code == 200,
                          timeout=10, retry_on=(httpx.HTTPError, AssertionError))
    _stops_on_sigterm(gateway)
