"""Writing one file's chunks into the ``index`` schema, replacing what an earlier indexing wrote.

Runs in the analyzer's child process (synchronous psycopg, one connection per attempt), in a
transaction scoped to the job's tenant by row-level security: the collection is locked ``FOR
SHARE`` (a concurrent DeleteCollection waits for the commit, then removes these chunks too), the
file's previous document row and its chunks are deleted, and the new rows are inserted. A reader
sees the old chunks or the new ones, never a mixture or none.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any

import numpy as np
import numpy.typing as npt
import psycopg
from pgvector.psycopg.vector import register_vector_info
from psycopg.types import TypeInfo
from psycopg.types.json import Jsonb
from sqlalchemy.engine import make_url

from assay.analysis.analyzers.index.chunks import Chunk, embedding_texts
from assay.analysis.plugin import AnalysisInputError
from assay.common.db import TENANT_SETTING

# COPY FROM is refused on a table with row-level security, so one INSERT takes every row as arrays
# (one statement and one round trip for the file, where executemany sent one INSERT per chunk). The
# vectors go in pgvector's binary form (pgvector-python's dumper): as text they cost 12 ms of this
# process's CPU to format and ~5 ms of PostgreSQL's to parse for the 71 chunks of a 12-page PDF, and
# lost digits past the sixth.
_INSERT = """INSERT INTO "index".chunks (tenant_id, collection_id, file_id, ordinal, kind, heading, content, page,
    paragraph, start_offset, end_offset, embedding)
    SELECT %s, %s, %s, r.ordinal, r.kind, r.heading, r.content, r.page, r.paragraph, r.start_offset, r.end_offset,
           r.embedding
    FROM unnest(%s::int[], %s::text[], %s::text[], %s::text[], %s::int[], %s::int[], %s::int[], %s::int[],
                %b::vector[])
         AS r(ordinal, kind, heading, content, page, paragraph, start_offset, end_offset, embedding)"""


def psycopg_conninfo(database_url: str) -> str:
    """A libpq connection string from the services' SQLAlchemy URL (``postgresql+psycopg://…``)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class IndexWriter:
    """One connection to the index database for one attempt; use as a context manager."""

    def __init__(self, database_url: str, tenant: str) -> None:
        self._conn: psycopg.Connection[Any] = psycopg.connect(psycopg_conninfo(database_url))
        register_vector_info(self._conn, TypeInfo.fetch(self._conn, "vector"))
        self._tenant = tenant

    def __enter__(self) -> IndexWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._conn.close()

    def _scope(self, cur: psycopg.Cursor[Any]) -> None:
        cur.execute("SELECT set_config(%s, %s, true)", (TENANT_SETTING, self._tenant))

    def _lock_collection(self, cur: psycopg.Cursor[Any], collection_id: uuid.UUID) -> None:
        cur.execute('SELECT 1 FROM "index".collections WHERE id = %s FOR SHARE', (collection_id,))
        if cur.fetchone() is None:
            raise AnalysisInputError("COLLECTION_NOT_FOUND", f"collection {collection_id} does not exist")

    def check_collection(self, collection_id: uuid.UUID) -> None:
        """Refuse an unknown (or another tenant's) collection before any work is done."""
        with self._conn.transaction(), self._conn.cursor() as cur:
            self._scope(cur)
            self._lock_collection(cur, collection_id)

    def begin_job(self, collection_id: uuid.UUID, job_id: str) -> None:
        """Note that ``job_id`` is adding documents to the collection (AskQuestion says so meanwhile)."""
        with self._conn.transaction(), self._conn.cursor() as cur:
            self._scope(cur)
            cur.execute('INSERT INTO "index".indexing (tenant_id, collection_id, job_id) VALUES (%s, %s, %s) '
                        "ON CONFLICT (collection_id, job_id) DO UPDATE SET started_at = now()",
                        (self._tenant, collection_id, job_id))

    def end_job(self, collection_id: uuid.UUID, job_id: str) -> None:
        """The job's attempt is over (succeeded, failed or cancelled)."""
        with self._conn.transaction(), self._conn.cursor() as cur:
            self._scope(cur)
            cur.execute('DELETE FROM "index".indexing WHERE collection_id = %s AND job_id = %s',
                        (collection_id, job_id))

    def stored_vectors(self, collection_id: uuid.UUID, file_id: uuid.UUID) -> dict[str, npt.NDArray[np.float32]]:
        """The file's chunks now in the collection, as what was embedded for each (the document's name
        and the chunk's text, :func:`embedding_texts`) and its vector: re-indexing reuses a vector
        whose text has not changed (see :func:`embed_reusing`)."""
        with self._conn.transaction(), self._conn.cursor() as cur:
            self._scope(cur)
            cur.execute('SELECT d.display_name, c.kind, c.heading, c.content, c.embedding::text '
                        'FROM "index".chunks c JOIN "index".documents d USING (collection_id, file_id) '
                        "WHERE c.collection_id = %s AND c.file_id = %s", (collection_id, file_id))
            rows = cur.fetchall()
        if not rows:
            return {}
        chunks = [Chunk(content, heading, kind, 0, 0, 0, 0) for _, kind, heading, content, _ in rows]
        texts = embedding_texts(rows[0][0], chunks)
        return {text: np.array(row[4][1:-1].split(","), dtype=np.float32)
                for text, row in zip(texts, rows, strict=True)}

    def replace(self, collection_id: uuid.UUID, file_id: uuid.UUID, *, display_name: str, media_type: str,
                job_id: str, chunks: Sequence[Chunk], vectors: npt.NDArray[np.float32],
                metadata: Mapping[str, str] | None = None, uploaded_at: datetime | None = None) -> None:
        """Make ``chunks`` the file's only chunks in the collection, in one transaction."""
        if len(vectors) != len(chunks):
            raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors")
        with self._conn.transaction(), self._conn.cursor() as cur:
            self._scope(cur)
            self._lock_collection(cur, collection_id)
            cur.execute('DELETE FROM "index".documents WHERE collection_id = %s AND file_id = %s',
                        (collection_id, file_id))
            cur.execute(
                'INSERT INTO "index".documents (tenant_id, collection_id, file_id, display_name, media_type, job_id, '
                "chunk_count, metadata, uploaded_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (self._tenant, collection_id, file_id, display_name, media_type, job_id, len(chunks),
                 Jsonb(dict(metadata or {})), uploaded_at))
            cur.execute(_INSERT, (self._tenant, collection_id, file_id, list(range(len(chunks))),
                                  [c.kind for c in chunks], [c.heading.replace("\x00", "") for c in chunks],
                                  [c.content.replace("\x00", "") for c in chunks], [c.page for c in chunks],
                                  [c.paragraph for c in chunks], [c.start for c in chunks], [c.end for c in chunks],
                                  list(vectors)))
