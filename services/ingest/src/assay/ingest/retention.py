"""The retention sweep of uploaded files: a tenant's uploads older than its retention are deleted.

Every ``ASSAY_RETENTION_SWEEP_SECONDS``, the ingest replica holding PostgreSQL's session advisory
lock ``RETENTION_LOCK_KEY`` deletes the uploads (files no job produced; artifacts go with their jobs,
in jobs' sweep) whose upload is older than the tenant's retention (``ASSAY_RETENTION_DAYS``, its entry
without an analyzer), oldest first, through DeleteFile's steps (``FileDeletion``) with a short-lived
token of the tenant minted for ``system:retention``: jobs releases the file (and writes the audit
log's ``delete_file`` row), analysis forgets it, the object and the row go. A file a job that has not
finished still names is left for a later round.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

import prometheus_client
from opentelemetry import trace
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from assay.common.db import system_transaction
from assay.common.errors import AssayError, NotFound
from assay.common.periodic import run_every, session_lock
from assay.common.retention import Retention, retention_seconds_sql
from assay.ingest.file_deletion import FileDeletion

logger = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

RETENTION_LOCK_KEY = 0x4153_5341_5933  # "ASSAY3": one file retention sweep at a time per database
MAX_FILES = 10_000
"""Files deleted per round at most (the rest waits for the next round)."""

FILES_EXPIRED = prometheus_client.Counter(
    "assay_ingest_files_expired_total", "Uploaded files deleted by the retention sweep, by outcome (deleted, "
    "kept: a job that has not finished names it, failed).", ["outcome"])

TokenMinter = Callable[[str], str]


class FileRetentionSweep:
    """Deletes expired uploads while this replica holds the sweep lock."""

    def __init__(self, engine: AsyncEngine, deletion: FileDeletion, retention: Retention, mint: TokenMinter,
                 batch: int = 200) -> None:
        self._engine = engine
        self._deletion = deletion
        self._retention = retention
        self._mint = mint
        self._batch = batch

    async def sweep_once(self) -> int | None:
        """One round: how many files were deleted, or None when another replica holds the lock."""
        async with session_lock(self._engine, RETENTION_LOCK_KEY) as held:
            if not held:
                return None
            with tracer.start_as_current_span("ingest.retention_sweep") as span:
                deleted = await self._sweep()
                span.set_attribute("assay.retention.deleted", deleted)
            return deleted

    async def _sweep(self) -> int:
        deleted, skipped = 0, set[uuid.UUID]()
        while deleted + len(skipped) < MAX_FILES:
            batch = [(file_id, tenant) for file_id, tenant in await self._expired(len(skipped))
                     if file_id not in skipped]
            if not batch:
                break
            for file_id, tenant in batch:
                try:
                    await self._deletion.delete(tenant, file_id, self._mint(tenant))
                except NotFound:
                    continue  # deleted meanwhile
                except AssayError as refusal:  # FILE_IN_USE, or a dependency unavailable: a later round
                    skipped.add(file_id)
                    FILES_EXPIRED.labels(outcome="kept" if refusal.reason == "FILE_IN_USE" else "failed").inc()
                    continue
                deleted += 1
                FILES_EXPIRED.labels(outcome="deleted").inc()
        return deleted

    async def _expired(self, skip: int) -> list[tuple[uuid.UUID, str]]:
        async with system_transaction(self._engine) as conn:
            rows = (await conn.execute(_EXPIRED, {**self._retention.rules(), "limit": self._batch + skip,
                                                  "shortest": self._retention.shortest()})).all()
        return [(row.id, row.tenant_id) for row in rows]


async def run_file_retention_sweep(sweep: FileRetentionSweep, interval: float) -> None:
    """A round every ``interval`` seconds until cancelled."""
    await run_every(interval, sweep.sweep_once, "file retention sweep")


_EXPIRED = text(f"""
    SELECT f.id, f.tenant_id FROM ingest.files f
    WHERE f.job_id IS NULL AND f.created_at < now() - make_interval(secs => :shortest)
      AND f.created_at < now() - make_interval(secs => {retention_seconds_sql("f.tenant_id")})
    ORDER BY f.created_at LIMIT :limit
""")
"""Uploads (not artifacts) older than their tenant's retention."""
