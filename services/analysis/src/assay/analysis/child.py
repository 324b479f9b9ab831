"""What runs inside an analyzer child process: attempts, one at a time, with a pipe-backed RunContext.

A child is long-lived: ``serve_attempts`` receives one ``ChildPayload`` at a time over its command
pipe, runs it, reports, and waits for the next, so imports and lazily built models (VADER) are
paid once per child rather than once per attempt. The parent only sends the next payload after
the previous attempt's final message, and replaces a child that crashed, was killed or raised.

A ``ChildBatch`` (small attempts, ``small_batches``) is one exchange: the child runs its payloads
one after the other, without progress messages, and answers with one message,
``("batch", [final, ...])``, each item's final message as below, in order. A child that dies
during a batch has no answer for any of them.

Messages to the parent (tuples over a one-way pipe):
``("progress", percent, partial_bytes | None)``, and exactly one final message:
``("done", result_bytes, [(path, name, media_type), ...])``, ``("input_error", code, message)``
(also for a ``RecursionError``, a ``MemoryError`` — the child's address space is limited — or a
PDF stream past its decoding cap, reported as ``INPUT_TOO_COMPLEX``),
``("cancelled", reason)`` (reason ``cancel`` or ``time_limit``) or ``("error", type, message)``.
A child that dies without a final message crashed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import resource
import signal
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

from assay.analysis.input_limits import cap_pdf_decoding_in_this_process, limit_error
from assay.analysis.plugin import AnalysisCancelled, AnalysisInputError, ArtifactFile, InputDocument
from assay.analysis.registry import load_ref
from assay.v1 import job_pb2

PROGRESS_MIN_INTERVAL = 0.2
"""Seconds between two progress messages; in-between reports only update the latest value."""
ORPHAN_EXIT_CODE = 70


@dataclass(frozen=True)
class ChildPayload:
    """Everything the child needs, picklable."""

    ref: str
    job_id: str
    tenant_id: str
    attempt: int
    params: bytes
    text: str
    inputs: tuple[InputDocument, ...]
    work_dir: str
    time_limit_seconds: float
    dependencies: tuple[bytes, ...] = ()
    """The dependency jobs (``StartJobResponse.dependencies``), serialised."""
    dependency_files: tuple[InputDocument, ...] = ()
    """The dependencies' artifacts on local disk."""


@dataclass(frozen=True)
class ChildBatch:
    """Several small attempts run in one exchange with a warm child."""

    payloads: tuple[ChildPayload, ...]

    @property
    def job_id(self) -> str:
        """For log lines about the exchange."""
        return f"a batch of {len(self.payloads)}"

    @property
    def time_limit_seconds(self) -> float:
        """The whole batch may take as long as its slowest item could: past it, each runs alone."""
        return max(payload.time_limit_seconds for payload in self.payloads)


@dataclass
class PipeRunContext:
    """The child's RunContext: progress to the parent, cancellation from a shared Event."""

    job_id: str
    tenant_id: str
    attempt: int
    params: job_pb2.JobParams
    text: str
    inputs: Sequence[InputDocument]
    logger: logging.Logger
    conn: Connection | None
    """None in a batch: progress is not reported."""
    cancel: Event
    deadline: float
    work_dir: Path
    dependencies: Sequence[job_pb2.Job] = ()
    dependency_files: Sequence[InputDocument] = ()
    artifacts: list[ArtifactFile] = field(default_factory=list)
    _last_sent: float = 0.0
    _pending: tuple[int, bytes | None] | None = None

    def report_progress(self, percent: int, partial: job_pb2.JobResult | None = None) -> None:
        pct = max(0, min(100, int(percent)))
        data = partial.SerializeToString() if partial is not None else None
        if self._pending is not None and data is None:
            data = self._pending[1]  # keep an unsent partial
        self._pending = (pct, data)
        now = time.monotonic()
        if now - self._last_sent >= PROGRESS_MIN_INTERVAL:
            self.flush()

    def flush(self) -> None:
        if self._pending is not None and self.conn is not None:
            self.conn.send(("progress", *self._pending))
            self._pending = None
            self._last_sent = time.monotonic()

    def check_cancelled(self) -> None:
        if self.cancel.is_set():
            raise AnalysisCancelled("job cancelled")
        if time.monotonic() > self.deadline:
            raise _TimeLimit("time limit exceeded")

    def artifact_path(self, name: str, media_type: str) -> Path:
        path = self.work_dir / f"artifact-{len(self.artifacts)}-{Path(name).name}"
        self.artifacts.append(ArtifactFile(path=path, name=name, media_type=media_type))
        return path


class _TimeLimit(AnalysisCancelled):
    """The attempt's time limit passed (reported as ``cancelled/time_limit``)."""


def _exit_when_orphaned(alive: Connection) -> None:
    """Block on the worker's liveness pipe; EOF means the worker died, so stop at once."""
    with contextlib.suppress(EOFError, OSError):
        alive.recv()
    os._exit(ORPHAN_EXIT_CODE)


def _prepare_process(alive: Connection, memory_limit_bytes: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the worker decides when its children stop
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    threading.Thread(target=_exit_when_orphaned, args=(alive,), daemon=True).start()
    cap_pdf_decoding_in_this_process()
    if memory_limit_bytes > 0:
        # An input that needs more than this fails with MemoryError, reported as INPUT_TOO_COMPLEX.
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit_bytes, memory_limit_bytes))


def serve_attempts(
    commands: Connection, conn: Connection, cancel: Event, alive: Connection, memory_limit_bytes: int = 0,
    environment: dict[str, str] | None = None,
) -> None:
    """Entry point of a long-lived analyzer process: run each payload received, until EOF."""
    os.environ.update(environment or {})
    _prepare_process(alive, memory_limit_bytes)
    while True:
        try:
            payload = commands.recv()
        except (EOFError, OSError):
            return  # the worker closed the pool
        if isinstance(payload, ChildBatch):
            conn.send(("batch", [attempt_final(item, None, cancel) for item in payload.payloads]))
        else:
            run_attempt(payload, conn, cancel)


def run_attempt(payload: ChildPayload, conn: Connection, cancel: Event) -> None:
    """Run one attempt and send its progress and exactly one final message."""
    conn.send(attempt_final(payload, conn, cancel))


def attempt_final(payload: ChildPayload, conn: Connection | None, cancel: Event) -> tuple[Any, ...]:
    """Run one attempt (its progress to ``conn``, if any) and return its final message."""
    ctx = PipeRunContext(
        job_id=payload.job_id, tenant_id=payload.tenant_id, attempt=payload.attempt,
        params=job_pb2.JobParams.FromString(payload.params), text=payload.text, inputs=payload.inputs,
        logger=logging.getLogger("assay.analysis.run"), conn=conn, cancel=cancel,
        deadline=time.monotonic() + payload.time_limit_seconds, work_dir=Path(payload.work_dir),
        dependencies=[job_pb2.Job.FromString(data) for data in payload.dependencies],
        dependency_files=payload.dependency_files,
    )
    final: tuple[Any, ...]
    try:
        result = load_ref(payload.ref).run(ctx)
        ctx.flush()
        final = ("done", result.SerializeToString(),
                 [(str(a.path), a.name, a.media_type) for a in ctx.artifacts])
    except _TimeLimit:
        final = ("cancelled", "time_limit")
    except AnalysisCancelled:
        final = ("cancelled", "time_limit" if time.monotonic() > ctx.deadline and not cancel.is_set() else "cancel")
    except AnalysisInputError as exc:
        final = ("input_error", exc.code, exc.message)
    except BaseException as exc:  # every failure is reported to the parent
        limit = limit_error(exc)  # a RecursionError, MemoryError or PDF decoding cap: INPUT_TOO_COMPLEX
        final = ("input_error", limit.code, limit.message) if limit else ("error", type(exc).__name__, str(exc)[:2000])
    return final
