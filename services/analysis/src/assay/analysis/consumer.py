"""Durable pull consumers on ASSAY_WORK, one per analyzer and priority, and the worker's fetch loop.

The worker fetches only what free slots can start, choosing among its sources with the
``PriorityPicker`` (higher priority first, lower priority never starved, analyzers of one priority
sharing the slots evenly by the slots they hold). It keeps the set of
sources with work waiting itself: the work stream's doorbell (``STORED_WORK``: a message was
stored on that subject) adds one, a pull that comes back short removes it, and at least every
``worker_fetch_timeout_seconds`` one look at the stream's per-subject counts adds the subjects
holding messages (that is how redeliveries after a nak delay or an expired AckWait, which ring
no doorbell, are noticed). An idle worker waits for the doorbell or that timeout.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import BadRequestError, NotFoundError

from assay.analysis.config import AnalysisSettings
from assay.analysis.metrics import CONSUMER_ACK_PENDING, CONSUMER_PENDING, DISPATCHED, FETCH_LOOP, FREE_SLOTS
from assay.analysis.picker import PriorityPicker
from assay.analysis.pull import NoWaitPull
from assay.analysis.resilience import Breakers
from assay.common.nats import ALL_WORK, MAX_PRIORITY, WORK_STREAM, stored_subject, work_destination, work_subject

logger = logging.getLogger(__name__)

RECHECK_SECONDS = 0.05
"""How soon a source is pulled again after a short answer that followed its doorbell (``_short_answer``)."""


@dataclass(frozen=True)
class WorkSource:
    """One durable consumer a worker takes work from: an analyzer's subject at one priority."""

    analyzer: str
    priority: int
    consumer: str
    subject: str


def consumer_name(analyzer: str, priority: int) -> str:
    """The durable consumer of one analyzer's work at one priority (shared by every worker)."""
    return f"analysis-{analyzer}-p{priority}"


def legacy_consumer_name(analyzer: str) -> str:
    """The consumer of ``work_destination`` itself, from before priorities had subjects."""
    return f"analysis-{analyzer}"


def work_sources(analyzer: str) -> list[WorkSource]:
    """An analyzer's sources, highest priority first."""
    return [WorkSource(analyzer, p, consumer_name(analyzer, p), work_subject(analyzer, p))
            for p in range(MAX_PRIORITY, -1, -1)]


def consumer_config(source: WorkSource, settings: AnalysisSettings) -> ConsumerConfig:
    """Explicit ack; AckWait = first BackOff step; MaxAckPending bounds the whole fleet's in-flight."""
    return ConsumerConfig(
        durable_name=source.consumer, filter_subject=source.subject,
        ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL,
        ack_wait=settings.consumer_ack_wait_seconds, backoff=settings.backoff(),
        max_deliver=settings.consumer_max_deliver, max_ack_pending=settings.consumer_max_ack_pending,
        max_waiting=512, description=f"Assay analysis workers for {source.analyzer}, priority {source.priority}",
    )


async def provision_sources(nc: Client, analyzer: str, settings: AnalysisSettings) -> list[WorkSource]:
    """Create or update the analyzer's consumers (idempotent); returns its sources, highest first.

    A deployment from before priorities has a consumer on the analyzer's old subject, possibly
    with work in it: while it exists it is drained too, as priority 0, ahead of the new ``p0``
    (its messages are older). It is never created, so a new deployment does not carry it.
    """
    js = nc.jetstream()
    sources = work_sources(analyzer)
    for source in sources:
        config = consumer_config(source, settings)
        try:
            await js.add_consumer(WORK_STREAM, config)
        except BadRequestError as exc:
            logger.info("updating consumer configuration", extra={"consumer": source.consumer, "error": str(exc)})
            await _update_consumer(nc, config)
    legacy = WorkSource(analyzer, 0, legacy_consumer_name(analyzer), work_destination(analyzer))
    try:
        await js.consumer_info(WORK_STREAM, legacy.consumer)
    except NotFoundError:
        return sources
    logger.info("draining the consumer of the subject without priority", extra={"consumer": legacy.consumer})
    return [*sources[:-1], legacy, sources[-1]]


async def _update_consumer(nc: Client, config: ConsumerConfig) -> None:
    """Update an existing consumer to ``config``.

    nats-py has no ``update_consumer`` (``add_consumer`` sends no ``action``, so a changed durable is
    refused), so this sends the JetStream API's own request, CONSUMER.CREATE with ``action: update``.
    """
    name = config.durable_name
    request = json.dumps({"stream_name": WORK_STREAM, "config": config.as_dict(), "action": "update"}).encode()
    response = await nc.request(f"$JS.API.CONSUMER.CREATE.{WORK_STREAM}.{name}", request, timeout=5)
    body = json.loads(response.data)
    if "error" in body:
        raise RuntimeError(f"updating consumer {name} failed: {body['error']}")


class Slots:
    """The worker's free capacity: the fetch loop takes slots, each attempt gives its slot back.

    ``name`` labels ``assay_worker_free_slots`` (read at scrape time: nothing on the hot path)."""

    def __init__(self, capacity: int, name: str = "ordinary") -> None:
        self._capacity = capacity
        self._free = capacity
        self._closed = False
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        FREE_SLOTS.labels(loop=name).set_function(lambda: self._free)

    async def take(self, most: int) -> int:
        """Wait (FIFO) for one free slot, then take up to ``most`` if nobody else waits; 0 once closed."""
        if self._closed:
            return 0
        if self._free > 0 and not self._waiters:
            self._free -= 1
        else:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter  # a slot was handed over (or 0 slots when closed)
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled() and not self._closed:
                    self.give(1)
                raise
            if self._closed:
                return 0
        # Never fewer than the slot taken or handed over: ``resize`` may have taken slots back
        # (``_free`` below 0) between the handover and now, and a share of a negative count used to
        # return 0 here, which the fetch loop takes for "closed": it stopped for good (issue 21).
        extra = 0 if self._waiters else max(0, min(most - 1, self._free))
        self._free -= extra
        return 1 + extra

    def close(self) -> None:
        """Wake every waiting fetcher with nothing: the worker is stopping."""
        self._closed = True
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def free(self) -> int:
        """Slots free now; below 0 while more are out than ``capacity`` after a ``resize`` down."""
        return self._free

    def resize(self, capacity: int) -> None:
        """Hold ``capacity`` slots from now on: added ones wake waiting fetchers at once, removed ones
        are taken back as attempts give theirs (until then more than ``capacity`` may be out)."""
        self._free += capacity - self._capacity
        self._capacity = capacity
        self.give(0)

    def give(self, count: int = 1) -> None:
        self._free += count
        while self._free > 0 and self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self._free -= 1
                waiter.set_result(None)


Release = Callable[[], None]
Handler = Callable[[str, Msg, Release], Awaitable[None]]
"""Handles one message; may call ``release`` once its analyzer process is free (settling continues)."""


class WorkDispatcher:
    """The worker's fetch loop over all its sources; hands each message to ``handler`` in its own task."""

    def __init__(self, nc: Client, sources: Sequence[WorkSource], settings: AnalysisSettings, slots: Slots,
                 handler: Handler, tasks: set[asyncio.Task[None]], breakers: Breakers | None = None,
                 capacity: int | None = None, stats: bool = True, name: str = "ordinary") -> None:
        """``capacity``: the most messages one fetch takes (default: ``worker_concurrency``, the slots);
        ``stats``: ``export_stats`` publishes the pending counts (False for a loop over sources another
        loop of the worker already covers: the gauges are per analyzer); ``name``: the loop's, in
        ``assay_worker_fetch_loop`` (what it is waiting for) and its logs."""
        self.name = name
        self._state = FETCH_LOOP.labels(loop=name)
        self._stats = stats
        self._capacity = capacity if capacity is not None else settings.worker_concurrency
        self._nc = nc
        self._breakers = breakers
        self._js = nc.jetstream()
        self.sources = list(sources)
        self._settings = settings
        self._slots = slots
        self._handler = handler
        self._tasks = tasks
        self._picker = PriorityPicker([s.priority for s in self.sources], settings.worker_priority_patience,
                                      [s.analyzer for s in self.sources])
        self._index = {s.subject: i for i, s in enumerate(self.sources)}
        self._by_doorbell = {stored_subject(s.subject): i for i, s in enumerate(self.sources)}
        self._waiting: set[int] = set()
        self._rung = [0] * len(self.sources)
        self._short: dict[int, tuple[int, float]] = {}
        """Per source, the doorbell count and time of its first short answer since that doorbell."""
        self._looked_at = -math.inf
        self._pulls = [NoWaitPull(nc, WORK_STREAM, s.consumer, settings.worker_fetch_timeout_seconds)
                       for s in self.sources]
        self._bell = asyncio.Event()
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        doorbells: list[Subscription] = []
        try:
            for subject in sorted(self._by_doorbell):
                doorbells.append(await self._nc.subscribe(subject, cb=self._ring))
            while not self._stopping.is_set():
                self._bell.clear()  # before looking: a message stored meanwhile rings again
                if self._breakers is not None and self._breakers.open():  # fetch nothing until it is back
                    self._state.state("breaker")
                    await self._breakers.wait_all_closed(self._stopping)
                self._state.state("slots")
                taken = await self._slots.take(self._capacity)
                if self._stopping.is_set() or self._slots.closed:
                    self._slots.give(taken)
                    break
                self._state.state("pulling")
                try:
                    started = await self._dispatch(taken)
                except Exception as exc:
                    logger.warning("fetch failed", extra={"error": repr(exc), "loop": self.name})
                    self._slots.give(taken)
                    self._state.state("backoff")
                    await asyncio.sleep(0.5)
                    continue
                if started < taken:
                    self._slots.give(taken - started)
                if started == 0:
                    self._state.state("doorbell")
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self._idle_wait_seconds()):
                            await self._bell.wait()
        finally:
            self._state.state("stopped")
            if self._stopping.is_set():
                logger.info("fetch loop stopped", extra={"loop": self.name})
            else:  # the worker would strand its jobs until a restart: never silently
                logger.error("fetch loop ended while the worker runs", extra={"loop": self.name})
            for sub in doorbells:
                with contextlib.suppress(Exception):
                    await sub.unsubscribe()
            for pull in self._pulls:
                await pull.close()

    async def _ring(self, msg: Msg) -> None:
        index = self._by_doorbell.get(msg.subject)
        if index is not None:
            self._waiting.add(index)
            self._rung[index] += 1
        self._bell.set()

    async def _dispatch(self, wanted: int) -> int:
        """Pull up to ``wanted`` messages from the sources in the picker's order; returns how many."""
        if time.monotonic() - self._looked_at >= self._settings.worker_fetch_timeout_seconds:
            await self._look()
        waiting = set(self._waiting)
        left = wanted
        for index in self._picker.order(waiting):
            rung = self._rung[index]
            asked = self._picker.share(index, left, waiting)
            try:
                messages = await self._pulls[index].pull(asked)
            except Exception as exc:
                if left == wanted:
                    raise  # nothing started: the loop gives every slot back
                # Some started, each giving its own slot back when it ends: the loop must give back
                # only the rest (giving back all of them counted the started ones twice).
                logger.warning("fetch failed", extra={"error": repr(exc), "loop": self.name})
                break
            if len(messages) < asked and self._rung[index] == rung:
                self._short_answer(index, rung)
            else:
                self._short.pop(index, None)
            if not messages:
                self._picker.drained(index)
                continue
            source = self.sources[index]
            DISPATCHED.labels(analyzer=source.analyzer, priority=str(source.priority),
                              rule=self._picker.rule(index)).inc(len(messages))
            self._picker.started(index, len(messages), waiting)
            for msg in messages:
                self._picker.occupied(index)
                task = asyncio.create_task(self._process(index, msg), name=f"work-{source.analyzer}")
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            left -= len(messages)
            if left == 0:
                break
        return wanted - left

    def _short_answer(self, index: int, rung: int) -> None:
        """A pull answered fewer messages than asked and no doorbell rang meanwhile: nothing else is
        pending there, and a later store rings again — except that the server can ring a message's
        doorbell before the source's consumer delivers it, so a pull made at once on the doorbell may
        miss it. Dropping the source then left the message for the next look
        (``worker_fetch_timeout_seconds``): measured as 2 s stalls of the whole pipeline, every few
        seconds under load (bench/README.md, "the 2-second stall"). So the first short answer after a
        doorbell keeps the source for another pull ``RECHECK_SECONDS`` later; a short answer after
        that drops it."""
        first = self._short.get(index)
        if first is None or first[0] != rung:
            self._short[index] = (rung, time.monotonic())
        elif time.monotonic() - first[1] >= RECHECK_SECONDS:
            del self._short[index]
            self._waiting.discard(index)

    def _idle_wait_seconds(self) -> float:
        """How long the fetch loop waits for a doorbell when it found nothing to start."""
        return RECHECK_SECONDS if self._short else self._settings.worker_fetch_timeout_seconds

    async def _look(self) -> None:
        """Add the sources whose subjects hold messages (waiting, delayed, or delivered and unacked)."""
        looked_at = time.monotonic()
        info = await self._js.stream_info(WORK_STREAM, subjects_filter=ALL_WORK)
        stored = info.state.subjects or {}
        self._waiting |= {self._index[subject] for subject, count in stored.items() if count and subject in self._index}
        self._looked_at = looked_at

    async def _process(self, index: int, msg: Msg) -> None:
        analyzer = self.sources[index].analyzer
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self._picker.freed(index)
                self._slots.give(1)

        try:
            await self._handler(analyzer, msg, release)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("work message handling failed", extra={"analyzer": analyzer})
            with contextlib.suppress(Exception):
                await msg.nak(delay=5.0)
        finally:
            release()

    def stop(self) -> None:
        self._stopping.set()
        self._bell.set()

    async def export_stats(self) -> None:
        """Publish each analyzer's pending counts (summed over its priorities) as metrics, until stopped.

        The loop ends on ``stop`` rather than relying on cancellation alone: on Python 3.11 a cancel
        that races a NATS reply is swallowed inside the client's ``wait_for``.
        """
        while self._stats and not self._stopping.is_set():
            pending: dict[str, int] = collections.Counter()
            ack_pending: dict[str, int] = collections.Counter()
            try:
                for source in self.sources:
                    info = await self._js.consumer_info(WORK_STREAM, source.consumer)
                    pending[source.analyzer] += info.num_pending or 0
                    ack_pending[source.analyzer] += info.num_ack_pending or 0
                for analyzer in {s.analyzer for s in self.sources}:
                    CONSUMER_PENDING.labels(analyzer=analyzer).set(pending[analyzer])
                    CONSUMER_ACK_PENDING.labels(analyzer=analyzer).set(ack_pending[analyzer])
            except Exception as exc:
                logger.debug("consumer_info failed", extra={"error": repr(exc)})
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._settings.consumer_stats_seconds):
                    await self._stopping.wait()
