"""Data access for the ``ingest`` schema; every query runs in a tenant-scoped transaction."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from assay.common import paging
from assay.common.db import tenant_transaction
from assay.common.errors import NotFound
from assay.common.storage import object_key
from assay.common.tenant_values import PerTenant
from assay.ingest.codec import file_from_row
from assay.ingest.quota import bytes_stored, enforce_bytes_stored
from assay.ingest.tables import files, submissions
from assay.v1 import ingest_service_pb2


@dataclass(frozen=True)
class NewFile:
    """A validated, stored object about to be recorded."""

    id: uuid.UUID
    tenant: str
    created_by: str
    display_name: str
    media_type: str
    size_bytes: int
    sha256: str
    scan_status: str
    job_id: uuid.UUID | None = None

    @property
    def object_key(self) -> str:
        return object_key(self.tenant, self.id)


@dataclass(frozen=True)
class Submission:
    """What a SubmitDocument request_id is bound to."""

    file_id: uuid.UUID
    analyzer: str
    job_id: uuid.UUID | None
    claim_id: uuid.UUID | None
    """The claim this call holds when ``claimed``: every later write is fenced by it."""
    claimed: bool
    """True when this call holds the claim (it created it, or took over an expired one) and so must
    perform the submission."""
    taken_over: bool = False
    """True when this call took over a claim whose lease had expired."""
    stored: bool = False
    """True when a taken-over claim's file was already stored: only its job remains to be created."""
    request_digest: str = ""
    """The sha256 of the header the claim was made with (request_id aside); "" on claims older than it."""
    live: bool = True
    """False when the claim's lease has expired (its holder stopped renewing it)."""


def _submission(row: Any) -> Submission:
    return Submission(file_id=row["file_id"], analyzer=row["analyzer"], job_id=row["job_id"], claim_id=None,
                      claimed=False, request_digest=row["request_digest"], live=not row["expired"])


def not_found(file_id: uuid.UUID | str) -> NotFound:
    return NotFound("FILE_NOT_FOUND", f"file {file_id} does not exist")


class FileStore:
    """Reads and writes ``ingest.files`` and ``ingest.submissions``."""

    def __init__(self, engine: AsyncEngine, bytes_stored: PerTenant | None = None) -> None:
        self._engine = engine
        self._bytes_stored = bytes_stored if bytes_stored is not None else PerTenant()

    async def insert(self, new: NewFile) -> ingest_service_pb2.File:
        async with tenant_transaction(self._engine, new.tenant) as conn:
            row = (await conn.execute(insert(files).values(
                id=new.id, tenant_id=new.tenant, created_by=new.created_by, object_key=new.object_key,
                display_name=new.display_name, media_type=new.media_type, size_bytes=new.size_bytes,
                sha256=new.sha256, scan_status=new.scan_status, job_id=new.job_id, created_at=func.now(),
            ).returning(*files.c))).mappings().one()
            limit = self._bytes_stored.of(new.tenant)
            if limit is not None and new.job_id is None:  # an upload; artifacts count but are never refused
                await enforce_bytes_stored(conn, new.tenant, limit, new.size_bytes)
        return file_from_row(row)

    async def get(self, tenant: str, file_id: uuid.UUID) -> ingest_service_pb2.File:
        return file_from_row(await self.get_row(tenant, file_id))

    async def get_row(self, tenant: str, file_id: uuid.UUID) -> dict[str, Any]:
        async with tenant_transaction(self._engine, tenant) as conn:
            row = (await conn.execute(
                select(files).where(files.c.tenant_id == tenant, files.c.id == file_id)
            )).mappings().one_or_none()
        if row is None:
            raise not_found(file_id)
        return dict(row)

    async def get_many(self, tenant: str, ids: Sequence[uuid.UUID]) -> list[dict[str, Any]]:
        """Rows in the order of ``ids``; NOT_FOUND naming the first id that does not exist."""
        async with tenant_transaction(self._engine, tenant) as conn:
            rows = (await conn.execute(
                select(files).where(files.c.tenant_id == tenant, files.c.id.in_(set(ids)))
            )).mappings().all()
        by_id = {row["id"]: dict(row) for row in rows}
        for file_id in ids:
            if file_id not in by_id:
                raise not_found(file_id)
        return [by_id[file_id] for file_id in ids]

    async def list(self, tenant: str, size: int, token: str) -> tuple[list[ingest_service_pb2.File], str]:
        """A page of files, newest first, and the next page's token ("" at the end)."""
        cursor = paging.decode(token, "files")
        stmt = select(files).where(files.c.tenant_id == tenant)
        if cursor is not None:
            stmt = stmt.where(paging.after(files.c.created_at, files.c.id, cursor))
        stmt = stmt.order_by(files.c.created_at.desc(), files.c.id.desc()).limit(size + 1)
        async with tenant_transaction(self._engine, tenant) as conn:
            rows = (await conn.execute(stmt)).mappings().all()
        page, more = rows[:size], len(rows) > size
        next_token = ""
        if more:
            last = page[-1]
            next_token = paging.encode(paging.Cursor(last["created_at"], last["id"]), "files")
        return [file_from_row(r) for r in page], next_token

    async def delete(
        self, tenant: str, file_id: uuid.UUID, remove_object: Callable[[str], Awaitable[None]],
        *, with_submissions: bool = False,
    ) -> None:
        """Delete the row and, before the deletion commits, its object; NOT_FOUND when absent. With
        ``with_submissions`` (an erasure) the SubmitDocument claims that named the file go too."""
        async with tenant_transaction(self._engine, tenant) as conn:
            if with_submissions:
                await conn.execute(delete(submissions).where(
                    submissions.c.tenant_id == tenant, submissions.c.file_id == file_id))
            row = (await conn.execute(
                delete(files).where(files.c.tenant_id == tenant, files.c.id == file_id).returning(files.c.object_key)
            )).one_or_none()
            if row is None:
                raise not_found(file_id)
            await remove_object(row.object_key)

    async def claim_submission(
        self, tenant: str, request_id: str, analyzer: str, lease: timedelta, digest: str = "",
    ) -> Submission:
        """Bind ``request_id`` to a new file id under a lease, or return what it is already bound to.

        A claim that never recorded a job and whose lease has expired (its upload stopped, or the
        process holding it died) is taken over: a new claim id and file id replace it.
        """
        file_id, claim_id = uuid.uuid4(), uuid.uuid4()
        claim: dict[str, Any] = {"file_id": file_id, "claim_id": claim_id, "lease_expires_at": func.now() + lease,
                                 "request_digest": digest}
        async with tenant_transaction(self._engine, tenant) as conn:
            inserted = (await conn.execute(
                pg_insert(submissions).values(
                    tenant_id=tenant, request_id=request_id, analyzer=analyzer, created_at=func.now(),
                    **claim,
                ).on_conflict_do_nothing().returning(submissions.c.file_id)
            )).one_or_none()
            if inserted is not None:
                return Submission(file_id=file_id, analyzer=analyzer, job_id=None, claim_id=claim_id, claimed=True)
            row = (await conn.execute(
                select(submissions, (submissions.c.lease_expires_at < func.now()).label("expired")).where(
                    submissions.c.tenant_id == tenant, submissions.c.request_id == request_id,
                ).with_for_update()
            )).mappings().one()
            same_request = row["request_digest"] == digest if row["request_digest"] else row["analyzer"] == analyzer
            if row["job_id"] is None and row["expired"] and same_request:
                # Taken over: the file the old holder stored (if it got that far) is kept and used.
                stored = (await conn.execute(select(files.c.id).where(
                    files.c.tenant_id == tenant, files.c.id == row["file_id"]))).one_or_none() is not None
                if stored:
                    claim["file_id"] = file_id = row["file_id"]
                await conn.execute(update(submissions).where(
                    submissions.c.tenant_id == tenant, submissions.c.request_id == request_id,
                ).values(**claim))
                return Submission(file_id=file_id, analyzer=analyzer, job_id=None, claim_id=claim_id, claimed=True,
                                  taken_over=True, stored=stored)
        return _submission(row)

    async def find_submission(self, tenant: str, request_id: str) -> Submission | None:
        """What ``request_id`` is bound to now (None once its claim was released)."""
        async with tenant_transaction(self._engine, tenant) as conn:
            row = (await conn.execute(
                select(submissions, (submissions.c.lease_expires_at < func.now()).label("expired")).where(
                    submissions.c.tenant_id == tenant, submissions.c.request_id == request_id)
            )).mappings().one_or_none()
        return None if row is None else _submission(row)

    async def renew_claim(self, tenant: str, request_id: str, claim_id: uuid.UUID, lease: timedelta) -> bool:
        """Extend a claim's lease; False when the claim is no longer ours (taken over, or done)."""
        async with tenant_transaction(self._engine, tenant) as conn:
            renewed = (await conn.execute(update(submissions).where(
                submissions.c.tenant_id == tenant, submissions.c.request_id == request_id,
                submissions.c.claim_id == claim_id, submissions.c.job_id.is_(None),
            ).values(lease_expires_at=func.now() + lease).returning(submissions.c.claim_id))).one_or_none()
        return renewed is not None

    async def record_job(self, tenant: str, request_id: str, claim_id: uuid.UUID, job_id: uuid.UUID) -> None:
        async with tenant_transaction(self._engine, tenant) as conn:
            await conn.execute(update(submissions).where(
                submissions.c.tenant_id == tenant, submissions.c.request_id == request_id,
                submissions.c.claim_id == claim_id,
            ).values(job_id=job_id))

    async def discard_lost_claim_file(
        self, tenant: str, request_id: str, file_id: uuid.UUID, remove_object: Callable[[str], Awaitable[None]],
    ) -> None:
        """Delete the file a claim that was taken over stored, unless the new holder adopted it."""
        async with tenant_transaction(self._engine, tenant) as conn:
            adopted = (await conn.execute(select(submissions.c.file_id).where(
                submissions.c.tenant_id == tenant, submissions.c.request_id == request_id,
                submissions.c.file_id == file_id,
            ).with_for_update())).one_or_none()
            if adopted is not None:
                return
            row = (await conn.execute(
                delete(files).where(files.c.tenant_id == tenant, files.c.id == file_id).returning(files.c.object_key)
            )).one_or_none()
            if row is not None:
                await remove_object(row.object_key)

    async def release_submission(self, tenant: str, request_id: str, claim_id: uuid.UUID) -> None:
        """Give up our claim on a submission that failed, so that a retry goes ahead at once.

        A claim whose file is stored is expired, not forgotten: the failure may have been CreateJob's
        lost answer (jobs committed the job, then died), and a retry that takes the claim over adopts
        the file, so it sends jobs the same request and gets that job back. A fresh file would make
        the request differ and jobs refuse the request_id (REQUEST_ID_REUSED) for ever."""
        mine = (submissions.c.tenant_id == tenant, submissions.c.request_id == request_id,
                submissions.c.claim_id == claim_id, submissions.c.job_id.is_(None))
        file_stored = select(files.c.id).where(
            files.c.tenant_id == tenant, files.c.id == submissions.c.file_id).exists()
        async with tenant_transaction(self._engine, tenant) as conn:
            expired = (await conn.execute(update(submissions).where(*mine, file_stored).values(
                lease_expires_at=func.now() - timedelta(seconds=1)).returning(submissions.c.claim_id))).one_or_none()
            if expired is None:
                await conn.execute(delete(submissions).where(*mine))

    async def storage_usage(self, tenant: str) -> ingest_service_pb2.GetStorageUsageResponse:
        """The tenant's stored bytes and files, and its bytes-stored quota (0: none)."""
        async with tenant_transaction(self._engine, tenant) as conn:
            used, count = await bytes_stored(conn, tenant)
        return ingest_service_pb2.GetStorageUsageResponse(
            bytes_stored=used, files=count, limit=self._bytes_stored.of(tenant) or 0)

    async def exists(self, tenant: str, file_id: uuid.UUID) -> bool:
        async with tenant_transaction(self._engine, tenant) as conn:
            found = (await conn.execute(
                select(files.c.id).where(files.c.tenant_id == tenant, files.c.id == file_id)
            )).one_or_none()
        return found is not None
