"""Job dependencies (``inputs.jobs``): recording them, and settling the jobs that wait for them.

A job with dependencies is inserted WAITING. It is settled — QUEUED with its work message, or FAILED
with ``DEPENDENCY_FAILED`` naming the dependency that ended FAILED or CANCELLED — inside the
transaction that moves its last dependency to a terminal state, and once at creation, inside the
creating transaction, for dependencies that had already finished. Two locks make this race-free
under READ COMMITTED:

- a transaction settling a waiting job first locks its row (``FOR UPDATE``) and then decides in a
  new statement, whose snapshot sees every dependency transition committed before the lock was
  granted: of two dependencies finishing at once, the second to take the lock sees the first;
- CreateJob locks its dependencies' rows ``FOR SHARE`` before deciding, so a dependency's terminal
  UPDATE either committed before (the creating transaction sees it) or waits until the new waiting
  job is committed (the dependency's transaction then finds and settles it).

Only a WAITING row is settled (a conditional UPDATE), so no job is released twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import RowMapping, text
from sqlalchemy.ext.asyncio import AsyncConnection

from assay.common.errors import FieldViolation, invalid_fields

MAX_DEPENDENCIES = 32
"""At most this many jobs in one job's ``inputs.jobs``."""


async def lock_dependencies(
    conn: AsyncConnection, tenant: str, field: str, job_ids: Sequence[uuid.UUID],
) -> None:
    """Lock the named jobs ``FOR SHARE`` (their terminal transitions wait for this transaction);
    INVALID_ARGUMENT naming ``<field>[i]`` for every one that does not exist for ``tenant`` (another
    tenant's job is indistinguishable from a missing one)."""
    found = set((await conn.execute(_LOCK_DEPENDENCIES, {
        "tenant": tenant, "ids": list(job_ids)})).scalars().all())
    missing = [FieldViolation(f"{field}[{index}]", f"job {job_id} not found")
               for index, job_id in enumerate(job_ids) if job_id not in found]
    if missing:
        raise invalid_fields(missing, reason="DEPENDENCY_NOT_FOUND")


async def lock_dependencies_of(conn: AsyncConnection, job_id: uuid.UUID) -> None:
    """Lock the dependencies of ``job_id`` ``FOR SHARE`` (RetryJob, before putting it back WAITING)."""
    await conn.execute(_LOCK_DEPENDENCIES_OF, {"id": job_id})


async def record_dependencies(
    conn: AsyncConnection, tenant: str, job_id: uuid.UUID, depends_on: Sequence[uuid.UUID],
) -> None:
    await conn.execute(_INSERT_DEPENDENCIES, [
        {"job": job_id, "dep": dep, "tenant": tenant, "position": position}
        for position, dep in enumerate(depends_on)])


async def load_dependencies(conn: AsyncConnection, job_id: uuid.UUID) -> Sequence[RowMapping]:
    """The rows of the jobs ``job_id`` depends on, in ``inputs.jobs`` order (in the caller's tenant scope)."""
    return (await conn.execute(_LOAD_DEPENDENCIES, {"id": job_id})).mappings().all()


async def dependency_ends(conn: AsyncConnection, job_id: uuid.UUID) -> Sequence[RowMapping]:
    """``id`` and ``end_traceparent`` (the span that ended it) of each dependency of ``job_id`` that has one."""
    return (await conn.execute(_DEPENDENCY_ENDS, {"id": job_id})).mappings().all()


async def lock_waiting_dependents(conn: AsyncConnection, finished: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    """The WAITING jobs that wait for any of ``finished``, locked in id order (no deadlock between
    two transactions locking the same set)."""
    result = await conn.execute(_LOCK_WAITING_DEPENDENTS, {"ids": list(finished)})
    return list(result.scalars().all())


async def settle_waiting(conn: AsyncConnection, waiting: Sequence[uuid.UUID]) -> Sequence[RowMapping]:
    """Move each of the (locked) ``waiting`` jobs whose dependencies have all SUCCEEDED to QUEUED,
    and each with a FAILED or CANCELLED dependency to FAILED; the others stay WAITING. Returns the
    rows that changed."""
    result = await conn.execute(_SETTLE, {"ids": list(waiting)})
    return result.mappings().all()


_LOCK_DEPENDENCIES = text("""
    SELECT id FROM jobs.jobs WHERE tenant_id = :tenant AND id = ANY(:ids) ORDER BY id FOR SHARE
""")

_LOCK_DEPENDENCIES_OF = text("""
    SELECT id FROM jobs.jobs
    WHERE id IN (SELECT depends_on FROM jobs.dependencies WHERE job_id = :id) ORDER BY id FOR SHARE
""")

_INSERT_DEPENDENCIES = text("""
    INSERT INTO jobs.dependencies (job_id, depends_on, tenant_id, position)
    VALUES (:job, :dep, :tenant, :position)
""")

_LOAD_DEPENDENCIES = text("""
    SELECT j.* FROM jobs.dependencies d JOIN jobs.jobs j ON j.id = d.depends_on
    WHERE d.job_id = :id ORDER BY d.position
""")

_DEPENDENCY_ENDS = text("""
    SELECT j.id, j.end_traceparent FROM jobs.dependencies d JOIN jobs.jobs j ON j.id = d.depends_on
    WHERE d.job_id = :id AND j.end_traceparent IS NOT NULL ORDER BY d.position
""")

_LOCK_WAITING_DEPENDENTS = text("""
    SELECT j.id FROM jobs.jobs j
    WHERE j.state = 'WAITING'
      AND j.id IN (SELECT job_id FROM jobs.dependencies WHERE depends_on = ANY(:ids))
    ORDER BY j.id FOR UPDATE
""")

_SETTLE = text("""
    WITH verdict AS (
        SELECT d.job_id,
               bool_and(dep.state = 'SUCCEEDED') AS ready,
               (array_agg(d.depends_on::text || ' ended ' || lower(dep.state) ORDER BY d.position)
                   FILTER (WHERE dep.state IN ('FAILED', 'CANCELLED')))[1] AS failed
        FROM jobs.dependencies d JOIN jobs.jobs dep ON dep.id = d.depends_on
        WHERE d.job_id = ANY(:ids)
        GROUP BY d.job_id
    )
    UPDATE jobs.jobs j SET
        state = CASE WHEN v.failed IS NULL THEN 'QUEUED' ELSE 'FAILED' END,
        error = CASE WHEN v.failed IS NULL THEN NULL
                     ELSE jsonb_build_object('code', 'DEPENDENCY_FAILED', 'retryable', false,
                                            'message', 'dependency ' || v.failed) END,
        ended_at = CASE WHEN v.failed IS NULL THEN NULL ELSE now() END,
        updated_at = now(), event_seq = j.event_seq + 1
    FROM verdict v
    WHERE j.id = v.job_id AND j.state = 'WAITING' AND (v.ready OR v.failed IS NOT NULL)
    RETURNING j.*
""")
