"""Runs attempts in child processes: a warm pool of long-lived children, one attempt at a time each
(or one ``ChildBatch`` of small attempts, see ``small_batches``).

Children (not threads, not a shared ProcessPoolExecutor) keep failures local: each child runs
exactly one attempt at a time, so a crash, a hang or a kill ends exactly that attempt, never other
in-flight work, and a hung analyzer is stopped with SIGKILL without rebuilding anything. A child
that finished an attempt cleanly waits, warm (imports done, models built), for the next one; a
child that crashed, was killed or raised is replaced by a fresh one. Forkserver (not fork) because
the worker is multi-threaded (gRPC, NATS); the forkserver preloads the analyzers so a fork costs
milliseconds, and it inherits ``sys.path`` so test analyzers import in the child too.

A child that ran ``attempts_per_child`` attempts (bounding whatever an analyzer leaks) is replaced
*warm*: it keeps serving while its replacement starts and rehearses the last attempt the old one
ran of a ``rehearsable`` analyzer (inline text only, of an analyzer whose result is a function of
its input: nothing is written anywhere, the result is dropped), which builds the models that
attempt needs; only then does the old one retire. Retiring at once had cost every attempt that
reached the fresh child the models' first build: with a worker's children used in turn they reach
the limit together, and the whole worker stood still 1.5-4 s under a flood (8-22 s on a loaded
machine) every 1,000 attempts (bench/README.md, "the fair-share gaps").

``keep_warm(n)`` keeps at least ``n`` children alive once a rehearsable attempt has run: a child
beyond the ordinary ones is started the same way (it rehearses that attempt before it joins the idle
ones), so the spare lane of the small attempts' queue (``fair_queue``) finds a warm child, never one
that builds its models while a tenant's attempt waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import multiprocessing.context
import shutil
import tempfile
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Literal

import prometheus_client
from opentelemetry import trace
from opentelemetry.context import Context

from assay.analysis.child import ChildBatch, ChildPayload, serve_attempts
from assay.analysis.input_limits import TOO_COMPLEX
from assay.analysis.plugin import ArtifactFile
from assay.v1 import job_pb2

logger = logging.getLogger(__name__)
tracer = trace.get_tracer("assay.analysis")

CHILDREN_REPLACED = prometheus_client.Counter(
    "assay_worker_children_replaced_total",
    "Analyzer processes replaced after their attempt limit, by whether the replacement rehearsed an attempt "
    "(warm) before taking work.", ["rehearsed"])
SPARES_WARMED = prometheus_client.Counter(
    "assay_worker_spare_children_warmed_total",
    "Analyzer processes started beyond the running ones to keep the warm count (keep_warm), by whether they "
    "rehearsed an attempt.", ["rehearsed"])

OutcomeKind = Literal["succeeded", "cancelled", "input_error", "failed"]

ATTEMPTS_PER_CHILD = 500
"""A child is replaced (warm, see above) after this many attempts, bounding whatever an analyzer leaks."""
_REUSABLE_FINALS = ("done", "cancelled", "input_error")
"""Final messages after which the child is known to be in a clean state (not after ``error``)."""


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


class _Child:
    """One long-lived analyzer process and its pipes: payloads in, progress and outcomes out."""

    def __init__(
        self, mp: multiprocessing.context.ForkServerContext, alive: Connection, memory_limit_bytes: int,
        environment: Mapping[str, str] | None = None,
    ) -> None:
        self._commands_r, self.commands = mp.Pipe(duplex=False)
        self.conn, self._conn_w = mp.Pipe(duplex=False)
        self.cancel = mp.Event()
        self.process = mp.Process(
            target=serve_attempts, args=(self._commands_r, self._conn_w, self.cancel, alive, memory_limit_bytes,
                                          dict(environment or {})),
            name="analyzer", daemon=True,
        )
        self.attempts = 0
        self.rehearsal: ChildPayload | None = None
        """The last attempt it ran that its replacement may rehearse."""
        self.replacing: asyncio.Task[None] | None = None
        self.retired = False
        """Its warm replacement took its place: it ends once idle."""

    def started(self) -> None:
        """Drop the parent's copies of the child's pipe ends (so a dead child reads as EOF)."""
        self._commands_r.close()
        self._conn_w.close()

    def usable(self) -> bool:
        return not self.retired and self.process.is_alive()

    def close(self) -> None:
        """Retire the child: EOF on its command pipe ends it; kill it if it lingers."""
        for end in (self.commands, self.conn):
            end.close()
        self.process.join(1.0)
        if self.process.exitcode is None:
            self.process.kill()
            self.process.join(1.0)


class Executor:
    """Hands attempts to warm child processes; ``close`` makes every child exit."""

    def __init__(
        self, preload: Sequence[str] = (), cancel_grace_seconds: float = 2.0, memory_limit_bytes: int = 0,
        environment: Mapping[str, str] | None = None, *, rehearsable: Collection[str] = (),
        attempts_per_child: int = ATTEMPTS_PER_CHILD,
    ) -> None:
        """``environment``: variables set in every child before it runs an attempt (the analyzers'
        own settings, e.g. the database the index analyzer writes; the forkserver's environment is
        the one of its first start); ``rehearsable``: the analyzer refs whose inline-text attempts a
        replacement child may run again to warm up: small work (``batch_inline_text``) of analyzers
        whose result is a function of their input alone (``cacheable``)."""
        self._mp = multiprocessing.get_context("forkserver")
        modules = ["assay.analysis.child", *(ref.partition(":")[0] for ref in preload)]
        self._mp.set_forkserver_preload(list(dict.fromkeys(modules)))
        self._alive_r, self._alive_w = self._mp.Pipe(duplex=False)
        self.cancel_grace_seconds = cancel_grace_seconds
        self.memory_limit_bytes = memory_limit_bytes
        self.environment = dict(environment or {})
        """Address-space limit (RLIMIT_AS) of each child; 0: none."""
        self._idle: list[_Child] = []
        self._rehearsable = frozenset(rehearsable)
        self._attempts_per_child = attempts_per_child
        self._closed = False
        self._replacing: set[asyncio.Task[None]] = set()
        self._children: set[_Child] = set()
        """Every child started and not known to be gone (idle, busy or rehearsing)."""
        self._warm_count = 0
        self._warming: asyncio.Task[None] | None = None
        self._spare_rehearsal: ChildPayload | None = None
        """The last rehearsable attempt run: what a spare child rehearses."""

    def keep_warm(self, count: int) -> None:
        """Keep at least ``count`` children alive (idle or busy), each started beyond the running ones
        rehearsing the last rehearsable attempt first; nothing is started before one has run."""
        self._warm_count = count

    def idle_children(self) -> int:
        """Children waiting, warm, for an attempt."""
        return len(self._idle)

    def live_children(self) -> int:
        """Children alive and not retired (idle, busy or rehearsing)."""
        self._children = {child for child in self._children if child.usable()}
        return len(self._children)

    async def start(self, payload: ChildPayload | ChildBatch) -> Execution:
        """Run the attempt (or a batch of small ones) in an idle warm child, or in a new one (the first
        also starts the forkserver)."""
        while self._idle:
            child = self._idle.pop()
            if child.usable():
                try:
                    return self._run(child, payload)
                except OSError:  # it died after the check: retire it and try another
                    pass
            await asyncio.to_thread(child.close)
        return self._run(await self._new_child(), payload)

    async def _new_child(self) -> _Child:
        child = _Child(self._mp, self._alive_r, self.memory_limit_bytes, self.environment)
        await asyncio.to_thread(child.process.start)
        child.started()
        self._children.add(child)
        return child

    def _run(self, child: _Child, payload: ChildPayload | ChildBatch) -> Execution:
        child.cancel.clear()
        child.commands.send(payload)
        child.attempts += len(payload.payloads) if isinstance(payload, ChildBatch) else 1
        last = payload.payloads[-1] if isinstance(payload, ChildBatch) else payload
        if self._may_rehearse(last):
            child.rehearsal = last
        execution = Execution(self, child, payload)
        execution.started()
        return execution

    def _may_rehearse(self, payload: ChildPayload) -> bool:
        return (payload.ref in self._rehearsable and bool(payload.text) and not payload.inputs
                and not payload.dependencies and not payload.dependency_files)

    def _release(self, child: _Child, reusable: bool) -> None:
        if self._closed or not (reusable and child.usable()):
            asyncio.get_running_loop().run_in_executor(None, child.close)
            return
        self._idle.append(child)
        if child.attempts >= self._attempts_per_child and child.replacing is None:
            child.replacing = asyncio.create_task(self._replace(child), name="replace-analyzer-process")
            self._replacing.add(child.replacing)
            child.replacing.add_done_callback(self._replacing.discard)
        elif child.rehearsal is not None:
            self._spare_rehearsal = child.rehearsal
            self._warm_another()

    def _warm_another(self) -> None:
        """Start warming one more child if fewer than ``keep_warm`` live (one at a time)."""
        if (self._closed or self._warming is not None or self._spare_rehearsal is None
                or self.live_children() >= self._warm_count):
            return
        self._warming = asyncio.create_task(self._warm_spare(self._spare_rehearsal), name="warm-analyzer-process")
        self._warming.add_done_callback(self._warmed)

    def _warmed(self, task: asyncio.Task[None]) -> None:
        if self._warming is task:
            self._warming = None
            if not task.cancelled():
                self._warm_another()  # the next, if still short

    async def _warm_spare(self, rehearsal: ChildPayload) -> None:
        """Start one more child; it rehearses ``rehearsal`` and then joins the idle ones."""
        with tracer.start_as_current_span("warm spare analyzer process", context=Context(), attributes={
                "assay.child.rehearsal": rehearsal.ref, "assay.children.warm": self._warm_count}):
            new: _Child | None = None
            try:
                new = await self._new_child()
                rehearsed = await self._rehearse(new, rehearsal)
            except Exception as exc:  # the next start that finds no idle child forks one
                logger.warning("could not start a spare analyzer process", extra={"error": repr(exc)})
                rehearsed = False
                if new is not None and new not in self._idle:
                    await asyncio.to_thread(new.close)
            if not rehearsed:  # no retry with the same attempt: the next clean one is tried instead
                self._spare_rehearsal = None
        SPARES_WARMED.labels(rehearsed=str(rehearsed).lower()).inc()

    async def _replace(self, old: _Child) -> None:
        """Start ``old``'s replacement, let it rehearse, then retire ``old`` (it serves meanwhile)."""
        rehearsal = old.rehearsal
        with tracer.start_as_current_span("replace analyzer process", context=Context(), attributes={
                "assay.child.attempts": old.attempts, "assay.child.rehearsal": rehearsal.ref if rehearsal else ""}):
            new: _Child | None = None
            try:
                new = await self._new_child()
                if rehearsal is None:
                    self._release(new, reusable=True)
                rehearsed = rehearsal is not None and await self._rehearse(new, rehearsal)
            except Exception as exc:  # no replacement: the old one retires anyway, the next start forks
                logger.warning("could not start a replacement analyzer process", extra={"error": repr(exc)})
                rehearsed = False
                if new is not None and new not in self._idle:
                    await asyncio.to_thread(new.close)
            finally:
                old.retired = True
                if old in self._idle:
                    self._idle.remove(old)
                    await asyncio.to_thread(old.close)
        CHILDREN_REPLACED.labels(rehearsed=str(rehearsed).lower()).inc()

    async def _rehearse(self, child: _Child, attempt: ChildPayload) -> bool:
        """Run ``attempt`` again in ``child`` (in a scratch directory, the outcome dropped); whether it
        succeeded. The child joins the idle ones when it ends clean, as after any attempt."""
        try:
            scratch = tempfile.mkdtemp(prefix="assay-rehearsal-", dir=Path(attempt.work_dir).parent)
        except OSError:
            self._release(child, reusable=True)
            return False
        try:
            outcome = await self._run(child, replace(attempt, work_dir=scratch)).wait()
        finally:
            await asyncio.to_thread(shutil.rmtree, scratch, True)
        if outcome.kind != "succeeded":
            logger.warning("a replacement analyzer process failed its rehearsal",
                           extra={"code": outcome.code, "error_message": outcome.message[:200]})
        return outcome.kind == "succeeded"

    def close(self) -> None:
        self._closed = True
        for task in self._replacing:
            task.cancel()
        if self._warming is not None:
            self._warming.cancel()
        while self._idle:
            self._idle.pop().close()
        self._alive_w.close()
        self._alive_r.close()


class Execution:
    """One running attempt (or batch): its latest progress, cancellation, and how it ended."""

    def __init__(self, executor: Executor, child: _Child, payload: ChildPayload | ChildBatch) -> None:
        self._executor = executor
        self._child = child
        self._payload = payload
        self._conn = child.conn
        self._cancel = child.cancel
        self.process = child.process
        self.progress = 0
        self.partial: job_pb2.JobResult | None = None
        self._final: tuple[Any, ...] | None = None
        self._reason: Literal["", "cancel", "time_limit", "abort"] = ""
        self._done: asyncio.Future[Outcome] | None = None
        self._timers: list[asyncio.TimerHandle] = []
        self._watching = False

    def started(self) -> None:
        loop = asyncio.get_running_loop()
        self._done = loop.create_future()
        loop.add_reader(self._conn.fileno(), self._drain)
        loop.add_reader(self.process.sentinel, self._exited)
        self._watching = True
        self._timers.append(loop.call_later(self._payload.time_limit_seconds, self._stop, "time_limit"))

    def cancel(self) -> None:
        """Ask the analyzer to stop (cancellation requested); killed after the grace period."""
        self._stop("cancel")

    def abort(self) -> None:
        """Kill at once: the attempt lost its lease, its outcome no longer matters."""
        self._reason = "abort"
        self._kill()

    async def wait(self) -> Outcome:
        """How the attempt ended; for a batch, how the exchange ended (succeeded: see ``batch_outcomes``)."""
        assert self._done is not None, "start() the execution first"
        return await asyncio.shield(self._done)

    async def batch_outcomes(self) -> list[Outcome] | None:
        """Each item's outcome of a batch, in order; None when the exchange ended without them
        (the child crashed, was killed, or the batch passed its time limit)."""
        exchange = await self.wait()
        if exchange.kind != "succeeded" or self._final is None or self._final[0] != "batch":
            return None
        assert isinstance(self._payload, ChildBatch)
        return [final_outcome(final, "", item.time_limit_seconds, None)
                for final, item in zip(self._final[1], self._payload.payloads, strict=True)]

    def _stop(self, reason: Literal["cancel", "time_limit"]) -> None:
        if self._reason or self._done is None or self._done.done():
            return
        self._reason = reason
        self._cancel.set()
        loop = asyncio.get_running_loop()
        self._timers.append(loop.call_later(self._executor.cancel_grace_seconds, self._kill))

    def _kill(self) -> None:
        if self._done is not None and not self._done.done() and self.process.exitcode is None:
            logger.warning("killing analyzer process", extra={"job_id": self._payload.job_id,
                                                              "reason": self._reason})
            self.process.kill()

    def _drain(self) -> None:
        try:
            while self._final is None and self._conn.poll():
                self._receive(self._conn.recv())
        except (EOFError, OSError):
            if self._watching:  # the child is gone; its sentinel settles the attempt
                asyncio.get_running_loop().remove_reader(self._conn.fileno())
            return
        if self._final is not None and self._reason != "abort":
            # The attempt ended and the child lives on: settle now, keep the child if it is clean.
            finals = self._final[1] if self._final[0] == "batch" else [self._final]
            self._finish(reusable=all(final[0] in _REUSABLE_FINALS and final[1:2] != (TOO_COMPLEX,)
                                      for final in finals))

    def _receive(self, message: tuple[Any, ...]) -> None:
        if message[0] == "progress":
            self.progress = max(self.progress, int(message[1]))
            if message[2] is not None:
                self.partial = job_pb2.JobResult.FromString(message[2])
        else:
            self._final = message

    def _exited(self) -> None:
        if self._final is None:
            with contextlib.suppress(EOFError, OSError):
                while self._final is None and self._conn.poll():
                    self._receive(self._conn.recv())
        self.process.join(0)
        self._finish(reusable=False)

    def _unwatch(self) -> None:
        if self._watching:
            loop = asyncio.get_running_loop()
            loop.remove_reader(self._conn.fileno())
            loop.remove_reader(self.process.sentinel)
            self._watching = False

    def _finish(self, reusable: bool) -> None:
        if self._done is None or self._done.done():
            return
        self._unwatch()
        for timer in self._timers:
            timer.cancel()
        self._done.set_result(self._outcome())
        self._executor._release(self._child, reusable)

    def _outcome(self) -> Outcome:
        if self._final is not None and self._final[0] == "batch":  # each item's outcome: batch_outcomes
            return Outcome("succeeded") if not self._reason else Outcome(
                "failed", "BATCH_INTERRUPTED", f"the batch ended early ({self._reason})", retryable=True)
        return final_outcome(self._final, self._reason, self._payload.time_limit_seconds, self.process.exitcode)


def final_outcome(final: tuple[Any, ...] | None, reason: str, time_limit_seconds: float,
                  exitcode: int | None) -> Outcome:
    """An attempt's outcome from its final message (None: there was none) and why the parent stopped it."""
    if final is not None and final[0] == "done":
        return Outcome("succeeded", result=job_pb2.JobResult.FromString(final[1]), artifacts=[
            ArtifactFile(path=Path(p), name=n, media_type=m) for p, n, m in final[2]])
    if reason == "time_limit" or (final is not None and final[0] == "cancelled" and final[1] == "time_limit"):
        return Outcome("failed", "TIME_LIMIT_EXCEEDED", retryable=False, message=(
            f"the analyzer ran longer than its {time_limit_seconds:g}s time limit"))
    if reason == "cancel" or (final is not None and final[0] == "cancelled"):
        return Outcome("cancelled")
    if reason == "abort":
        return Outcome("failed", "ABORTED", "the attempt was abandoned", retryable=True)
    if final is not None and final[0] == "input_error":
        return Outcome("input_error", final[1], final[2])
    if final is not None and final[0] == "error":
        return Outcome("failed", "ANALYZER_ERROR", f"{final[1]}: {final[2]}", retryable=True)
    killed = exitcode is not None and exitcode < 0
    how = f"was killed by signal {-exitcode}" if killed and exitcode is not None else f"exited with code {exitcode}"
    return Outcome("failed", "WORKER_CRASHED", f"the analyzer process {how} without a result", retryable=True)
