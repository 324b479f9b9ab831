"""The retention sweep: finished jobs older than their tenant's retention are deleted for good.

Every ``ASSAY_RETENTION_SWEEP_SECONDS`` each jobs replica tries PostgreSQL's session advisory lock
``RETENTION_LOCK_KEY``; the one that holds it sweeps, the others skip the round. A round takes the
finished jobs whose end is older than the retention that applies to them (``ASSAY_RETENTION_DAYS``,
``assay.common.retention``: per tenant and analyzer), oldest first, a batch at a time, and deletes
each tenant's batch like DeleteJob (``JobDeletion.delete_jobs``: row with inline input and result,
artifacts no kept job references, events, outbox rows) with a short-lived token of the tenant minted
for ``system:retention`` (ingest deletes the artifacts with it). A job another kept job reads
(``inputs.jobs``) waits until that reader is deleted. Jobs marked for deletion by an interrupted
deletion are completed too, whatever their age. The audit log gets a ``delete`` row per job (actor
``system:retention``) and a ``retention_sweep`` row per tenant and round with the counts.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Callable

import prometheus_client
from opentelemetry import trace
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from assay.common.db import system_transaction, tenant_transaction
from assay.common.periodic import run_every, session_lock
from assay.common.retention import SYSTEM_ACTOR, Retention, retention_seconds_sql
from assay.jobs.audit_record import AuditEntry, record
from assay.jobs.deletion import JobDeletion

logger = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

RETENTION_LOCK_KEY = 0x4153_5341_5932  # "ASSAY2": one retention sweep at a time per database
MAX_BATCHES = 1000
"""Batches per round at most (the rest waits for the next round)."""

SWEEPS = prometheus_client.Counter(
    "assay_retention_sweeps_total", "Retention sweep rounds, by outcome (swept, skipped: another replica "
    "holds the lock, failed).", ["outcome"])
SWEEP_SECONDS = prometheus_client.Histogram(
    "assay_retention_sweep_seconds", "Duration of a retention sweep round that ran.",
    buckets=(0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900))

TokenMinter = Callable[[str], str]
"""A tenant's short-lived token for the sweep's calls to ingest."""


class RetentionSweep:
    """Deletes expired jobs, a batch per tenant at a time, while this replica holds the sweep lock."""

    def __init__(self, engine: AsyncEngine, deletion: JobDeletion, retention: Retention, mint: TokenMinter,
                 batch: int = 200) -> None:
        self._engine = engine
        self._deletion = deletion
        self._retention = retention
        self._mint = mint
        self._batch = batch

    async def sweep_once(self) -> int | None:
        """One round: how many jobs were deleted, or None when another replica holds the lock."""
        async with session_lock(self._engine, RETENTION_LOCK_KEY) as held:
            if not held:
                SWEEPS.labels(outcome="skipped").inc()
                return None
            with tracer.start_as_current_span("retention sweep") as span, SWEEP_SECONDS.time():
                deleted = await self._sweep()
                span.set_attribute("assay.retention.deleted", deleted)
            SWEEPS.labels(outcome="swept").inc()
            return deleted

    async def _sweep(self) -> int:
        deleted: dict[str, int] = defaultdict(int)
        failed: dict[str, str] = {}
        for _ in range(MAX_BATCHES):
            batch = await self._expired()
            by_tenant: dict[str, list[uuid.UUID]] = defaultdict(list)
            for job_id, tenant in batch:
                if tenant not in failed:
                    by_tenant[tenant].append(job_id)
            if not by_tenant:
                break
            for tenant, job_ids in by_tenant.items():
                try:
                    deleted[tenant] += await self._deletion.delete_jobs(tenant, job_ids, self._mint(tenant),
                                                                        reason="retention", actor=SYSTEM_ACTOR)
                except Exception as error:  # this tenant waits for the next round; the others go on
                    logger.exception("retention sweep of a tenant failed", extra={"tenant": tenant})
                    failed[tenant] = type(error).__name__
            if len(batch) < self._batch:
                break
        for tenant in deleted.keys() | failed.keys():
            async with tenant_transaction(self._engine, tenant) as conn:
                await record(conn, AuditEntry(
                    tenant=tenant, action="retention_sweep", resource=f"tenants/{tenant}/jobs", actor=SYSTEM_ACTOR,
                    outcome=failed.get(tenant, "OK"),
                    details={"jobs_deleted": deleted.get(tenant, 0),
                             "retention_seconds": self._retention.of(tenant) or 0}))
        return sum(deleted.values())

    async def _expired(self) -> list[tuple[uuid.UUID, str]]:
        async with system_transaction(self._engine) as conn:
            rows = (await conn.execute(_EXPIRED, {**self._retention.rules(), "limit": self._batch,
                                                  "shortest": self._retention.shortest()})).all()
        return [(row.id, row.tenant_id) for row in rows]


async def run_retention_sweep(sweep: RetentionSweep, interval: float) -> None:
    """A round every ``interval`` seconds until cancelled."""
    await run_every(interval, sweep.sweep_once, "retention sweep", SWEEPS.labels(outcome="failed").inc)


_EXPIRED = text(f"""
    SELECT j.id, j.tenant_id FROM jobs.jobs j
    WHERE j.state IN ('SUCCEEDED', 'FAILED', 'CANCELLED')
      AND (j.deleting_at IS NOT NULL
           OR (j.ended_at < now() - make_interval(secs => :shortest)
               AND j.ended_at < now() - make_interval(secs => {retention_seconds_sql("j.tenant_id", "j.analyzer")})))
      AND NOT EXISTS (SELECT 1 FROM jobs.dependencies d WHERE d.depends_on = j.id)
    ORDER BY j.ended_at LIMIT :limit
""")
"""Finished jobs past their retention (or marked by an interrupted deletion), that no job reads."""
