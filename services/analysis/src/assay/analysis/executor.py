"""Runs each attempt in its own child process, forked from a preloaded forkserver.

One process per attempt (instead of a shared ProcessPoolExecutor) keeps failures local: a crash,
a hang or a kill ends exactly one attempt, never the pool's other in-flight work, and a hung
analyzer is stopped with SIGKILL without rebuilding anything. Forkserver (not fork) because the
worker is multi-threaded (gRPC, NATS); the forkserver preloads the analyzers so a fork costs
milliseconds, and it inherits ``sys.path`` so test analyzers import in the child too.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Literal

from assay.analysis.child import ChildPayload, child_main
from assay.analysis.plugin import ArtifactFile
from assay.v1 import job_pb2

logger = logging.getLogger(__name__)

OutcomeKind = Literal["succeeded", "cancelled", "input_error", "failed"]


@dataclass
class Outcome:
    """How an attempt ended, as the runtime reports it to jobs."""

    kind: OutcomeKind
    code: str = ""
    message: str = ""
    retryable: bool = False
    result: job_pb2.JobResult | None = None
    artifacts: list[ArtifactFile] = field(default_factory=list)

    @property
    def label(self) -> str:
        """Metric label: the kind, or the failure code for failures."""
        return self.code.lower() if self.kind in ("failed", "input_error") and self.code else self.kind


class Executor:
    """Starts attempt processes; ``close`` makes any orphaned child exit."""

    def __init__(self, preload: Sequence[str] = (), cancel_grace_seconds: float = 2.0) -> None:
        self._mp = multiprocessing.get_context("forkserver")
        modules = ["assay.analysis.child", *(ref.partition(":")[0] for ref in preload)]
        self._mp.set_forkserver_preload(list(dict.fromkeys(modules)))
        self._alive_r, self._alive_w = self._mp.Pipe(duplex=False)
        self.cancel_grace_seconds = cancel_grace_seconds

    async def start(self, payload: ChildPayload) -> Execution:
        """Start the attempt's process (the first start also starts the forkserver)."""
        execution = Execution(self, payload)
        await asyncio.to_thread(execution.process.start)
        execution.started()
        return execution

    def close(self) -> None:
        self._alive_w.close()
        self._alive_r.close()


class Execution:
    """One running attempt: its latest progress, cancellation, and how it ended."""

    def __init__(self, executor: Executor, payload: ChildPayload) -> None:
        self._executor = executor
        self._payload = payload
        self._conn, child_conn = executor._mp.Pipe(duplex=False)
        self._child_conn: Connection | None = child_conn
        self._cancel = executor._mp.Event()
        self.process = executor._mp.Process(
            target=child_main, args=(payload, child_conn, self._cancel, executor._alive_r),
            name=f"analyze-{payload.job_id}", daemon=True,
        )
        self.progress = 0
        self.partial: job_pb2.JobResult | None = None
        self._final: tuple[Any, ...] | None = None
        self._reason: Literal["", "cancel", "time_limit", "abort"] = ""
        self._done: asyncio.Future[Outcome] | None = None
        self._timers: list[asyncio.TimerHandle] = []

    def started(self) -> None:
        if self._child_conn is not None:
            self._child_conn.close()
            self._child_conn = None
        loop = asyncio.get_running_loop()
        self._done = loop.create_future()
        loop.add_reader(self._conn.fileno(), self._drain)
        loop.add_reader(self.process.sentinel, self._exited)
        self._timers.append(loop.call_later(self._payload.time_limit_seconds, self._stop, "time_limit"))

    def cancel(self) -> None:
        """Ask the analyzer to stop (cancellation requested); killed after the grace period."""
        self._stop("cancel")

    def abort(self) -> None:
        """Kill at once: the attempt lost its lease, its outcome no longer matters."""
        self._reason = "abort"
        self._kill()

    async def wait(self) -> Outcome:
        assert self._done is not None, "start() the execution first"
        return await asyncio.shield(self._done)

    def _stop(self, reason: Literal["cancel", "time_limit"]) -> None:
        if self._reason or self._done is None or self._done.done():
            return
        self._reason = reason
        self._cancel.set()
        loop = asyncio.get_running_loop()
        self._timers.append(loop.call_later(self._executor.cancel_grace_seconds, self._kill))

    def _kill(self) -> None:
        if self.process.exitcode is None:
            logger.warning("killing analyzer process", extra={"job_id": self._payload.job_id,
                                                              "reason": self._reason})
            self.process.kill()

    def _drain(self) -> None:
        try:
            while self._conn.poll():
                message = self._conn.recv()
                if message[0] == "progress":
                    self.progress = max(self.progress, int(message[1]))
                    if message[2] is not None:
                        self.partial = job_pb2.JobResult.FromString(message[2])
                else:
                    self._final = message
        except (EOFError, OSError):
            asyncio.get_running_loop().remove_reader(self._conn.fileno())

    def _exited(self) -> None:
        loop = asyncio.get_running_loop()
        self._drain()
        loop.remove_reader(self._conn.fileno())
        loop.remove_reader(self.process.sentinel)
        for timer in self._timers:
            timer.cancel()
        self.process.join(0)
        self._conn.close()
        if self._done is not None and not self._done.done():
            self._done.set_result(self._outcome())

    def _outcome(self) -> Outcome:
        final, reason = self._final, self._reason
        if final is not None and final[0] == "done":
            return Outcome("succeeded", result=job_pb2.JobResult.FromString(final[1]), artifacts=[
                ArtifactFile(path=Path(p), name=n, media_type=m) for p, n, m in final[2]])
        if reason == "time_limit" or (final is not None and final[0] == "cancelled" and final[1] == "time_limit"):
            return Outcome("failed", "TIME_LIMIT_EXCEEDED", retryable=False, message=(
                f"the analyzer ran longer than its {self._payload.time_limit_seconds:g}s time limit"))
        if reason == "cancel" or (final is not None and final[0] == "cancelled"):
            return Outcome("cancelled")
        if reason == "abort":
            return Outcome("failed", "ABORTED", "the attempt was abandoned", retryable=True)
        if final is not None and final[0] == "input_error":
            return Outcome("input_error", final[1], final[2])
        if final is not None and final[0] == "error":
            return Outcome("failed", "ANALYZER_ERROR", f"{final[1]}: {final[2]}", retryable=True)
        code = self.process.exitcode
        how = f"was killed by signal {-code}" if code is not None and code < 0 else f"exited with code {code}"
        return Outcome("failed", "WORKER_CRASHED", f"the analyzer process {how} without a result",
                       retryable=True)
