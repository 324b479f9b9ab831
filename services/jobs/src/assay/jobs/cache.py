"""Recent jobs' latest state in memory, so status polls do not each cost a database transaction.

Clients poll GetJob (the REST gateway's ``GET /v1/jobs/{id}``) many times per job; every poll
was a transaction (BEGIN, the tenant setting, SELECT, COMMIT) and a row → proto conversion.

Freshness: every transition this process commits is written through (after the commit), so
with one replica a cached job is never stale. Transitions committed by another replica arrive
as lifecycle events on ``assay.events.>`` and replace the cached state within milliseconds;
an entry is anyway dropped ``ttl_seconds`` after it was last read from or written to the
database, which bounds staleness if an event is missed (core NATS subscriptions may drop
messages). Every entry carries the job's event sequence number, and an older state never
replaces a newer one, so concurrent writers and late events cannot move a job backwards.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable

from nats.aio.msg import Msg

from assay.jobs.metrics import CACHE_READS
from assay.v1 import events_pb2, job_pb2


class _Entry:
    __slots__ = ("expires", "job", "sequence")

    def __init__(self, job: job_pb2.Job, sequence: int, expires: float) -> None:
        self.job = job
        self.sequence = sequence
        self.expires = expires


class JobCache:
    """A bounded LRU of job id → (event sequence, Job); the Jobs it returns must not be mutated."""

    def __init__(self, capacity: int, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._capacity = capacity
        self._ttl = ttl_seconds
        self._clock = clock
        self._entries: collections.OrderedDict[str, _Entry] = collections.OrderedDict()

    @property
    def enabled(self) -> bool:
        return self._capacity > 0 and self._ttl > 0

    def get(self, tenant: str, job_id: str) -> job_pb2.Job | None:
        """The cached job, or None (not cached, expired, or another tenant's: ask the database)."""
        if not self.enabled:  # a disabled cache counts neither hits nor misses
            return None
        entry = self._entries.get(job_id)
        if entry is None or entry.job.tenant_id != tenant or entry.expires <= self._clock():
            CACHE_READS.labels(result="miss").inc()
            return None
        self._entries.move_to_end(job_id)
        CACHE_READS.labels(result="hit").inc()
        return entry.job

    def put(self, job: job_pb2.Job, sequence: int) -> None:
        """Remember the job as of event ``sequence`` unless a newer state is already cached."""
        if not self.enabled:
            return
        entry = self._entries.get(job.id)
        if entry is not None and entry.sequence > sequence:
            return
        self._entries[job.id] = _Entry(job, sequence, self._clock() + self._ttl)
        self._entries.move_to_end(job.id)
        if len(self._entries) > self._capacity:
            self._entries.popitem(last=False)

    def apply_event(self, subject: str, payload: bytes) -> None:
        """Take a newer state from a lifecycle event, for jobs already cached (others are not added)."""
        entry = self._entries.get(subject.rpartition(".")[2])
        if entry is None:
            return
        event = events_pb2.JobEvent.FromString(payload)
        if event.sequence > entry.sequence:
            entry.job, entry.sequence = event.job, event.sequence

    async def on_event(self, msg: Msg) -> None:
        """Core NATS subscription callback for ``assay.common.nats.ALL_EVENTS``."""
        self.apply_event(msg.subject, msg.data)

    def __len__(self) -> int:
        return len(self._entries)
