"""The ``index`` schema's reads and the collection and forget writes AskQuestion's service makes,
each in a transaction scoped to the caller's tenant (row-level security backs the WHERE clauses)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from opentelemetry.instrumentation.utils import suppress_instrumentation
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from assay.analysis.analyzers.index import search
from assay.analysis.analyzers.index.search import DocumentSelection, SearchOutcome
from assay.common.db import tenant_transaction
from assay.common.errors import AlreadyExists, NotFound


@dataclass(frozen=True)
class CollectionRow:
    id: uuid.UUID
    name: str
    description: str
    created_at: datetime
    document_count: int
    chunk_count: int


_COLLECTIONS = """
    SELECT c.id, c.name, c.description, c.created_at,
           count(d.file_id)::int AS document_count, coalesce(sum(d.chunk_count), 0)::bigint AS chunk_count
    FROM "index".collections c LEFT JOIN "index".documents d ON d.collection_id = c.id
"""

def _collection(row: Any) -> CollectionRow:
    return CollectionRow(row.id, row.name, row.description, row.created_at, row.document_count, row.chunk_count)


def collection_not_found(collection_id: uuid.UUID | str) -> NotFound:
    return NotFound("COLLECTION_NOT_FOUND", f"collection {collection_id} not found")


def pooled_connections(engine: AsyncEngine) -> int:
    """How many connections the engine's pool keeps open (its overflow is opened and closed again)."""
    size = getattr(engine.pool, "size", None)
    return max(1, int(size())) if callable(size) else 10


class IndexStore:
    def __init__(self, engine: AsyncEngine, ef_search: int = 64, searches: int | None = None) -> None:
        """``searches``: questions searched at once (default: the pool's kept connections). More
        would take the pool's overflow, whose connections are opened for one question and closed
        after it: with 20 closed-loop askers over a pool of 10 + 10 that cost PostgreSQL ~6 ms of CPU
        per question at 100k chunks (14.6 ms in two runs; 8.3 with the searches held to the kept
        connections, as with a pool of 20 and no overflow), and throughput rose (23.6-39.6 -> 47.9
        asks/s at load 9-16)."""
        self._engine = engine
        self._ef_search = ef_search
        self._searches = asyncio.Semaphore(searches or pooled_connections(engine))

    async def create_collection(self, tenant: str, created_by: str, name: str, description: str) -> CollectionRow:
        async with tenant_transaction(self._engine, tenant) as conn:
            row = (await conn.execute(text("""
                INSERT INTO "index".collections (id, tenant_id, name, description, created_by)
                VALUES (:id, :tenant, :name, :description, :by)
                ON CONFLICT (tenant_id, name) DO NOTHING
                RETURNING id, name, description, created_at, 0 AS document_count, 0 AS chunk_count
            """), {"id": uuid.uuid4(), "tenant": tenant, "name": name, "description": description,
                   "by": created_by})).one_or_none()
        if row is None:
            raise AlreadyExists("COLLECTION_EXISTS", f"a collection named {name!r} already exists")
        return _collection(row)

    async def get_collection(self, tenant: str, collection_id: uuid.UUID) -> CollectionRow:
        async with tenant_transaction(self._engine, tenant) as conn:
            return await self._get(conn, collection_id)

    async def _get(self, conn: AsyncConnection, collection_id: uuid.UUID) -> CollectionRow:
        row = (await conn.execute(text(_COLLECTIONS + " WHERE c.id = :id GROUP BY c.id"),
                                  {"id": collection_id})).one_or_none()
        if row is None:
            raise collection_not_found(collection_id)
        return _collection(row)

    async def list_collections(self, tenant: str) -> list[CollectionRow]:
        async with tenant_transaction(self._engine, tenant) as conn:
            rows = (await conn.execute(text(_COLLECTIONS + " GROUP BY c.id ORDER BY c.name"))).all()
        return [_collection(r) for r in rows]

    async def delete_collection(self, tenant: str, collection_id: uuid.UUID) -> None:
        """Delete the collection; its documents and chunks go with it (ON DELETE CASCADE)."""
        async with tenant_transaction(self._engine, tenant) as conn:
            deleted = (await conn.execute(text('DELETE FROM "index".collections WHERE id = :id RETURNING id'),
                                          {"id": collection_id})).one_or_none()
        if deleted is None:
            raise collection_not_found(collection_id)

    async def forget_file(self, tenant: str, file_id: uuid.UUID) -> int:
        """Remove the file's document rows (and so its chunks) from every collection; how many."""
        async with tenant_transaction(self._engine, tenant) as conn:
            rows = (await conn.execute(text('DELETE FROM "index".documents WHERE tenant_id = :tenant AND '
                                            "file_id = :file RETURNING collection_id"),
                                       {"tenant": tenant, "file": file_id})).all()
        return len(rows)

    async def full_text_uses_index(self) -> bool:
        """Whether the full-text match is leakproof in this database, so that the GIN index serves
        it under row-level security (analysis revision 0004; else every search reads the tenant's
        whole collection)."""
        async with self._engine.connect() as conn:
            leakproof = (await conn.execute(text(
                "SELECT proleakproof FROM pg_proc WHERE oid = 'pg_catalog.ts_match_vq(tsvector, tsquery)'::regprocedure"
            ))).scalar_one()
        return bool(leakproof)

    async def search(self, tenant: str, collection_id: uuid.UUID, question: str, vector: str,
                     chosen: DocumentSelection, candidates: int) -> SearchOutcome:
        """The collection's counts, whether it is being indexed, and its chunks nearest the question
        by embedding and by full text, among the selected documents: one statement (see
        :mod:`assay.analysis.analyzers.index.search`)."""
        setup, params = search.parameters(tenant, collection_id, question, vector, chosen, candidates,
                                          self._ef_search)
        async with self._searches, self._engine.begin() as conn:
            with suppress_instrumentation():
                await conn.execute(search.SETUP, setup)
            rows = (await conn.execute(search.statement(chosen), params)).all()
        found = search.outcome(rows)
        if found is None:
            raise collection_not_found(collection_id)
        return found
