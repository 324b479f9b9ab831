"""Several serving processes of one gRPC service on one port, under one supervising parent.

Each serving process binds the service's port itself with ``SO_REUSEPORT`` (gRPC core's
``grpc.so_reuseport``), and Linux hands each new connection to one of the listening processes (a
hash of the connection's addresses): a client's connection, and every call on it, stays with one
process, so a client spreads over the processes only with several connections. The parent serves
nothing: it starts ``count`` processes (``multiprocessing``'s spawn: a fresh interpreter each, no
inherited event loop, gRPC state or exporter threads), restarts one that dies while serving, and on
SIGTERM, SIGINT or SIGHUP sends SIGTERM to every one (each drains its calls as a single process
does) and waits for them, SIGKILL after ``stop_seconds``. A process that exits with an error within
``STARTUP_SECONDS`` of its start (a port it cannot bind, settings it refuses) stops them all, and
the parent exits with its code, as one process would, so the supervisor above (``assay dev``,
Kubernetes) sees the failure. A serving process whose parent dies is sent SIGTERM by the kernel
(``PR_SET_PDEATHSIG``): nothing keeps serving on the port after a SIGKILL of the parent.

The gateway's processes are uvicorn's (``assay.gateway.serve``): an ASGI server has its own
supervisor, sharing one listening socket, which gRPC's server cannot take.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess

logger = logging.getLogger(__name__)

STARTUP_SECONDS = 10.0
"""A serving process that fails sooner after its start is not restarted: its start is broken."""
RESTART_SPACING_SECONDS = 1.0
"""The shortest time between two starts of one serving process (a process that keeps dying)."""
_PR_SET_PDEATHSIG = 1

_spawn = multiprocessing.get_context("spawn")


def _die_with_parent(parent: int) -> None:
    """Ask the kernel for SIGTERM when the parent exits (Linux; elsewhere nothing)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it exited before the request was made
        os.kill(os.getpid(), signal.SIGTERM)


def _serving_process(target: Callable[[int], None], index: int, parent: int) -> None:
    _die_with_parent(parent)
    target(index)


class ServingProcesses:
    """``count`` processes each running ``target(index)`` (index 0 … count - 1), kept running."""

    def __init__(self, count: int, target: Callable[[int], None], *, stop_seconds: float = 30.0) -> None:
        """``target`` must be picklable (a module-level function or a ``functools.partial`` of one)."""
        if count < 1:
            raise ValueError("at least one serving process")
        self._count = count
        self._target = target
        self._stop_seconds = stop_seconds
        self._stopping = threading.Event()
        self._processes: list[BaseProcess] = []
        self._started: list[float] = []

    @property
    def pids(self) -> list[int]:
        """The serving processes' ids now."""
        return [process.pid for process in self._processes if process.pid is not None]

    def stop(self) -> None:
        """Ask ``run`` to stop every process and return (safe from a signal handler)."""
        self._stopping.set()

    def run(self) -> int:
        """Serve until ``stop`` (or a signal, when called from the main thread); the exit code: 0, or
        the code of a process that failed while starting."""
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                signal.signal(sig, lambda *_: self.stop())
        self._processes = [self._start(index) for index in range(self._count)]
        self._started = [time.monotonic()] * self._count
        logger.info("serving with %d processes", self._count, extra={"pids": self.pids})
        code = 0
        while not self._stopping.is_set() and code == 0:
            wait([process.sentinel for process in self._processes], timeout=0.5)
            code = self._replace_exited()
        self._stop_all()
        return code

    def _start(self, index: int) -> BaseProcess:
        process = _spawn.Process(target=_serving_process, args=(self._target, index, os.getpid()),
                                 name=f"serving-{index}", daemon=False)
        process.start()
        return process

    def _replace_exited(self) -> int:
        """Restart each process that exited while serving; a failed start's exit code stops all."""
        for index, process in enumerate(self._processes):
            if process.exitcode is None or self._stopping.is_set():
                continue
            ran = time.monotonic() - self._started[index]
            if process.exitcode != 0 and ran < STARTUP_SECONDS:
                logger.error("serving process %d (pid %s) failed to start (exit code %s): stopping",
                             index, process.pid, process.exitcode)
                return process.exitcode if process.exitcode > 0 else 1
            logger.warning("serving process %d (pid %s) exited with code %s after %.0f s: restarting",
                           index, process.pid, process.exitcode, ran)
            self._stopping.wait(max(0.0, RESTART_SPACING_SECONDS - ran))
            if self._stopping.is_set():
                break
            self._processes[index] = self._start(index)
            self._started[index] = time.monotonic()
        return 0

    def _stop_all(self) -> None:
        for process in self._processes:
            if process.exitcode is None and process.pid is not None:
                with contextlib.suppress(ProcessLookupError):  # exited since the check
                    os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self._stop_seconds
        for process in self._processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.exitcode is None:
                logger.warning("serving process %s did not stop in %.0f s: killed", process.pid, self._stop_seconds)
                process.kill()
                process.join()

