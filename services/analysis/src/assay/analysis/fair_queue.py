"""The queue between a worker's small fetch loop and its child processes, in fair-share order.

Small attempts (``small_batches``) wait here for a child. A batch is taken when a lane is free:
``lanes`` batches run at once (one per ordinary child), and ``spares`` more that hold only attempts of
tenants with nothing running in this worker. The order is the dispatcher's rule
(``docs/architecture.md``, "Fair share across tenants"), applied to what this worker holds: take the
tenant with the fewest attempts running here (counting those already taken into the batch), ties to
the one holding fewer here (running or waiting: its share of what was dispatched to this worker), then
to the higher priority of its next attempt, then the older; then that tenant's highest-priority,
oldest attempt; repeat up to ``max_size``. So an attempt of a tenant with nothing running here goes before a
flood's attempts fetched earlier, and — with a spare lane — starts at once in a child of its own
instead of waiting for a slow attempt to end (the trickling tenant of ``bench/bench_tenants.py
--flood-heavy``, bench/README.md). A tenant with work running never takes a spare lane, so a flood
cannot use it: the worker oversubscribes its cores by at most ``spares`` processes, and only while
another tenant would otherwise wait.

Like ``assay.common.group_commit`` (which this replaces for small attempts), a batch starts at the next
turn of the event loop, so attempts arriving together share it; ``flush`` answers each item (a value or
an exception only its caller receives), and if it raises every item of the batch receives the error. A
caller cancelled before its batch was taken is left out; a batch runs in a context of its own.
"""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from assay.analysis.child import ChildPayload
from assay.analysis.executor import Outcome

Lane = Literal["child", "spare"]
Flush = Callable[[Sequence[ChildPayload], "Lane"], Awaitable[Sequence[Outcome | BaseException]]]
"""Runs a batch taken for a lane; one answer per attempt, in order."""


@dataclass(frozen=True)
class Handed:
    """How an attempt reached its child: the lane of its batch, the batch's size, the seconds it waited."""

    lane: Lane
    size: int
    waited: float


@dataclass
class _Waiting:
    payload: ChildPayload
    priority: int
    seq: int
    queued_at: float
    future: asyncio.Future[tuple[Outcome, Handed]] = field(repr=False)


def pick(waiting: Sequence[_Waiting], running: Counter[str], most: int, *, idle_tenants_only: bool) -> list[_Waiting]:
    """Up to ``most`` of ``waiting`` in fair-share order given the attempts ``running`` per tenant:
    fewest running (counting those already picked), ties to the tenant holding fewer here (running or
    waiting), then to its next attempt's higher priority, then its age; each tenant's attempts by
    priority, then age. With ``idle_tenants_only`` at most one per tenant, of tenants with nothing running."""
    by_tenant: dict[str, list[_Waiting]] = {}
    for entry in sorted(waiting, key=lambda e: (-e.priority, e.seq)):
        by_tenant.setdefault(entry.payload.tenant_id, []).append(entry)
    counts = Counter({tenant: running[tenant] for tenant in by_tenant})
    held = {tenant: running[tenant] + len(entries) for tenant, entries in by_tenant.items()}
    chosen: list[_Waiting] = []
    while len(chosen) < most and by_tenant:
        tenant = min(by_tenant, key=lambda t: (counts[t], held[t], -by_tenant[t][0].priority, by_tenant[t][0].seq))
        if idle_tenants_only and counts[tenant]:
            break
        entries = by_tenant[tenant]
        chosen.append(entries.pop(0))
        counts[tenant] += 1
        if not entries:
            del by_tenant[tenant]
    return chosen


class FairQueue:
    """Collects small attempts into batches for ``flush``, in fair-share order, on ``lanes`` + ``spares``."""

    def __init__(self, flush: Flush, *, lanes: int, spares: int = 0, max_size: int = 32,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if lanes < 1 or spares < 0 or max_size < 1:
            raise ValueError("lanes and max_size must be at least 1, spares not negative")
        self._flush, self._lanes, self._spares, self._clock = flush, lanes, spares, clock
        self._max_size = max_size
        self._waiting: list[_Waiting] = []
        self._running: Counter[str] = Counter()
        """Attempts per tenant in batches that were taken and have not ended."""
        self._busy: Counter[Lane] = Counter()
        """Batches per lane started (taken or about to take at the next turn of the loop)."""
        self._claimed = 0
        """Attempts that batches about to take (next turn) will take at most."""
        self._spare_pending = False
        self._seq = itertools.count()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def max_size(self) -> int:
        return self._max_size

    @max_size.setter
    def max_size(self, size: int) -> None:
        """Batches taken from now on hold at most ``size`` attempts (at least 1)."""
        if size < 1:
            raise ValueError("max_size must be at least 1")
        self._max_size = size

    async def submit(self, payload: ChildPayload, priority: int = 0) -> tuple[Outcome, Handed]:
        """``payload``'s outcome from the batch it ran in, and how it was handed to its child."""
        future: asyncio.Future[tuple[Outcome, Handed]] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(payload, priority, next(self._seq), self._clock(), future))
        self._start_batches()
        return await future

    def _start_batches(self) -> None:
        while len(self._waiting) > self._claimed:
            if self._busy["child"] < self._lanes:
                claim = min(self._max_size, len(self._waiting) - self._claimed)
                self._claimed += claim
                self._launch("child", claim)
            elif (self._busy["spare"] < self._spares and not self._spare_pending
                  and any(not self._running[e.payload.tenant_id] for e in self._waiting)):
                self._spare_pending = True
                self._launch("spare", 0)
                break
            else:
                break

    def _launch(self, lane: Lane, claim: int) -> None:
        self._busy[lane] += 1
        # A context of its own: the batch belongs to no caller's trace or log context.
        task = asyncio.get_running_loop().create_task(
            self._run_batch(lane, claim), name=f"small-batch-{lane}", context=contextvars.Context())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_batch(self, lane: Lane, claim: int) -> None:
        batch: list[_Waiting] = []
        try:
            try:
                await asyncio.sleep(0)  # one turn of the loop: attempts arriving now join the batch
            finally:
                self._claimed -= claim
                if lane == "spare":
                    self._spare_pending = False
            self._waiting = [e for e in self._waiting if not e.future.done()]  # callers cancelled meanwhile
            batch = pick(self._waiting, self._running, self._max_size, idle_tenants_only=lane == "spare")
            if not batch:
                return
            taken = {id(entry) for entry in batch}
            self._waiting = [e for e in self._waiting if id(e) not in taken]
            self._running.update(entry.payload.tenant_id for entry in batch)
            await self._serve(lane, batch)
        finally:
            self._running.subtract(entry.payload.tenant_id for entry in batch)
            self._running = +self._running  # drop tenants at zero
            self._busy[lane] -= 1
            self._start_batches()

    async def _serve(self, lane: Lane, batch: list[_Waiting]) -> None:
        now = self._clock()
        handed = [Handed(lane, len(batch), now - entry.queued_at) for entry in batch]
        try:
            answers = await self._flush([entry.payload for entry in batch], lane)
            if len(answers) != len(batch):
                raise RuntimeError(f"small attempts: flush answered {len(answers)} of {len(batch)}")
        except asyncio.CancelledError:
            for entry in batch:
                entry.future.cancel()
            raise
        except Exception as error:  # the batch failed whole: each caller gets the error
            for entry in batch:
                if not entry.future.done():
                    entry.future.set_exception(error)
            return
        for entry, how, answer in zip(batch, handed, answers, strict=True):
            if entry.future.done():
                continue
            if isinstance(answer, BaseException):
                entry.future.set_exception(answer)
            else:
                entry.future.set_result((answer, how))
