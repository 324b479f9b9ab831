"""The dispatcher: decides which tenant's queued work goes to the work stream next (fair share).

A transition that queues a job (CreateJob, a dependency's release, RetryJob, the reaper's re-queue)
*holds* it in ``jobs.dispatch_queue`` instead of writing its work message. Each dispatch round,
for each analyzer with held work, fills the analyzer's backlog — work messages in the stream not
yet started, at most ``backlog_for(running)``: the analyzer's running jobs times
``dispatch_backlog_per_running``, and never under ``dispatch_backlog`` — with held jobs chosen by
``fair_share.plan`` (weighted
fair share across tenants, each tenant's own jobs by priority then age, concurrency limits), and
writes their work messages into the outbox in that order, in the round's transaction. A tenant
with nothing of the analyzer waiting in the stream on its own priority's subject and a smaller share
than every tenant that has has its next job dispatched in the round whether or not the backlog has
room, on the analyzer's top-priority subject, so it goes ahead of the waiting messages instead of
behind them (``fair_share.plan_round``); the job row records that lane (``dispatched_ahead``), so
such a tenant may send its following jobs ahead too before the first has started. Workers
are unchanged: every delivery, ack, lease and fencing rule applies to the message as before.

Rounds are serialised across jobs replicas by a transaction-level advisory lock, so any number of
replicas may run a dispatcher; one wakes on ``NOTIFY assay_dispatch`` (a job held, a job started
or finished: the migration's triggers) and otherwise every ``dispatch_poll_seconds`` (a retry
delay running out frees a place without a notification).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg
from opentelemetry import trace
from sqlalchemy import text
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from assay.common.capabilities import JobCapabilities
from assay.common.db import SYSTEM_SESSION, system_transaction
from assay.common.nats import MAX_PRIORITY
from assay.common.telemetry import context_from_headers, current_traceparent
from assay.jobs.codec import JobRows
from assay.jobs.fair_share import Head, InFlight, Policy, may_go_ahead, plan_round
from assay.jobs.metrics import JOB_HOLD_SECONDS, JOBS_DISPATCHED, JOBS_DISPATCHED_AHEAD, JOBS_HELD
from assay.jobs.work_messages import OUTBOX_INSERT, work_message

logger = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

DISPATCH_LOCK_KEY = 0x4153_5341_5931  # "ASSAY1": one dispatch round at a time per database
NOTIFY_CHANNEL = "assay_dispatch"


async def hold(conn: AsyncConnection, row: RowMapping, traceparent: str) -> None:
    """Hold a QUEUED job for the dispatcher (in the transaction that queued it)."""
    await hold_many(conn, [(row, traceparent)])


async def hold_many(conn: AsyncConnection, rows: Sequence[tuple[RowMapping, str]]) -> None:
    """``hold`` for several jobs (each with its traceparent) in one pipelined statement."""
    if not rows:
        return
    await conn.execute(_HOLD, [{
        "id": row["id"], "tenant": row["tenant_id"], "analyzer": row["analyzer"],
        "priority": row["priority"], "created_at": row["created_at"], "traceparent": traceparent,
    } for row, traceparent in rows])


class Dispatcher:
    """Moves held jobs into the outbox by fair share. ``run`` loops; ``dispatch_once`` is one round."""

    def __init__(self, engine: AsyncEngine, capabilities: JobCapabilities, policy: Policy, *,
                 backlog: int, poll_seconds: float, psycopg_url: str, backlog_per_running: float = 0.0) -> None:
        if backlog < 1 or backlog_per_running < 0:
            raise ValueError("the dispatch backlog must be at least 1 (and its per-running factor not negative)")
        self._engine = engine
        self._capabilities = capabilities
        self._policy = policy
        self._backlog = backlog
        self._per_running = backlog_per_running
        self._poll = poll_seconds
        self._psycopg_url = psycopg_url
        self._rows = JobRows()
        self._wake = asyncio.Event()
        self._gauged: set[str] = set()

    async def dispatch_once(self) -> int:
        """One round; returns how many jobs it dispatched."""
        async with system_transaction(self._engine) as conn:
            await conn.execute(_LOCK, {"key": DISPATCH_LOCK_KEY})
            held: dict[str, int] = defaultdict(int)
            tenants_held: dict[str, set[str]] = defaultdict(set)
            for row in await conn.execute(_HELD):
                held[row.analyzer] += row.held
                tenants_held[row.analyzer].add(row.tenant_id)
            for analyzer in self._gauged - held.keys():  # drained since the last round
                JOBS_HELD.labels(analyzer).set(0)
            self._gauged = set(held)
            if not held:
                return 0
            counts = tally(await conn.execute(_IN_FLIGHT))
            in_flight = counts.in_flight
            chosen: list[Head] = []
            ahead_of_backlog: set[str] = set()
            for analyzer in sorted(held):
                JOBS_HELD.labels(analyzer).set(held[analyzer])
                capacity = self.backlog_for(counts.running[analyzer]) - counts.waiting[analyzer]
                queued = counts.behind[analyzer]
                if capacity > 0 or may_go_ahead(analyzer, tenants_held[analyzer], in_flight, queued, self._policy):
                    heads = await _heads(conn, analyzer, max(1, capacity))
                    ahead, rest = plan_round(analyzer, capacity, heads, in_flight, queued, self._policy)
                    chosen += ahead + rest
                    if any(queued.values()):  # a FIFO backlog to jump: its top-priority subject
                        ahead_of_backlog.update(head.job_id for head in ahead)
            dispatched = await self._dispatch(conn, chosen, ahead_of_backlog) if chosen else 0
        return dispatched

    async def dispatch_if_held(self, probe: psycopg.AsyncConnection[Any]) -> int:
        """A round (``dispatch_once``) when any job is held, or the held gauges still show some; else
        only one autocommit statement on ``probe`` (the dispatcher's own connection, system scope for
        its session) instead of a round's transaction (BEGIN, scope, lock, count, COMMIT). Most
        notifications are a job starting or ending with nothing held. A job held after the look
        notifies again, and the loop cleared its wake-up before looking, so none is missed."""
        if not self._gauged:
            cursor = await probe.execute(_ANY_HELD)
            row = await cursor.fetchone()
            if not (row and row[0]):
                return 0
        return await self.dispatch_once()

    def backlog_for(self, running: int) -> int:
        """How many unstarted messages an analyzer with ``running`` jobs may have in the stream: about one
        more round of its workers' slots, so a newcomer waits behind at most that, however large the fleet."""
        return max(self._backlog, math.ceil(running * self._per_running))

    async def _dispatch(self, conn: AsyncConnection, chosen: Sequence[Head], ahead_of_backlog: set[str]) -> int:
        ids = [uuid.UUID(head.job_id) for head in chosen]
        jobs = {row["id"]: row for row in (await conn.execute(_RELEASE, {"ids": ids})).mappings()}
        now = datetime.now(UTC)
        messages: list[dict[str, Any]] = []
        for job_id in ids:  # the plan's order is the stream's order
            if job_id not in jobs:
                continue  # started or cancelled since the round looked (or being so now)
            row = jobs[job_id]
            job = self._rows.job(row)
            held = now - row["held_at"]
            ahead = str(job_id) in ahead_of_backlog
            with dispatch_span(row, row["hold_traceparent"], held, ahead):
                messages.append(await work_message(conn, self._capabilities, job, current_traceparent(),
                                                   subject_priority=MAX_PRIORITY if ahead else None))
            JOBS_DISPATCHED.labels(row["analyzer"]).inc()
            if ahead:
                JOBS_DISPATCHED_AHEAD.labels(row["analyzer"]).inc()
            JOB_HOLD_SECONDS.labels(row["analyzer"]).observe(held.total_seconds())
        if messages:
            await conn.execute(OUTBOX_INSERT, messages)
        # The lane each message took, for the next rounds' counts; written only where it changed
        # (a job dispatched ahead, or one that went ahead in an earlier attempt): most rounds none.
        changed = [job_id for job_id, row in jobs.items()
                   if row["dispatched_ahead"] != (str(job_id) in ahead_of_backlog)]
        if changed:
            await conn.execute(_FLIP_AHEAD, {"ids": changed})
        return len(messages)

    async def run(self) -> None:
        """Dispatch forever: a round at each notification, at least every ``poll_seconds``."""
        while True:
            try:
                await self._run_listening()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("dispatcher failed; restarting")
                await asyncio.sleep(self._poll)

    async def _run_listening(self) -> None:
        async with await psycopg.AsyncConnection.connect(self._psycopg_url, autocommit=True) as conn, \
                await psycopg.AsyncConnection.connect(self._psycopg_url, autocommit=True) as probe:
            await probe.execute(SYSTEM_SESSION)
            await conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
            listener = asyncio.create_task(self._listen(conn))
            try:
                while True:
                    self._wake.clear()
                    await self.dispatch_if_held(probe)
                    if listener.done():
                        listener.result()  # re-raise: the listening connection broke
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self._poll):
                            await self._wake.wait()
            finally:
                listener.cancel()

    async def _listen(self, conn: psycopg.AsyncConnection[Any]) -> None:
        async for _ in conn.notifies():
            self._wake.set()


async def _heads(conn: AsyncConnection, analyzer: str, limit: int) -> dict[str, list[Head]]:
    """Each tenant's first ``limit`` held jobs of the analyzer, by priority then age."""
    heads: dict[str, list[Head]] = defaultdict(list)
    rows = await conn.execute(_HEADS, {"analyzer": analyzer, "limit": limit})
    for row in sorted(rows, key=lambda r: (-r.priority, r.created_at, str(r.job_id))):
        heads[row.tenant_id].append(Head(str(row.job_id), row.tenant_id, row.priority, row.created_at))
    return heads


@contextlib.contextmanager
def dispatch_span(row: RowMapping, traceparent: str, held: Any, ahead: bool) -> Any:
    """A span in the job's trace for its dispatch (how long it was held, whether it went ahead of the
    analyzer's backlog); the work message carries it."""
    parent = context_from_headers({"traceparent": traceparent}) if traceparent else None
    with tracer.start_as_current_span("dispatch job", context=parent, attributes={
        "job.id": str(row["id"]), "tenant": row["tenant_id"], "assay.analyzer": row["analyzer"],
        "assay.dispatch.held_seconds": held.total_seconds(), "assay.dispatch.ahead_of_backlog": ahead,
    }) as span:
        span.set_status(trace.Status(trace.StatusCode.OK))
        yield span


_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
_HOLD = text("""
    INSERT INTO jobs.dispatch_queue (job_id, tenant_id, analyzer, priority, created_at, traceparent)
    VALUES (:id, :tenant, :analyzer, :priority, :created_at, :traceparent)
    ON CONFLICT (job_id) DO NOTHING
""")
_ANY_HELD = "SELECT EXISTS (SELECT 1 FROM jobs.dispatch_queue)"
_HELD = text("SELECT analyzer, tenant_id, count(*) AS held FROM jobs.dispatch_queue GROUP BY analyzer, tenant_id")
IN_FLIGHT_COUNTS = """
    j.tenant_id, j.analyzer, count(*) AS in_flight,
    count(*) FILTER (WHERE j.state = 'QUEUED'
                       AND (j.next_attempt_at IS NULL OR j.next_attempt_at <= now())) AS waiting,
    count(*) FILTER (WHERE j.state = 'QUEUED' AND NOT j.dispatched_ahead
                       AND (j.next_attempt_at IS NULL OR j.next_attempt_at <= now())) AS waiting_behind,
    count(*) FILTER (WHERE j.state = 'RUNNING') AS running
"""
"""The columns of a round's in-flight counts (``fair_share.InFlight``) over ``jobs.jobs j``, grouped by
tenant and analyzer: also what dispatch at create counts."""


@dataclass
class Tally:
    """A round's in-flight counts (rows of ``IN_FLIGHT_COUNTS``), by analyzer."""

    in_flight: InFlight = field(default_factory=InFlight)
    waiting: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    behind: defaultdict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    """Per analyzer, each tenant's waiting messages on their own priority's subject (not sent ahead)."""
    running: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))


def tally(rows: Iterable[Any]) -> Tally:
    counts = Tally()
    for row in rows:
        counts.in_flight.add(row.tenant_id, row.analyzer, row.in_flight)
        counts.waiting[row.analyzer] += row.waiting
        counts.behind[row.analyzer][row.tenant_id] = row.waiting_behind
        counts.running[row.analyzer] += row.running
    return counts
_IN_FLIGHT = text(f"""
    SELECT {IN_FLIGHT_COUNTS}
    FROM jobs.jobs j
    WHERE j.state IN ('QUEUED', 'RUNNING')
      AND NOT EXISTS (SELECT 1 FROM jobs.dispatch_queue d WHERE d.job_id = j.id)
    GROUP BY j.tenant_id, j.analyzer
""")
_HEADS = text("""
    SELECT h.job_id, h.tenant_id, h.priority, h.created_at
    FROM (SELECT DISTINCT tenant_id FROM jobs.dispatch_queue WHERE analyzer = :analyzer) t
    CROSS JOIN LATERAL (
        SELECT q.job_id, q.tenant_id, q.priority, q.created_at FROM jobs.dispatch_queue q
        WHERE q.analyzer = :analyzer AND q.tenant_id = t.tenant_id
        ORDER BY q.priority DESC, q.created_at, q.job_id LIMIT :limit
    ) h
""")
_FLIP_AHEAD = text("""
    UPDATE jobs.jobs SET dispatched_ahead = NOT dispatched_ahead
    WHERE id IN (SELECT id FROM jobs.jobs WHERE id = ANY(:ids) FOR UPDATE SKIP LOCKED)
""")
"""The lane of the released jobs, skipping rows another transaction has locked, as ``_RELEASE`` does:
only a StartJob(s) or a cancel locks a QUEUED job's row, and it then waits for the queue entry this
round deleted; waiting here for its row would close that cycle (a deadlock, ABORTED to the caller).
Such a job is leaving QUEUED, where the lane is no longer counted."""
_RELEASE = text("""
    WITH released AS (
        DELETE FROM jobs.dispatch_queue WHERE job_id IN (
            SELECT job_id FROM jobs.dispatch_queue WHERE job_id = ANY(:ids) FOR UPDATE SKIP LOCKED)
        RETURNING job_id, traceparent, held_at)
    SELECT j.*, r.traceparent AS hold_traceparent, r.held_at
    FROM released r JOIN jobs.jobs j ON j.id = r.job_id WHERE j.state = 'QUEUED'
""")
"""The chosen entries leave the queue and their jobs are read, in one statement: only QUEUED jobs
(one started or cancelled since the round looked is skipped).

Entries another transaction has locked are skipped, not waited for: only a transaction removing
the entry locks it (a StartJob or cancel, by the ``jobs_left_flight`` trigger), so the job is leaving
QUEUED; if that transaction rolls back, a later round takes it. Waiting could close a cycle with a
StartJobs batch, which removes its jobs' entries one by one in its own order while the round deletes
them in another (jobs re-queued by the reaper are held while their old messages are redelivered);
never waiting, a round is in no lock cycle."""
