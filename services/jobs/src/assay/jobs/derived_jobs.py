"""Which jobs derive from a file: what an erasure request (``ReleaseFile`` with ``cascade``) deletes.

A job derives from a file when it names the file as an input, reads a derived job's results
(``inputs.jobs``), was answered from a derived job's result (``cached_from``), or names a derived
job's artifact as an input; the closure is found level by level, each level a few indexed queries.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

MAX_DERIVED = 100_000
"""A bound on the closure (a tenant's whole history at most); past it the walk stops growing."""


async def derived_jobs(conn: AsyncConnection, file_id: str) -> list[uuid.UUID]:
    """Every job of the transaction's tenant derived from ``file_id``, in discovery order."""
    found: dict[uuid.UUID, None] = {}
    frontier = list((await conn.execute(_NAMING_FILES, {"files": [file_id]})).scalars())
    while frontier and len(found) < MAX_DERIVED:
        for job_id in frontier:
            found[job_id] = None
        frontier = [job_id for job_id in await _next_level(conn, frontier) if job_id not in found]
    return list(found)


async def _next_level(conn: AsyncConnection, level: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    ids = list(level)
    found: list[uuid.UUID] = list((await conn.execute(_READERS, {"ids": ids})).scalars())
    artifacts = list((await conn.execute(_ARTIFACTS, {"ids": ids})).scalars())
    if artifacts:
        found += (await conn.execute(_NAMING_FILES, {"files": artifacts})).scalars()
    return list(dict.fromkeys(found))


_NAMING_FILES = text("""
    SELECT j.id FROM unnest(CAST(:files AS text[])) f
    JOIN jobs.jobs j ON j.inputs -> 'file_ids' @> jsonb_build_array(f)
""")
_READERS = text("""
    SELECT job_id FROM jobs.dependencies WHERE depends_on = ANY(:ids)
    UNION SELECT id FROM jobs.jobs WHERE cached_from = ANY(:ids)
""")
_ARTIFACTS = text("""
    SELECT DISTINCT a ->> 'file_id' FROM jobs.jobs j, jsonb_array_elements(j.artifacts) a WHERE j.id = ANY(:ids)
""")
