"""NATS connections, JetStream stream provisioning, and the subjects Assay uses."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any

import nats
from nats.aio.client import Client
from nats.errors import StaleConnectionError, UnexpectedEOF
from nats.js.api import DiscardPolicy, RePublish, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError

from assay.common.config import NatsSettings

logger = logging.getLogger(__name__)

WORK_STREAM = "ASSAY_WORK"
"""Work-queue stream: one message per job attempt, on ``assay.work.<analyzer>.p<priority>``."""
ALL_WORK = "assay.work.>"
"""Every analyzer's work: the work stream's subjects."""
STORED_WORK = "assay.stored.work"
"""Prefix under which the work stream republishes the headers of each message it stored (a doorbell)."""
MAX_PRIORITY = 9
"""Job priorities run from 0 (the default) to 9; each has its own work subject per analyzer."""
EVENTS_STREAM = "ASSAY_EVENTS"
"""Lifecycle events on ``assay.events.<tenant>.<job_id>``."""
ALL_EVENTS = "assay.events.>"
"""Every tenant's lifecycle events: the events stream's subjects."""
DUPLICATE_WINDOW_SECONDS = 120.0


def work_destination(analyzer: str) -> str:
    """``assay.work.<analyzer>``: prefix of the analyzer's priority subjects, the name of its work in
    spans, and the subject its work had before priorities (still drained where a consumer has it)."""
    return f"assay.work.{analyzer}"


def work_subject(analyzer: str, priority: int) -> str:
    """Subject of the work messages of one analyzer at one priority."""
    if not 0 <= priority <= MAX_PRIORITY:
        raise ValueError(f"priority {priority} is outside 0..{MAX_PRIORITY}")
    return f"{work_destination(analyzer)}.p{priority}"


def stored_subject(subject: str) -> str:
    """The doorbell subject on which the work stream announces a message it stored on ``subject``."""
    return f"{STORED_WORK}.{subject.removeprefix('assay.work.')}"


def event_subject(tenant: str, job_id: str) -> str:
    """Subject of one job's lifecycle events."""
    return f"assay.events.{tenant}.{job_id}"


class ConnectionErrorLog:
    """The client's error callback: while NATS is unreachable the client fails a connection attempt
    every ``reconnect_time_wait`` (0.5 s), and nats-py's default callback logs each one with a
    traceback (about 600 per service over a 5-minute outage). Unreachability is logged as a warning
    at most once per ``every`` seconds, with the count since the last line; other errors as before."""

    def __init__(self, name: str, every: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._name = name
        self._every = every
        self._clock = clock
        self._last = -math.inf
        self._suppressed = 0

    async def report(self, error: Exception) -> None:
        """The callback itself (nats-py takes only coroutine functions, not callable objects)."""
        if not isinstance(error, OSError | TimeoutError | UnexpectedEOF | StaleConnectionError):
            logger.error("nats: encountered error", exc_info=error, extra={"client": self._name})
            return
        now = self._clock()
        if now - self._last < self._every:
            self._suppressed += 1
            return
        logger.warning("NATS unreachable; reconnecting", extra={
            "client": self._name, "error": repr(error), "failures_since_last_report": self._suppressed})
        self._last, self._suppressed = now, 0


async def connect(settings: NatsSettings, name: str, **callbacks: Any) -> Client:
    """Connect with unbounded reconnects, so a NATS restart is ridden out, not fatal; ``callbacks``
    (``error_cb``, ``disconnected_cb``, ...) go to ``nats.connect``. The first connection is also
    retried for ever: await it only where nothing can be served without NATS (see ``nats_link``)."""
    callbacks.setdefault("error_cb", ConnectionErrorLog(name).report)
    return await nats.connect(
        servers=settings.nats_url.split(","), name=name, max_reconnect_attempts=-1,
        reconnect_time_wait=0.5, connect_timeout=5, **callbacks,
    )


def stream_configs(replicas: int) -> list[StreamConfig]:
    """The streams Assay needs. Work discards NEW when full (back-pressure), never old work, and
    republishes each stored message's headers under ``STORED_WORK`` to wake idle workers."""
    return [
        StreamConfig(
            name=WORK_STREAM, subjects=[ALL_WORK], retention=RetentionPolicy.WORK_QUEUE,
            storage=StorageType.FILE, discard=DiscardPolicy.NEW, max_bytes=1024**3,
            max_msgs=1_000_000, duplicate_window=DUPLICATE_WINDOW_SECONDS, num_replicas=replicas,
            # Announced once stored (headers only), so a worker woken by it finds the message.
            republish=RePublish(src=ALL_WORK, dest=f"{STORED_WORK}.>", headers_only=True),
        ),
        StreamConfig(
            name=EVENTS_STREAM, subjects=[ALL_EVENTS], retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE, discard=DiscardPolicy.OLD, max_age=7 * 86400,
            max_bytes=4 * 1024**3, duplicate_window=DUPLICATE_WINDOW_SECONDS, num_replicas=replicas,
        ),
    ]


async def connect_with_streams(settings: NatsSettings, name: str) -> Client:
    """Connect, and create or update Assay's streams first: the one place they are provisioned.

    ``python -m assay.jobs provision`` (the setup Job, ``assay dev``) calls it, and so does every
    process that publishes to or consumes from the streams, so none depends on starting after another.
    """
    nc = await connect(settings, name)
    try:
        await provision_streams(nc, settings.nats_stream_replicas)
    except BaseException:
        await nc.close()
        raise
    return nc


async def provision_streams(nc: Client, replicas: int = 1) -> None:
    """Create or update Assay's streams; safe to run any number of times."""
    js = nc.jetstream()
    for config in stream_configs(replicas):
        try:
            await js.add_stream(config)
        except BadRequestError:
            await js.update_stream(config)
        logger.info("stream provisioned", extra={"stream": config.name})
