"""A server that ignores SIGTERM is SIGKILLed with every process of its group: the worker processes
of a several-process gateway must not outlive their parent and keep holding its port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from harness.waiting import assert_eventually

from assay.devstack.servers.process import stop_process
from assay.devstack.servers.serving import alive

PARENT = """
import signal, subprocess, sys
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(120)"])
print(child.pid, flush=True)
child.wait()
"""


def test_a_server_ignoring_sigterm_is_killed_with_its_worker_processes() -> None:
    proc = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, start_new_session=True)
    try:
        assert proc.stdout is not None
        child = int(proc.stdout.readline())
        stop_process(proc, timeout=0.5)
        assert proc.returncode == -signal.SIGKILL
        assert_eventually(lambda: not alive(child), timeout=10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
