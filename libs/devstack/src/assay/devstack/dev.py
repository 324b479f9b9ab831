"""``assay dev``: take the data directory, start the stack, supervise it, stop it on a signal."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import TextIO

from assay.devstack.lock import DataDirLock, StackRunning
from assay.devstack.stack import DevStack

EXIT_OK, EXIT_ALREADY_RUNNING = 0, 3
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""Ctrl-C, a polite kill and a closed terminal all stop every process the stack started."""


class StopRequested(BaseException):
    """Raised in the main thread by a stop signal, so even a start in progress is cut short."""


def _request_stop(signum: int, frame: FrameType | None) -> None:
    raise StopRequested(signal.Signals(signum).name)


def _say(text: str, stream: TextIO | None = None) -> None:
    """Print, ignoring a terminal that is gone (after SIGHUP writing to it fails)."""
    with contextlib.suppress(OSError):
        print(text, file=stream or sys.stdout, flush=True)


def seconds_since_process_start() -> float:
    """How long ago this process started (so start-up time includes Python's own and the imports)."""
    start_ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return uptime - start_ticks / os.sysconf("SC_CLK_TCK")


def run(data_dir: Path) -> int:
    """Run the stack in ``data_dir`` until SIGINT, SIGTERM or SIGHUP; 3 if one already runs there."""
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = DataDirLock(data_dir)
    try:
        lock.acquire()
    except StackRunning as exc:
        _say(f"assay dev: {exc}", sys.stderr)
        return EXIT_ALREADY_RUNNING
    for sig in STOP_SIGNALS:
        signal.signal(sig, _request_stop)
    stack = DevStack(data_dir)
    try:
        stack.start()
        _announce(stack, seconds_since_process_start())
        threading.Thread(target=stack.supervise, name="assay-dev-supervisor", daemon=True).start()
        threading.Event().wait()  # until a stop signal raises StopRequested here
    except StopRequested:
        pass
    finally:
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)  # a second Ctrl-C must not cut the stop short
        _say("Stopping…")
        stack.stop()
        lock.release()
    return EXIT_OK


def _announce(stack: DevStack, seconds: float) -> None:
    info = stack.describe()
    phases = ", ".join(f"{name} {took:.1f} s" for name, took in stack.timings.items())
    skipped = "" if stack.provisioned else "; migrations and provisioning were current, skipped"
    _say(f"Assay is ready in {seconds:.1f} s ({phases}{skipped}).")
    _say(f"  gateway   {info['gateway_url']}   (docs: {info['gateway_url']}/docs)")
    for name, endpoint in info["endpoints"].items():
        _say(f"  {name:<9} {endpoint}")
    _say(f"  data      {info['data_dir']}   (stack.json, logs/, traces/)")
    _say(f"  token     {info['token']}")
    _say(f"  console   {info['gateway_url']}/console/#token={info['token']}   (signs in as tenant dev)")
    _say("Press Ctrl-C to stop.")
