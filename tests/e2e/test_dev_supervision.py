"""`assay dev`'s supervisor (``DevStack.supervise``) as bench/chaos.py drives it: a service that fails
while starting (as analysis did with NATS restarting under it) is started again after its back-off
instead of ending supervision for every service, and a service held down for an outage stays down
until it is brought back; a backing server that dies (PostgreSQL, NATS, the S3 server) is started
again too."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator

import pytest
from harness import assert_eventually
from harness.assay_dev import private_root

from assay.devstack.servers import port_accepts
from assay.devstack.stack import DevStack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def supervised() -> Iterator[DevStack]:
    with private_root("assay-supervision-") as root:
        stack = DevStack(root / "dev")
        stack.start()
        supervisor = threading.Thread(target=stack.supervise, name="supervisor", daemon=True)
        supervisor.start()
        try:
            yield stack
        finally:
            stack.stop()
            supervisor.join(timeout=15)


def _kill(stack: DevStack, name: str) -> None:
    proc = stack.services[name].server.proc
    assert proc is not None
    os.kill(proc.pid, signal.SIGKILL)


def test_a_service_that_fails_while_starting_is_started_again(supervised: DevStack) -> None:
    gateway = supervised.services["gateway"]
    gateway.server.env["ASSAY_HTTP_PORT"] = "not-a-port"  # its next start exits with an error
    _kill(supervised, "gateway")
    assert_eventually(lambda: gateway.restarts >= 2, timeout=30)  # a failed start, then another try
    gateway.server.env["ASSAY_HTTP_PORT"] = str(supervised.ports["gateway"])  # fixed: the next start works
    assert_eventually(lambda: not gateway.exited and port_accepts(supervised.ports["gateway"]), timeout=60)
    assert supervised.env("analysis")["ASSAY_WORKER_SLOT"] == "assay-dev-analysis"


def test_a_held_down_service_stays_down_until_brought_back(supervised: DevStack) -> None:
    supervised.hold_down("ingest")
    time.sleep(2.0)  # two supervisor passes (every 0.5 s) that must leave it down: a duration, not a sync
    assert supervised.services["ingest"].exited and not port_accepts(supervised.ports["ingest"])
    supervised.bring_back("ingest")
    assert not supervised.services["ingest"].exited and port_accepts(supervised.ports["ingest"])


def test_a_backing_server_that_dies_is_started_again(supervised: DevStack) -> None:
    proc = supervised.nats.proc
    assert proc is not None
    os.kill(proc.pid, signal.SIGKILL)
    assert_eventually(lambda: supervised.nats.pid not in (None, proc.pid) and supervised.nats.running
                      and port_accepts(supervised.ports["nats"]), timeout=60)
    assert_eventually(lambda: supervised.describe()["backing_pids"]["nats"] == supervised.nats.pid)
