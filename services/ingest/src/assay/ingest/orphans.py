"""The orphaned-object sweep: objects in the bucket that no ``ingest.files`` row names are deleted.

An object is stored before its row commits: an upload before its file row, a worker's artifact
before RegisterArtifact. A crash in between (ingest SIGKILLed mid-submit, a worker whose attempt
lost its lease, a database outage at the commit) leaves an object nothing can reach or delete.
Every ``ASSAY_ORPHAN_SWEEP_SECONDS`` ingest lists the bucket under ``tenants/``, keeps the keys in
the file layout (``tenants/<tenant>/files/<uuid>``) last modified more than
``ASSAY_ORPHAN_GRACE_SECONDS`` ago, and deletes those whose key no file row holds (one cross-tenant
query per batch). The grace keeps registrations still in flight safe; a file deleted through
DeleteFile has already lost its object.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from opentelemetry import trace
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from assay.common.db import system_transaction
from assay.ingest.metrics import ORPHANS_SWEPT
from assay.ingest.objects import ObjectStore
from assay.ingest.tables import files

logger = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

PREFIX = "tenants/"
FILE_KEY = re.compile(r"tenants/[^/]+/files/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
"""The only layout of file objects (``assay.common.storage.object_key``); nothing else is swept."""
BATCH = 500


async def _unregistered(engine: AsyncEngine, keys: Sequence[str]) -> list[str]:
    async with system_transaction(engine) as conn:
        known = set((await conn.execute(select(files.c.object_key).where(files.c.object_key.in_(keys)))).scalars())
    return [key for key in keys if key not in known]


async def sweep_orphans(engine: AsyncEngine, objects: ObjectStore, grace_seconds: float) -> int:
    """Delete the objects older than the grace that no file row names; returns how many."""
    with tracer.start_as_current_span("ingest.sweep_orphans") as span:
        cutoff = datetime.now(UTC) - timedelta(seconds=grace_seconds)
        candidates = [key for key, modified in await objects.list_objects(PREFIX)
                      if modified < cutoff and FILE_KEY.fullmatch(key)]
        removed = 0
        for start in range(0, len(candidates), BATCH):
            for key in await _unregistered(engine, candidates[start:start + BATCH]):
                await objects.remove(key)
                removed += 1
        span.set_attribute("assay.objects_checked", len(candidates))
        span.set_attribute("assay.objects_removed", removed)
        ORPHANS_SWEPT.inc(removed)
        if removed:
            logger.warning("deleted orphaned objects", extra={"count": removed, "checked": len(candidates)})
        return removed


async def run_orphan_sweeper(engine: AsyncEngine, objects: ObjectStore, interval: float, grace: float) -> None:
    """Sweep every ``interval`` seconds until cancelled; a failed pass is logged and retried next time."""
    while True:
        await asyncio.sleep(interval)
        try:
            await sweep_orphans(engine, objects, grace)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("orphaned-object sweep failed")
