"""Deleting a file versus creating a job on it, decided atomically in the jobs database.

Ingest owns files and jobs owns jobs, so neither can see both facts in one transaction. The fact
that decides the race — "a job names this file" versus "this file is going away" — is therefore
kept on one side, the jobs side: before deleting a file, ingest asks jobs to *release* it
(``ReleaseFile``). Releasing and creating a job on the file both take the same transaction-scoped
advisory lock of that file, so they are serialised: a release that finds a queued or running job
naming the file is refused (FILE_IN_USE), and a create that finds the file released is refused
(FILE_NOT_FOUND); so is an admin's RetryJob of a failed job that names it (INPUT_DELETED). A
release is permanent (file ids are never reused); if ingest dies between the release and the
deletion, the file stays unusable by new jobs and a retried DELETE finishes it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from opentelemetry import trace
from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from assay.common.db import tenant_transaction
from assay.common.errors import FailedPrecondition, FieldViolation, InvalidArgument
from assay.common.job_states import ACTIVE, STATE_NAMES
from assay.jobs.audit_record import AuditEntry, record
from assay.jobs.tables import jobs, released_files

_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")


async def lock_files(conn: AsyncConnection, tenant: str, file_ids: Sequence[str]) -> None:
    """Take each file's lock until the transaction ends (in a fixed order, so never a deadlock)."""
    for file_id in sorted(set(file_ids)):
        await conn.execute(_LOCK, {"key": f"assay.file:{tenant}:{file_id}"})


async def refuse_released(
    conn: AsyncConnection, tenant: str, file_ids: Sequence[str], field: str = "inputs.file_ids",
) -> None:
    """INVALID_ARGUMENT FILE_NOT_FOUND naming (``field[i]``) every input file already released for
    deletion (call with the files locked)."""
    refusal = released_refusal(file_ids, await released_among(conn, tenant, file_ids), field)
    if refusal is not None:
        raise refusal


def released_refusal(
    file_ids: Sequence[str], released: set[str], field: str = "inputs.file_ids",
) -> InvalidArgument | None:
    """INVALID_ARGUMENT FILE_NOT_FOUND naming (``field[i]``) every one of ``file_ids`` in ``released``."""
    violations = [FieldViolation(f"{field}[{index}]", f"file {file_id} does not exist (deleted)")
                  for index, file_id in enumerate(file_ids) if file_id in released]
    if violations:
        return InvalidArgument("FILE_NOT_FOUND", f"{field}: a named file was deleted", violations=violations)
    return None


async def refuse_retry_of_released(
    conn: AsyncConnection, tenant: str, job_id: uuid.UUID, file_ids: Sequence[str],
) -> None:
    """FAILED_PRECONDITION INPUT_DELETED when a job to be retried names a file released for deletion
    (call with the files locked): the attempt could only fail with INPUT_NOT_FOUND."""
    released = await released_among(conn, tenant, file_ids)
    if released:
        names = ", ".join(sorted(released))
        raise FailedPrecondition(
            "INPUT_DELETED", f"job {job_id} cannot be retried: its input file {names} was deleted; "
            "upload the document again and create a new job")


async def released_among(conn: AsyncConnection, tenant: str, file_ids: Sequence[str]) -> set[str]:
    """Which of ``file_ids`` are released for deletion (call with the files locked)."""
    if not file_ids:
        return set()
    rows = await conn.execute(select(released_files.c.file_id).where(
        released_files.c.tenant_id == tenant,
        released_files.c.file_id.in_([uuid.UUID(f) for f in file_ids]),
    ))
    return {str(file_id) for file_id in rows.scalars()}


class FileReleases:
    """Releases files for deletion once no queued or running job names them."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def release(self, tenant: str, file_id: uuid.UUID) -> None:
        """Record the release; FAILED_PRECONDITION FILE_IN_USE while an active job names the file."""
        async with tenant_transaction(self._engine, tenant) as conn:
            await lock_files(conn, tenant, [str(file_id)])
            in_use = (await conn.execute(select(jobs.c.id).where(
                jobs.c.tenant_id == tenant, jobs.c.inputs["file_ids"].contains([str(file_id)]),
                jobs.c.state.in_([STATE_NAMES[state] for state in ACTIVE]),
            ).limit(1))).one_or_none()
            trace.get_current_span().set_attribute("assay.file.in_use", in_use is not None)
            if in_use is not None:
                raise FailedPrecondition(
                    "FILE_IN_USE", f"file {file_id} is an input of job {in_use.id}, which has not finished; "
                    "cancel the job or wait for it to end", metadata={"job_id": str(in_use.id)})
            await conn.execute(pg_insert(released_files).values(
                tenant_id=tenant, file_id=file_id, released_at=func.now(),
            ).on_conflict_do_nothing())

    async def record_deletion(self, tenant: str, file_id: uuid.UUID, *, cascade: bool, jobs_deleted: int) -> None:
        """The audit log's record of a file deletion (ingest deletes the file once this returns)."""
        async with tenant_transaction(self._engine, tenant) as conn:
            await record(conn, AuditEntry(tenant=tenant, action="delete_file", resource=f"files/{file_id}",
                                          details={"cascade": cascade, "jobs_deleted": jobs_deleted}))
