"""Child processes: start with a log file, wait for readiness on a condition, stop politely."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"


def free_port() -> int:
    """A port the kernel considers free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    """True when nothing listens on ``port`` and it can be bound."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


def port_accepts(port: int) -> bool:
    """True when something accepts connections on ``port``."""
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_until(condition: Callable[[], bool], timeout: float, what: str,
               alive: Callable[[], bool] = lambda: True) -> None:
    """Poll ``condition`` until true; fail early if ``alive`` turns false, or after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if not alive():
            raise RuntimeError(f"{what}: the process exited during start-up")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not ready after {timeout:g}s")
        time.sleep(0.05)


def spawn(
    argv: Sequence[str | os.PathLike[str]], log_path: Path, *, env: Mapping[str, str] | None = None,
    cwd: Path | None = None, **kwargs: Any,
) -> subprocess.Popen[bytes]:
    """Start ``argv`` with stdout and stderr appended to ``log_path``; stdin closed."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [str(a) for a in argv], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None, cwd=cwd, start_new_session=True, **kwargs,
        )


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 25.0) -> None:
    """Send ``sig``, wait up to ``timeout``, then SIGKILL."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
