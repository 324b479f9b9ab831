"""Small attempts run in batches: one exchange with a warm child runs several of them.

A small attempt (``AnalyzerSpec.is_small``: an analyzer that says its inline text is small work,
a job with inline text and no files or dependencies; jobs marks its work message ``small``)
costs milliseconds in the analyzer and ~10 ms of process round trip and bookkeeping around it.
Attempts that reach this point together go to one child as one ``ChildBatch``
(``assay.common.group_commit``: a batch starts at once when fewer than ``concurrency`` are
running, and takes every attempt waiting, up to ``max_size``).

How much is handed out at a time follows the attempts' measured pace (an exponentially weighted mean
of seconds per attempt over the batches): a batch holds at most ``window`` seconds of work and the
small fetch loop's slots hold two batches per child (``portion``). Cheap attempts (milliseconds)
keep the configured maxima; slow ones (a flood of long reviews through a transformer) shrink the
batches and slots, so an attempt that arrives later — another tenant's, sent ahead by the
dispatcher's fair share — is not queued in this process behind seconds of work already fetched.

Which attempts go into a batch, and when, is ``fair_queue``'s rule: fair-share order across tenants
(fewest running in this worker first), and ``spares`` lanes beyond the children for attempts of
tenants with nothing running here, so another tenant's attempt starts at once in a warm spare child
(``Executor.keep_warm``) instead of waiting for a slow attempt to end.

Isolation is kept: when the exchange ends without every item's answer (the child crashed, was
killed, or the batch ran past its slowest item's time limit), each of the batch's attempts runs
again alone, one after the other, in a child of its own, so a poison input fails alone and the
others succeed, still in the attempt they started (StartJob's lease and fencing are unchanged:
the runtime heartbeats each attempt throughout and settles it with its own attempt number).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

import prometheus_client
from opentelemetry import trace

from assay.analysis.child import ChildBatch, ChildPayload
from assay.analysis.consumer import Slots
from assay.analysis.executor import Executor, Outcome
from assay.analysis.fair_queue import FairQueue, Lane
from assay.common.group_commit import BATCH_SIZE

logger = logging.getLogger(__name__)

BATCHES_RUN_ALONE = prometheus_client.Counter(
    "assay_worker_small_batches_run_alone_total",
    "Batches of small attempts whose exchange failed as a whole, their attempts then run one by one.")
PORTION = prometheus_client.Gauge(
    "assay_worker_small_portion", "Small attempts handed out at a time, by what: batch (per exchange) or slots "
    "(held by the small fetch loop), following the attempts' measured pace.", ["what"])
QUEUED = prometheus_client.Histogram(
    "assay_worker_small_queue_seconds", "How long a small attempt waited in the worker for a child, by lane: "
    "child (one of the ordinary children) or spare (a spare child, its tenant having nothing running).", ["lane"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
PACE_WEIGHT = 0.3
"""Weight of the newest batch in the mean seconds per attempt."""


def portion(seconds_per_attempt: float | None, window: float, *, max_size: int, max_slots: int,
            children: int) -> tuple[int, int]:
    """(batch size, small slots) for the measured seconds per attempt: a batch holds at most ``window``
    seconds of attempts (at least one, at most ``max_size``), the slots two batches per child (at least
    one per child, at most ``max_slots``). Unmeasured, or ``window`` 0: the maxima."""
    if not window or not seconds_per_attempt or seconds_per_attempt <= 0:
        return max_size, max_slots
    batch = max(1, min(max_size, int(window / seconds_per_attempt)))
    return batch, max(1, min(max_slots, max(children, 2 * children * batch)))


class SmallBatches:
    """``run`` a small attempt's payload; attempts arriving together share one child exchange."""

    def __init__(self, executor: Executor, *, max_size: int, concurrency: int, slots: Slots | None = None,
                 window: float = 0.0, spares: int = 0, clock: Callable[[], float] = time.monotonic) -> None:
        """``slots``: the small fetch loop's, resized with the pace (``window`` seconds; 0: never);
        ``concurrency`` batches run at once, and ``spares`` more for tenants with nothing running."""
        self._executor = executor
        self._batches = FairQueue(self._run_batch, lanes=concurrency, spares=spares, max_size=max_size)
        self._sizes = BATCH_SIZE.labels(batcher="small_attempts")
        self._slots, self._window, self._clock = slots, window, clock
        self._limits = (max_size, slots.capacity if slots is not None else 0, concurrency)
        self._pace: float | None = None

    def _observe(self, seconds: float, attempts: int) -> None:
        per_attempt = seconds / attempts
        self._pace = per_attempt if self._pace is None else self._pace + PACE_WEIGHT * (per_attempt - self._pace)
        if not self._window:
            return
        max_size, max_slots, children = self._limits
        batch, slots = portion(self._pace, self._window, max_size=max_size, max_slots=max_slots, children=children)
        self._batches.max_size = batch
        PORTION.labels(what="batch").set(batch)
        if self._slots is not None:
            self._slots.resize(slots)
            PORTION.labels(what="slots").set(slots)

    async def run(self, payload: ChildPayload, priority: int = 0) -> Outcome:
        """The attempt's outcome, from the batch it ran in (or alone, after its batch failed); how it
        reached its child goes on the current span (the attempt's ``analyze`` span)."""
        outcome, handed = await self._batches.submit(payload, priority)
        QUEUED.labels(lane=handed.lane).observe(handed.waited)
        trace.get_current_span().set_attributes({
            "assay.small_batch.lane": handed.lane, "assay.small_batch.size": handed.size,
            "assay.small_batch.queued_ms": round(handed.waited * 1000, 1)})
        return outcome

    async def _run_batch(self, payloads: Sequence[ChildPayload], lane: Lane = "child") -> Sequence[Outcome]:
        """Run the batch; its pace is measured on the ordinary children's lanes only (a spare lane runs
        other tenants' attempts now and then, which would make the flood's batches look cheaper)."""
        self._sizes.observe(len(payloads))
        began = self._clock()
        paced = lane == "child"
        if len(payloads) == 1:
            outcome = await self._alone(payloads[0])
            if paced:
                self._observe(self._clock() - began, 1)
            return [outcome]
        try:
            execution = await self._executor.start(ChildBatch(tuple(payloads)))
            outcomes = await execution.batch_outcomes()
        except OSError as exc:  # the child could not be started or written to
            logger.warning("a batch of small attempts could not start", extra={"error": repr(exc)})
            outcomes = None
        if outcomes is not None:
            if paced:
                self._observe(self._clock() - began, len(payloads))
            return outcomes
        BATCHES_RUN_ALONE.inc()
        logger.warning("a batch of small attempts failed as a whole; running each alone",
                       extra={"attempts": len(payloads)})
        return [await self._alone(payload) for payload in payloads]

    async def _alone(self, payload: ChildPayload) -> Outcome:
        try:
            execution = await self._executor.start(payload)
        except OSError as exc:
            return Outcome("failed", "WORKER_CRASHED", f"the analyzer process could not start: {exc}", retryable=True)
        return await execution.wait()
