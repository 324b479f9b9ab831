"""A server as a child process: its log, readiness from its own output, a polite stop."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

HOST = "127.0.0.1"
RAM_SCRATCH = Path("/dev/shm")
"""Where a throwaway server that writes many files keeps them when the machine has the room (Linux's tmpfs)."""
RAM_SCRATCH_MIN_FREE = 4 * 1024**3
"""The room a throwaway server's files may take: a whole test session's PostgreSQL databases came to 1.5 GB."""


def ram_scratch() -> Path | None:
    """A RAM-backed directory with ``RAM_SCRATCH_MIN_FREE`` free, else None (the system's temporary directory).
    A test session's PostgreSQL cluster is some 50,000 files; deleting them from a disk mounted with ``discard``
    took over three minutes, on tmpfs a moment."""
    try:
        usable = (
            RAM_SCRATCH.is_dir()
            and os.access(RAM_SCRATCH, os.W_OK | os.X_OK)
            and shutil.disk_usage(RAM_SCRATCH).free >= RAM_SCRATCH_MIN_FREE
        )
    except OSError:
        return None
    return RAM_SCRATCH if usable else None


def free_port() -> int:
    """A port the kernel considered free a moment ago (a tiny race remains)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def free_consecutive_ports(count: int) -> int:
    """The first of ``count`` consecutive ports the kernel considered free a moment ago (servers
    that bind ``port + index``, one per process, need all of them)."""
    for _ in range(50):
        port = free_port()
        if port + count - 1 <= 65535 and all(port_is_free(port + step) for step in range(1, count)):
            return port
    raise RuntimeError(f"no {count} consecutive free ports")


def port_is_free(port: int) -> bool:
    """True when nothing listens on ``port`` and a server can bind it (as servers do, with
    SO_REUSEADDR, so connections of a stopped server still in TIME_WAIT don't count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
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


def stop_process(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
    """Send ``sig``, wait up to ``timeout``, then SIGKILL and reap."""
    if proc.poll() is None:
        proc.send_signal(sig)
        _wait_or_kill(proc, timeout)


def _wait_or_kill(proc: subprocess.Popen[bytes], timeout: float) -> None:
    """Wait; past ``timeout`` SIGKILL the process and, when it leads its own process group (servers
    start in a session of their own), the group: the worker processes of a several-process gateway
    must not outlive their parent and keep its port."""
    try:
        proc.wait(max(timeout, 0.0))
    except subprocess.TimeoutExpired:
        if os.getpgid(proc.pid) == proc.pid:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
        proc.wait(10)


class Managed:
    """``with`` starts and closes; subclasses define ``start`` and ``close``."""

    def start(self) -> Self:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None,
    ) -> None:
        self.close()


class ServerProcess(Managed):
    """One server process whose data and log live under ``root``.

    Subclasses give the command line (``command``), what in the log means ready (``ready``), and
    may prepare the data directory first (``prepare``).
    """

    name = "server"
    stop_signal: int = signal.SIGTERM

    def __init__(self, root: Path | None = None, port: int = 0, timeout: float = 60.0) -> None:
        self._owns_root = root is None
        self.root = root.resolve() if root is not None else None
        self.port = port
        self.timeout = timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self._log_start = 0

    # -- what a subclass says ------------------------------------------------------------------

    def command(self) -> list[str]:
        raise NotImplementedError

    def ready(self, output: str) -> bool:
        """Whether ``output`` (the log since this start) says the server is ready."""
        raise NotImplementedError

    def prepare(self) -> None:
        """Make ``root`` usable before the first start (e.g. initdb)."""

    def spawn_options(self) -> dict[str, Any]:
        """Extra ``subprocess.Popen`` arguments (e.g. the account to run as)."""
        return {}

    def environment(self) -> dict[str, str] | None:
        """The child's environment; None inherits ours."""
        return None

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def log_path(self) -> Path:
        assert self.root is not None, "call start() first"
        return self.root / f"{self.name}.log"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def start(self) -> Self:
        """Start and wait until ready; a no-op while running. Raises with the log if it fails."""
        self.launch()
        self.wait_ready()
        return self

    def launch(self) -> None:
        """Start the process without waiting (``wait_ready`` waits): lets several start at once."""
        if self.running:
            return
        if self.root is None:
            self.root = Path(tempfile.mkdtemp(prefix=f"assay-{self.name}-", dir=self.scratch_parent()))
        self.root.mkdir(parents=True, exist_ok=True)
        self.prepare()
        self._log_start = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.command(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=self.root,
                env=self.environment(), start_new_session=True, **self.spawn_options(),
            )

    def scratch_parent(self) -> Path | None:
        """Where a temporary root is made: the system's temporary directory unless a server says otherwise."""
        return None

    def wait_ready(self) -> None:
        """Poll the log until ``ready``; fail early if the process exits, or after ``timeout``."""
        deadline = time.monotonic() + self.timeout
        while not self.ready(self.output()):
            if not self.running:
                code = self.proc.returncode if self.proc is not None else None
                raise RuntimeError(f"{self.name} exited with {code} during start-up; log:\n{self.output()[-4000:]}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.name} not ready after {self.timeout:g}s; log:\n{self.output()[-4000:]}")
            time.sleep(0.05)

    def output(self) -> str:
        """What the server has written to its log since this start."""
        if self.root is None or not self.log_path.exists():
            return ""
        with self.log_path.open("rb") as log:
            log.seek(self._log_start)
            return log.read().decode(errors="replace")

    def stop(self, timeout: float = 10.0) -> None:
        """Shutdown signal, wait up to ``timeout``, then SIGKILL; keeps the data."""
        if self.proc is not None:
            stop_process(self.proc, self.stop_signal, timeout)
            self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        """Stop, and delete the data if it was in a temporary directory."""
        self.stop()
        if self._owns_root and self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None


def start_all(servers: Iterable[ServerProcess]) -> None:
    """Launch every server, then wait for each: they start side by side."""
    servers = list(servers)
    for server in servers:
        server.launch()
    for server in servers:
        server.wait_ready()


def stop_all(servers: Iterable[ServerProcess], timeout: float = 10.0) -> None:
    """Signal every server, then wait for each (within one ``timeout`` overall), killing stragglers."""
    running = [server for server in servers if server.running]
    for server in running:
        assert server.proc is not None
        server.proc.send_signal(server.stop_signal)
    deadline = time.monotonic() + timeout
    for server in running:
        assert server.proc is not None
        _wait_or_kill(server.proc, deadline - time.monotonic())
        server.proc = None
