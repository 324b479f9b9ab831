"""Durable pull consumers on ASSAY_WORK, one per analyzer, fetching only what free slots can start."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import BadRequestError

from assay.analysis.config import AnalysisSettings
from assay.analysis.metrics import CONSUMER_ACK_PENDING, CONSUMER_PENDING
from assay.common.nats import WORK_STREAM, work_subject

logger = logging.getLogger(__name__)


def consumer_name(analyzer: str) -> str:
    """The durable consumer of one analyzer's work subject (shared by every worker)."""
    return f"analysis-{analyzer}"


def consumer_config(analyzer: str, settings: AnalysisSettings) -> ConsumerConfig:
    """Explicit ack; AckWait = first BackOff step; MaxAckPending bounds the whole fleet's in-flight."""
    return ConsumerConfig(
        durable_name=consumer_name(analyzer), filter_subject=work_subject(analyzer),
        ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL,
        ack_wait=settings.consumer_ack_wait_seconds, backoff=settings.backoff(),
        max_deliver=settings.consumer_max_deliver, max_ack_pending=settings.consumer_max_ack_pending,
        max_waiting=512, description=f"Assay analysis workers for {analyzer}",
    )


async def provision_consumer(nc: Client, analyzer: str, settings: AnalysisSettings) -> None:
    """Create the durable consumer, or update it to this configuration; idempotent."""
    config = consumer_config(analyzer, settings)
    try:
        await nc.jetstream().add_consumer(WORK_STREAM, config)
    except BadRequestError as exc:
        logger.info("updating consumer configuration", extra={"consumer": config.durable_name, "error": str(exc)})
        await _update_consumer(nc, config)


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
    """The worker's free capacity, handed out first-come first-served so no consumer starves."""

    def __init__(self, capacity: int) -> None:
        self._free = capacity
        self._closed = False
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

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
        extra = 0 if self._waiters else min(most - 1, self._free)
        self._free -= extra
        return 1 + extra

    def close(self) -> None:
        """Wake every waiting fetcher with nothing: the worker is stopping."""
        self._closed = True
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)

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


class WorkConsumer:
    """Fetch loop of one analyzer's consumer; hands each message to ``handler`` in its own task."""

    def __init__(self, js: JetStreamContext, analyzer: str, settings: AnalysisSettings, slots: Slots,
                 handler: Handler, tasks: set[asyncio.Task[None]]) -> None:
        self._js = js
        self.analyzer = analyzer
        self._settings = settings
        self._slots = slots
        self._handler = handler
        self._tasks = tasks
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        sub = await self._js.pull_subscribe_bind(consumer_name(self.analyzer), WORK_STREAM)
        try:
            while not self._stopping.is_set():
                taken = await self._slots.take(self._settings.worker_concurrency)
                if self._stopping.is_set() or taken == 0:
                    self._slots.give(taken)
                    break
                try:
                    messages = await sub.fetch(taken, timeout=self._settings.worker_fetch_timeout_seconds)
                except TimeoutError:
                    messages = []
                except Exception as exc:
                    logger.warning("fetch failed", extra={"analyzer": self.analyzer, "error": repr(exc)})
                    messages = []
                    self._slots.give(taken)
                    await asyncio.sleep(0.5)
                    continue
                if len(messages) < taken:
                    self._slots.give(taken - len(messages))
                for msg in messages:
                    task = asyncio.create_task(self._process(msg), name=f"work-{self.analyzer}")
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()

    async def _process(self, msg: Msg) -> None:
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self._slots.give(1)

        try:
            await self._handler(self.analyzer, msg, release)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("work message handling failed", extra={"analyzer": self.analyzer})
            with contextlib.suppress(Exception):
                await msg.nak(delay=5.0)
        finally:
            release()

    def stop(self) -> None:
        self._stopping.set()

    async def export_stats(self) -> None:
        """Publish the consumer's pending counts as metrics, periodically."""
        while True:
            try:
                info = await self._js.consumer_info(WORK_STREAM, consumer_name(self.analyzer))
                CONSUMER_PENDING.labels(analyzer=self.analyzer).set(info.num_pending or 0)
                CONSUMER_ACK_PENDING.labels(analyzer=self.analyzer).set(info.num_ack_pending or 0)
            except Exception as exc:
                logger.debug("consumer_info failed", extra={"error": repr(exc)})
            await asyncio.sleep(self._settings.consumer_stats_seconds)
