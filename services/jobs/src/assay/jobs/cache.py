"""Recent jobs' latest state in memory, so status polls do not each cost a database transaction.

Clients poll GetJob (the REST gateway's ``GET /v1/jobs/{id}``) many times per job; every poll
was a transaction (BEGIN, the tenant setting, SELECT, COMMIT) and a row → proto conversion.

Freshness: every transition this process commits is written through (after the commit), so
with one replica a cached job is never stale. Transitions committed by another replica (or
serving process, ``ASSAY_JOBS_PROCESSES``) arrive as lifecycle events on ``assay.events.>`` and
replace the cached state within milliseconds, or add the job: a client's polls spread over the
processes (``ASSAY_JOBS_CONNECTIONS``) would otherwise miss once in each process per job;
an entry is anyway dropped ``ttl_seconds`` after it was last read from or written to the
database (``finished_ttl_seconds`` for a finished job, which only an admin's RetryJob changes
again), which bounds staleness if an event is missed (core NATS subscriptions may drop
messages). Every entry carries the job's event sequence number, and an older state never
replaces a newer one, so concurrent writers and late events cannot move a job backwards.

A read that missed races the events: another process's transition (or a deletion) can arrive
while the job is being read from the database, when there is no entry yet to apply it to, and the
read's older state would then be cached after it (a deleted job answered for
``finished_ttl_seconds``). So the sequence of the latest event of each uncached job is remembered
for the last ``RECENT_EVENTS`` such events (a deletion, or ``forget``, as "gone"), and a state older
than it is not cached.

Memory: entries are the jobs' wire bytes, bounded in total by ``ASSAY_JOB_CACHE_BYTES``
(:class:`assay.common.byte_cache.ByteLRU`), so large results cannot make the cache grow past it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NamedTuple

from nats.aio.msg import Msg

from assay.common.byte_cache import ByteLRU
from assay.common.job_states import TERMINAL
from assay.common.recent_sequences import GONE, RecentSequences
from assay.jobs.metrics import CACHE_READS
from assay.v1 import events_pb2, job_pb2

_HITS = CACHE_READS.labels(result="hit")
_MISSES = CACHE_READS.labels(result="miss")
RECENT_EVENTS = 16_384
"""Uncached jobs whose latest event sequence is remembered (a few seconds of events at c1's rate;
the race it closes lasts one database read)."""


class _Entry(NamedTuple):
    tenant: str
    sequence: int
    expires: float
    wire: bytes
    """The job's serialized form: its size is what the entry costs (a parsed message can be several
    times larger than its wire bytes, and a 1 MB result must cost 1 MB, not an unknown multiple)."""


class JobCache:
    """A job id → (tenant, event sequence, Job) LRU bounded by ``max_bytes`` (the jobs' wire bytes)."""

    def __init__(self, max_bytes: int, ttl_seconds: float, clock: Callable[[], float] = time.monotonic,
                 finished_ttl_seconds: float | None = None) -> None:
        self._ttl = ttl_seconds
        self._finished_ttl = ttl_seconds if finished_ttl_seconds is None else max(finished_ttl_seconds, ttl_seconds)
        self._clock = clock
        self._entries: ByteLRU[str, _Entry] = ByteLRU(
            "jobs_job_cache", max_bytes if ttl_seconds > 0 else 0, lambda entry: len(entry.wire))
        self._recent = RecentSequences(RECENT_EVENTS)
        """Job id → the sequence of its latest event that found no entry (``GONE``: deleted)."""

    @property
    def enabled(self) -> bool:
        return self._entries.enabled

    @property
    def nbytes(self) -> int:
        """Bytes held now."""
        return self._entries.nbytes

    def get(self, tenant: str, job_id: str) -> job_pb2.Job | None:
        """The cached job, or None (not cached, expired, or another tenant's: ask the database)."""
        wire = self.get_wire(tenant, job_id)
        return None if wire is None else job_pb2.Job.FromString(wire)

    def get_wire(self, tenant: str, job_id: str) -> bytes | None:
        """``get``'s job as its wire bytes (what GetJob answers with, unparsed), or None."""
        if not self.enabled:  # a disabled cache counts neither hits nor misses
            return None
        entry = self._entries.get(job_id)
        if entry is None or entry.tenant != tenant or entry.expires <= self._clock():
            _MISSES.inc()
            return None
        _HITS.inc()
        return entry.wire

    def put(self, job: job_pb2.Job, sequence: int) -> None:
        """Remember the job as of event ``sequence`` unless a newer state is already cached."""
        if not self.enabled:
            return
        entry = self._entries.peek(job.id)
        if entry is not None and entry.sequence > sequence:
            return
        if self._recent.supersedes(job.id, sequence):  # a newer event arrived while this state was read
            return
        ttl = self._finished_ttl if job.state in TERMINAL else self._ttl
        self._entries.put(job.id, _Entry(job.tenant_id, sequence, self._clock() + ttl, job.SerializeToString()))

    def apply_event(self, subject: str, payload: bytes) -> None:
        """Take a newer state from a lifecycle event: a cached job's is replaced, an uncached job is
        added (its sequence also remembered, should it be evicted before a read that started earlier
        puts an older state)."""
        if not self.enabled:
            return
        job_id = subject.rpartition(".")[2]
        entry = self._entries.peek(job_id)
        event = events_pb2.JobEvent.FromString(payload)
        if event.deleted:
            self.forget(job_id)
        elif entry is None:  # another process's (or replica's) job: its next read here is answered at once
            self._remember(job_id, event.sequence)
            self.put(event.job, event.sequence)
        elif event.sequence > entry.sequence:
            self._entries.put(job_id, entry._replace(sequence=event.sequence, wire=event.job.SerializeToString()))

    def forget(self, job_id: str) -> None:
        """Drop a deleted job (DeleteJob, or its event), and cache no state of it read before."""
        self._entries.pop(job_id)
        self._remember(job_id, GONE)

    def _remember(self, job_id: str, sequence: int) -> None:
        if self.enabled:
            self._recent.note(job_id, sequence)

    async def on_event(self, msg: Msg) -> None:
        """Core NATS subscription callback for ``assay.common.nats.ALL_EVENTS``."""
        self.apply_event(msg.subject, msg.data)

    def __len__(self) -> int:
        return len(self._entries)
