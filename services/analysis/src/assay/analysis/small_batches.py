"""Small attempts run in batches: one exchange with a warm child runs several of them.

A small attempt (``AnalyzerSpec.is_small``: an analyzer that says its inline text is small work,
a job with inline text and no files or dependencies; jobs marks its work message ``small``)
costs milliseconds in the analyzer and ~10 ms of process round trip and bookkeeping around it.
Attempts that reach this point together go to one child as one ``ChildBatch``
(``assay.common.group_commit``: a batch starts at once when fewer than ``concurrency`` are
running, and takes every attempt waiting, up to ``max_size``).

Isolation is kept: when the exchange ends without every item's answer (the child crashed, was
killed, or the batch ran past its slowest item's time limit), each of the batch's attempts runs
again alone, one after the other, in a child of its own, so a poison input fails alone and the
others succeed, still in the attempt they started (StartJob's lease and fencing are unchanged:
the runtime heartbeats each attempt throughout and settles it with its own attempt number).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import prometheus_client

from assay.analysis.child import ChildBatch, ChildPayload
from assay.analysis.executor import Executor, Outcome
from assay.common.group_commit import GroupCommitter

logger = logging.getLogger(__name__)

BATCHES_RUN_ALONE = prometheus_client.Counter(
    "assay_worker_small_batches_run_alone_total",
    "Batches of small attempts whose exchange failed as a whole, their attempts then run one by one.")


class SmallBatches:
    """``run`` a small attempt's payload; attempts arriving together share one child exchange."""

    def __init__(self, executor: Executor, *, max_size: int, concurrency: int) -> None:
        self._executor = executor
        self._batches: GroupCommitter[ChildPayload, Outcome] = GroupCommitter(
            "small_attempts", self._run_batch, max_size=max_size, concurrency=concurrency)

    async def run(self, payload: ChildPayload) -> Outcome:
        """The attempt's outcome, from the batch it ran in (or alone, after its batch failed)."""
        return await self._batches.submit(payload)

    async def _run_batch(self, payloads: Sequence[ChildPayload]) -> Sequence[Outcome]:
        if len(payloads) == 1:
            return [await self._alone(payloads[0])]
        try:
            execution = await self._executor.start(ChildBatch(tuple(payloads)))
            outcomes = await execution.batch_outcomes()
        except OSError as exc:  # the child could not be started or written to
            logger.warning("a batch of small attempts could not start", extra={"error": repr(exc)})
            outcomes = None
        if outcomes is not None:
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
