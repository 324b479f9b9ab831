"""Dispatch at create: a new job's work message in its CreateJob transaction, when a round would send it at once.

A new QUEUED job is held (``dispatcher.hold``) and a dispatch round, woken by ``NOTIFY``, writes its
work message when its turn comes: a hop of a few round trips on a busy event loop (p50 ~200 ms in
``bench/trace_hops.py``), even for an analyzer with nothing waiting. Here the CreateJob batch's
transaction asks, for each analyzer of its jobs, what the round would decide, and writes the work
messages of the jobs the round would dispatch now itself (the rest are held as before):

- only if it takes the dispatch lock without waiting (``pg_try_advisory_xact_lock``, held to its
  commit): a round, or another replica's create doing the same, never runs beside it, so nothing is
  dispatched twice and no backlog is counted twice; if the lock is taken, the jobs are held;
- only if nothing of the analyzer is held: held jobs go first by fair share, so while any wait the
  new jobs wait with them (a flood's creates are held and shared out by the rounds) — except the one
  job the next round would send ahead of the backlog anyway: a tenant with nothing of the analyzer
  held itself, nothing waiting behind the backlog and a smaller share than every tenant with messages
  waiting there (``fair_share.may_go_ahead``) has its first new job dispatched ahead at create, the
  rest held (under a flood that round was the trickling tenant's longest hop: p50 ~50 ms traced);
- at most the room in the analyzer's backlog (``Dispatcher.backlog_for`` its running jobs, less its
  waiting messages), chosen and limited by the round's own rule (``fair_share.plan_round``: the
  tenant's concurrency limits, its jobs by priority then age; and a tenant with nothing waiting
  behind the backlog and a smaller share than every tenant that has sends its next job ahead of it,
  on the analyzer's top-priority subject, recorded in ``dispatched_ahead`` as the round records it).

The counts are cross-tenant, so they are read in the system scope, set for those statements only
and reset before the transaction goes on in the tenant's scope. The work message is written in the
same transaction as the job, as the round writes it: at-least-once and crash safety are the outbox's.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from assay.common.capabilities import JobCapabilities
from assay.common.db import SYSTEM_SETTING
from assay.common.nats import MAX_PRIORITY
from assay.common.telemetry import current_traceparent
from assay.jobs.dispatcher import DISPATCH_LOCK_KEY, IN_FLIGHT_COUNTS, dispatch_span, tally
from assay.jobs.fair_share import Head, Policy, may_go_ahead, plan_round
from assay.jobs.metrics import JOBS_DISPATCHED_AHEAD, JOBS_DISPATCHED_AT_CREATE
from assay.jobs.work_messages import work_message
from assay.v1 import job_pb2

NewWork = tuple[RowMapping, str, job_pb2.Job]
"""A new QUEUED job: its row, the traceparent of its CreateJob call, and the job."""


class DispatchAtCreate:
    """``dispatch`` is called by the CreateJob batch's transaction with its new QUEUED jobs."""

    def __init__(self, capabilities: JobCapabilities, policy: Policy, backlog_for: Callable[[int], int]) -> None:
        self._capabilities = capabilities
        self._policy = policy
        self._backlog_for = backlog_for

    async def dispatch(self, conn: AsyncConnection, tenant: str,
                       new: Sequence[NewWork]) -> list[tuple[uuid.UUID, dict[str, Any]]]:
        """The work messages (with their jobs' ids, in the stream's order) of the new jobs a round would
        dispatch now; the caller writes them into the outbox and holds the other jobs."""
        if not new:
            return []
        if not (await conn.execute(_TRY_LOCK_IN_SYSTEM_SCOPE, {"key": DISPATCH_LOCK_KEY})).scalar_one():
            await conn.execute(_TENANT_SCOPE)
            return []
        by_analyzer: dict[str, list[NewWork]] = defaultdict(list)
        for work in new:
            by_analyzer[work[0]["analyzer"]].append(work)
        ids = [work[0]["id"] for work in new]
        chosen: list[tuple[Head, bool]] = []
        for analyzer, works in sorted(by_analyzer.items()):
            rows = (await conn.execute(_ROOM, {"analyzer": analyzer, "tenant": tenant, "new": ids})).all()
            if rows[0].own_held:
                continue
            counts = tally(row for row in rows if row.tenant_id is not None)  # None: nothing in flight at all
            in_flight, behind = counts.in_flight, counts.behind[analyzer]
            in_flight.by_tenant[tenant] = in_flight.by_tenant.get(tenant, 0) + len(chosen)  # the earlier analyzers'
            # Other tenants' held jobs take the backlog's room in the next round: only a job ahead of it goes now.
            capacity = 0 if rows[0].held else self._backlog_for(counts.running[analyzer]) - counts.waiting[analyzer]
            if capacity <= 0 and not may_go_ahead(analyzer, [tenant], in_flight, behind, self._policy):
                continue
            heads = sorted((Head(str(row["id"]), tenant, row["priority"], row["created_at"]) for row, _, _ in works),
                           key=lambda head: (-head.priority, head.created_at, head.job_id))
            ahead, rest = plan_round(analyzer, capacity, {tenant: heads}, in_flight, behind, self._policy)
            jumps = any(behind.values())  # a FIFO backlog to jump: the top-priority subject, as a round sends it
            chosen += [(head, jumps) for head in ahead] + [(head, False) for head in rest]
        await conn.execute(_TENANT_SCOPE)
        works_by_id = {str(work[0]["id"]): work for work in new}
        messages, went_ahead = [], []
        for head, ahead_of_backlog in chosen:
            row, traceparent, job = works_by_id[head.job_id]
            with dispatch_span(row, traceparent, timedelta(0), ahead=ahead_of_backlog) as span:
                span.set_attribute("assay.dispatch.at_create", True)
                messages.append((row["id"], await work_message(
                    conn, self._capabilities, job, current_traceparent(),
                    subject_priority=MAX_PRIORITY if ahead_of_backlog else None)))
            JOBS_DISPATCHED_AT_CREATE.labels(row["analyzer"]).inc()
            if ahead_of_backlog:
                JOBS_DISPATCHED_AHEAD.labels(row["analyzer"]).inc()
                went_ahead.append(row["id"])
        if went_ahead:  # the lane the round's counts read (``dispatched_ahead``)
            await conn.execute(_MARK_AHEAD, {"ids": went_ahead})
        return messages


_TRY_LOCK_IN_SYSTEM_SCOPE = text(
    f"SELECT pg_try_advisory_xact_lock(:key) FROM set_config('{SYSTEM_SETTING}', 'on', true)")
_TENANT_SCOPE = text(f"SELECT set_config('{SYSTEM_SETTING}', '', true)")
"""Back to the transaction's tenant scope (its ``assay.tenant_id`` was never changed)."""
_ROOM = text(f"""
    WITH held AS (SELECT EXISTS (SELECT 1 FROM jobs.dispatch_queue WHERE analyzer = :analyzer) AS any,
                         EXISTS (SELECT 1 FROM jobs.dispatch_queue WHERE analyzer = :analyzer AND tenant_id = :tenant)
                             AS own)
    SELECT held.any AS held, held.own AS own_held, counts.* FROM held LEFT JOIN LATERAL (
        SELECT {IN_FLIGHT_COUNTS}
        FROM jobs.jobs j
        WHERE NOT held.own AND j.state IN ('QUEUED', 'RUNNING') AND (j.analyzer = :analyzer OR j.tenant_id = :tenant)
          AND j.id <> ALL(:new)
          AND NOT EXISTS (SELECT 1 FROM jobs.dispatch_queue d WHERE d.job_id = j.id)
        GROUP BY j.tenant_id, j.analyzer
    ) counts ON true
""")
"""Whether any job of the analyzer is held, and any of the batch's tenant (one row, nothing else, if so),
else the round's in-flight counts (``dispatcher._IN_FLIGHT``) of the analyzer's tenants and of the batch's
tenant across analyzers, the batch's own new jobs left out (no row with a tenant: nothing in flight)."""
_MARK_AHEAD = text("UPDATE jobs.jobs SET dispatched_ahead = true WHERE id = ANY(:ids)")
