"""Helpers shared by the servers that run as child processes."""

from __future__ import annotations

import signal
import socket
import subprocess
from pathlib import Path

HOST = "127.0.0.1"


def free_port() -> int:
    """A port that was free a moment ago (the kernel picks it; a tiny race remains)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def port_accepts(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def stop_process(
    proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 10.0
) -> None:
    """Send `sig`, wait up to `timeout`, then SIGKILL."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)


def log_text(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""
