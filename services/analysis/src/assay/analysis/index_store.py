"""The ``index`` schema's reads and the collection and forget writes AskQuestion's service makes,
each in a transaction scoped to the caller's tenant (row-level security backs the WHERE clauses)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from assay.analysis.analyzers.index.retrieval import Candidate
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


@dataclass(frozen=True)
class Search:
    collection: CollectionRow
    indexing: bool
    """An index job is adding documents to the collection meanwhile."""
    rankings: list[list[Candidate]]


STALE_INDEXING_SECONDS = 2 * 1800.0
"""Twice the index analyzer's time limit: a row this old belongs to a process that died."""

_COLLECTIONS = """
    SELECT c.id, c.name, c.description, c.created_at,
           count(d.file_id)::int AS document_count, coalesce(sum(d.chunk_count), 0)::bigint AS chunk_count
    FROM "index".collections c LEFT JOIN "index".documents d ON d.collection_id = c.id
"""
_CANDIDATE_COLUMNS = """c.id, c.file_id::text AS file_id, d.display_name, c.heading, c.content, c.page,
    c.paragraph, c.start_offset, c.end_offset, 1 - (c.embedding <=> CAST(:q AS vector)) AS similarity"""
_FILTER = ("c.collection_id = :collection "
           "AND (CAST(:files AS uuid[]) IS NULL OR c.file_id = ANY(CAST(:files AS uuid[])))")
_VECTOR_SEARCH = text(f"""
    SELECT {_CANDIDATE_COLUMNS}
    FROM "index".chunks c JOIN "index".documents d USING (collection_id, file_id)
    WHERE {_FILTER}
    ORDER BY c.embedding <=> CAST(:q AS vector) LIMIT :n
""")
# Any word of the question may match (plainto_tsquery ANDs them all, which a question rarely meets).
_TEXT_SEARCH = text(f"""
    WITH query AS (
        SELECT to_tsquery('english', replace(plainto_tsquery('english', :question)::text, ' & ', ' | ')) AS q
    )
    SELECT {_CANDIDATE_COLUMNS}
    FROM query, "index".chunks c JOIN "index".documents d USING (collection_id, file_id)
    WHERE {_FILTER} AND query.q IS NOT NULL AND c.tsv @@ query.q
    ORDER BY ts_rank_cd(c.tsv, query.q) DESC, c.id LIMIT :n
""")


def _collection(row: Any) -> CollectionRow:
    return CollectionRow(row.id, row.name, row.description, row.created_at, row.document_count, row.chunk_count)


def _candidate(row: Any) -> Candidate:
    return Candidate(row.id, row.file_id, row.display_name, row.heading, row.content, row.page, row.paragraph,
                     row.start_offset, row.end_offset, float(row.similarity))


def collection_not_found(collection_id: uuid.UUID | str) -> NotFound:
    return NotFound("COLLECTION_NOT_FOUND", f"collection {collection_id} not found")


class IndexStore:
    def __init__(self, engine: AsyncEngine, ef_search: int = 100) -> None:
        self._engine = engine
        self._ef_search = ef_search

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

    async def indexing(self, conn: AsyncConnection, collection_id: uuid.UUID) -> bool:
        """Whether an index job is adding documents to the collection (a row older than
        ``STALE_INDEXING_SECONDS`` is a job whose process died before it could say it ended)."""
        row = (await conn.execute(text(
            'SELECT EXISTS (SELECT 1 FROM "index".indexing WHERE collection_id = :id '
            "AND started_at > now() - make_interval(secs => :stale))"),
            {"id": collection_id, "stale": STALE_INDEXING_SECONDS})).scalar_one()
        return bool(row)

    async def search(self, tenant: str, collection_id: uuid.UUID, question: str, vector: str,
                     file_ids: Sequence[uuid.UUID], candidates: int) -> Search:
        """The collection, whether it is being indexed, and its chunks nearest the question by
        embedding and by full text."""
        params = {"collection": collection_id, "q": vector, "question": question, "n": candidates,
                  "files": list(file_ids) or None}
        async with tenant_transaction(self._engine, tenant) as conn:
            collection = await self._get(conn, collection_id)
            indexing = await self.indexing(conn, collection_id)
            # HNSW with a filter: keep scanning the graph until enough rows pass it (pgvector >= 0.8).
            await conn.execute(text("SELECT set_config('hnsw.ef_search', :ef, true), "
                                    "set_config('hnsw.iterative_scan', 'relaxed_order', true)"),
                               {"ef": str(max(self._ef_search, candidates))})
            by_vector = [_candidate(r) for r in (await conn.execute(_VECTOR_SEARCH, params)).all()]
            by_text = [_candidate(r) for r in (await conn.execute(_TEXT_SEARCH, params)).all()]
        # relaxed_order may return near-ties out of order: rank by the exact distance.
        by_vector.sort(key=lambda c: -c.similarity)
        return Search(collection, indexing, [by_vector, by_text])
