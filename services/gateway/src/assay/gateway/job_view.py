"""The gateway's view of recent jobs: status reads answered without a call to the jobs service.

Clients poll ``GET /v1/jobs/{id}``; each poll used to be a gateway request plus a GetJob call into
jobs. The view holds recent jobs' rendered JSON, kept current by the lifecycle events on
``assay.events.>`` (the events WatchJob follows), by every CreateJob answer and WatchJob snapshot
the gateway relays (read-your-writes: a client that saw a job end over SSE reads it ended, even
while the view's own copy of that event is still on its way) and by GetJob on a miss. A read is
answered from it only when all of these hold:

- the view is *live*: subscribed to the events and connected to NATS (while disconnected, or once
  NATS reported that this subscriber dropped messages, the view is emptied and reads go to jobs
  until the connection is back);
- the caller's token verifies here (the services' key and claims) with a role that may read jobs;
- the job is the caller's tenant's (else jobs answers, which says NOT_FOUND without revealing it);
- the entry was updated less than ``ASSAY_JOB_VIEW_SECONDS`` ago, or for a finished job (which
  only an admin's RetryJob changes again) ``ASSAY_JOB_VIEW_FINISHED_SECONDS``: a bound on staleness
  should an event be lost (it is read from jobs again after that).

Never backwards: each job carries the sequence of its latest event (``Job.event_sequence``), and a
copy older than the one held (a late event, a GetJob answer overtaken by an event) is ignored. A
deleted job stays out: its id is remembered (the last ``RECENT_DELETIONS``), so a GetJob answer read
before the deletion and arriving after its event is not taken.
Bounded by bytes (``ASSAY_JOB_VIEW_BYTES``): an entry costs its job's wire bytes until it is first
read, then its rendered JSON (rendered once per job version, so repeated polls cost no rendering).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import NamedTuple

import prometheus_client
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import SlowConsumerError
from opentelemetry import trace

from assay.common.auth import READERS
from assay.common.byte_cache import ByteLRU
from assay.common.errors import AssayError
from assay.common.interceptors import CachingVerifier
from assay.common.job_states import TERMINAL
from assay.common.nats import ALL_EVENTS
from assay.common.nats_link import NatsLink
from assay.common.recent_sequences import GONE, RecentSequences
from assay.gateway.config import GatewaySettings
from assay.gateway.json import render, to_json
from assay.v1 import events_pb2, job_pb2

logger = logging.getLogger(__name__)

VIEW_READS = prometheus_client.Counter(
    "assay_gateway_job_view_reads_total",
    "Status reads answered from the gateway's job view (hit) or by GetJob (miss, and why).", ["result"])
_VIEW_HITS = VIEW_READS.labels(result="hit")
"""Bound once: a hit is every answered status read."""
VIEW_EVENTS = prometheus_client.Counter(
    "assay_gateway_job_view_events_total", "Lifecycle events the job view took (applied) or ignored (stale).",
    ["result"])
_EVENTS_APPLIED, _EVENTS_STALE = VIEW_EVENTS.labels(result="applied"), VIEW_EVENTS.labels(result="stale")
"""Bound once: every job's every event is counted."""
VIEW_RENDERS = prometheus_client.Counter(
    "assay_gateway_job_view_renders_total",
    "Job versions the job view rendered to JSON for a status read (a version rendered for the create's "
    "answer, or already rendered, is not rendered again).")
RECENT_DELETIONS = 16_384
"""Deleted jobs remembered so that a read in flight at their deletion is not taken (it lasts one GetJob)."""


class _Entry(NamedTuple):
    tenant: str
    sequence: int
    fresh_until: float
    payload: bytes
    """The job's wire bytes, or once read its rendered JSON body (``rendered``)."""
    rendered: bool


class JobView:
    """Recent jobs by id, bounded by bytes; see the module docstring for when a read is answered."""

    def __init__(self, max_bytes: int, ttl_seconds: float, verifier: CachingVerifier | None,
                 clock: Callable[[], float] = time.monotonic, finished_ttl_seconds: float | None = None) -> None:
        self._ttl = ttl_seconds
        self._finished_ttl = ttl_seconds if finished_ttl_seconds is None else max(finished_ttl_seconds, ttl_seconds)
        self._clock = clock
        self._verifier = verifier
        self._entries: ByteLRU[str, _Entry] = ByteLRU(
            "gateway_job_view", max_bytes if ttl_seconds > 0 and verifier is not None else 0,
            lambda entry: len(entry.payload))
        self._deleted = RecentSequences(RECENT_DELETIONS)
        self.live = False
        """True while the event feed is subscribed and connected; reads are answered only then."""

    @property
    def enabled(self) -> bool:
        return self._entries.enabled

    @property
    def nbytes(self) -> int:
        return self._entries.nbytes

    def __len__(self) -> int:
        return len(self._entries)

    def remember(self, job: job_pb2.Job, body: bytes | None = None) -> None:
        """Take a job from a CreateJob, GetJob or WatchJob answer (with its rendered ``body`` when it has one),
        unless a newer copy is held."""
        if body is None:
            self._take(job, job.event_sequence, job.SerializeToString)
        else:
            self._take(job, job.event_sequence, lambda: body, rendered=True)

    def forget(self, job_id: str) -> None:
        """Drop a job deleted through this gateway (the others drop it at its ``deleted`` event)."""
        self._entries.pop(job_id)
        self._deleted.note(job_id, GONE)

    def apply_event(self, payload: bytes) -> None:
        """Take the job of a lifecycle event."""
        event = events_pb2.JobEvent.FromString(payload)
        if event.deleted:  # DeleteJob, a cascade or the retention sweep, through any replica
            self.forget(event.job.id)
            return
        taken = self._take(event.job, event.sequence, event.job.SerializeToString)
        (_EVENTS_APPLIED if taken else _EVENTS_STALE).inc()

    def _take(self, job: job_pb2.Job, sequence: int, payload: Callable[[], bytes], rendered: bool = False) -> bool:
        if not self.live or not job.id or sequence <= 0 or self._deleted.supersedes(job.id, sequence):
            return False
        held = self._entries.peek(job.id)
        if held is not None and held.sequence > sequence:
            return False  # an equal one may still be newer: a heartbeat moves the lease, not the sequence
        ttl = self._finished_ttl if job.state in TERMINAL else self._ttl
        self._entries.put(job.id, _Entry(job.tenant_id, sequence, self._clock() + ttl, payload(), rendered))
        return True

    def body(self, token: str, job_id: str) -> bytes | None:
        """The job's JSON body for the holder of ``token``, or None: ask jobs (see the module docstring)."""
        if not self.live or self._verifier is None:
            return None
        entry = self._entries.get(job_id)
        if entry is None:
            return self._miss("absent")
        if entry.fresh_until <= self._clock():
            return self._miss("expired")
        try:
            caller = self._verifier.verify(token)
        except AssayError:
            return self._miss("token")  # jobs refuses it in its own words
        if not caller.has_any(READERS) or caller.tenant != entry.tenant:
            return self._miss("tenant")  # jobs answers NOT_FOUND or PERMISSION_DENIED
        if not entry.rendered:
            entry = entry._replace(payload=render(to_json(job_pb2.Job.FromString(entry.payload))), rendered=True)
            self._entries.put(job_id, entry)
            VIEW_RENDERS.inc()
        _VIEW_HITS.inc()
        trace.get_current_span().set_attribute("assay.job_view.hit", True)
        return entry.payload

    @staticmethod
    def _miss(why: str) -> None:
        VIEW_READS.labels(result=why).inc()
        trace.get_current_span().set_attribute("assay.job_view.hit", False)

    def set_live(self, live: bool) -> None:
        """Start or stop answering; whatever was held may have missed events, so it is dropped."""
        self.live = live
        self._entries.clear()


def job_view(settings: GatewaySettings, verifier: CachingVerifier | None) -> JobView:
    """The view the settings ask for: inert without NATS or a token key (``verifier`` None; every
    read goes to jobs)."""
    if not (settings.nats_url and settings.job_view_bytes > 0):
        verifier = None
    elif verifier is None:
        logger.warning("job view off: no token key to check tenants with "
                       "(ASSAY_JWT_HS256_SECRET or ASSAY_JWT_PUBLIC_KEY_FILE)")
    return JobView(settings.job_view_bytes, settings.job_view_seconds, verifier,
                   finished_ttl_seconds=settings.job_view_finished_seconds)


class EventFeed:
    """The NATS subscription that keeps a :class:`JobView` current.

    It connects in the background (:class:`NatsLink`): the gateway must start and serve while NATS
    is down (a gateway restarted during a NATS outage refused every client until NATS was back, since
    the client's first connection retries for ever); the view turns live once the subscription is in
    place.
    """

    def __init__(self, view: JobView) -> None:
        self._view = view
        self._link: NatsLink | None = None
        self.subscribed = asyncio.Event()
        """Set once the view follows the events (it is live from then on while connected)."""

    async def start(self, settings: GatewaySettings) -> None:
        """Begin following the events; returns at once, without waiting for NATS (every read goes to
        jobs until the view is live)."""
        if not self._view.enabled or self._link is not None:
            return
        self._link = NatsLink(settings, "assay-gateway", provision=False, error_cb=self._on_error,
                              disconnected_cb=self._on_disconnect, reconnected_cb=self._on_reconnect)
        self._link.when_connected(self._follow)
        self._link.start()

    async def _follow(self, nc: Client) -> None:
        await nc.subscribe(ALL_EVENTS, cb=self._on_event)
        await nc.flush()
        self._view.set_live(True)
        self.subscribed.set()

    async def close(self) -> None:
        if self._link is not None:
            link, self._link = self._link, None
            await link.close()
        self._view.set_live(False)

    async def _on_event(self, msg: Msg) -> None:
        try:
            self._view.apply_event(msg.data)
        except Exception:  # a malformed message must not stop the subscription
            logger.exception("job view: unreadable event", extra={"subject": msg.subject})

    async def _on_error(self, error: Exception) -> None:
        if isinstance(error, SlowConsumerError):  # events were dropped: what is held may be stale
            logger.warning("job view: events dropped, emptied")
            self._view.set_live(True)

    async def _on_disconnect(self) -> None:
        self._view.set_live(False)

    async def _on_reconnect(self) -> None:
        if self.subscribed.is_set():  # a reconnect before the first subscription has nothing to follow yet
            self._view.set_live(True)
