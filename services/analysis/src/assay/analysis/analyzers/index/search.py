"""AskQuestion's read of the ``index`` schema as one statement: the collection (with its counts and
whether an index job is running on it), its chunks nearest the question by embedding and by full
text, restricted by a document filter. Shared by IndexService (async engine) and the ask analyzer
(sync engine in a worker child): the statement, its parameters and the reading of its rows.

One statement instead of four (collection, indexing flag, vector search, text search) saves three
round trips per question; the text is the same for the same set of filters, so psycopg prepares
it on each pooled connection after a few uses.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from google.protobuf import timestamp_pb2
from sqlalchemy import TextClause, text

from assay.analysis.analyzers.index.retrieval import Candidate
from assay.common.db import TENANT_SETTING
from assay.common.errors import FieldViolation
from assay.v1 import index_pb2 as pb

STALE_INDEXING_SECONDS = 2 * 1800.0
"""Twice the index analyzer's time limit: an ``indexing`` row this old belongs to a process that died."""
MAX_METADATA_PAIRS = 20
MAX_METADATA_VALUE_CHARS = 200
METADATA_KEY = re.compile(r"[a-z0-9_.]{1,64}")
MAX_FILTER_FILES = 100
MAX_QUESTION_CHARS = 2000
CANDIDATES = 50
"""Chunks each search (vector, full text) returns before they are ranked together."""
TEXT_POOL = 100
"""The full-text search ranks at most the first this many chunks holding a word of the question: at
100k chunks an any-word query matched 67k rows and ranking them all took 3 s (load ~20); ranking
the first 1,000 took 73-107 ms in the same minutes. A collection whose matches fit is searched
exactly as before. 500 -> 200 cut PostgreSQL's CPU per question at 100k chunks from 11.2 to 6.9 ms
(100: 5.5; the vector search alone is 1.4-1.9) with recall@5 unchanged on both question sets (MRR
development 0.842 -> 0.830, held-out 0.938 -> 0.912; 100 measured the same as 200). With the planner's
full-text statistics fixed (analysis revision 0005), 200 -> 100 cut PostgreSQL's CPU per question at
100k chunks, 20 closed-loop askers, from 7.6 to 6.4 ms (the statement alone 7.0-7.3 -> 5.7) and the
service's from 6.9 to 6.4 (fewer rows), with quality unchanged on every set: development recall@5
0.929, MRR 0.866, pages 1.0, no-answer 0.875 (alone and among 100k chunks), held-out 1.000 / 0.917 /
no-answer 1.0."""


@dataclass(frozen=True)
class DocumentSelection:
    """Which of a collection's documents a question searches (every condition must hold)."""

    file_ids: tuple[uuid.UUID, ...] = ()
    metadata: dict[str, str] = field(default_factory=dict)
    indexed_after: datetime | None = None
    indexed_before: datetime | None = None
    uploaded_after: datetime | None = None
    uploaded_before: datetime | None = None

    def conditions(self) -> list[str]:
        """SQL conditions on ``d`` ("index".documents), each with its named parameter."""
        out = []
        if self.file_ids:
            out.append("d.file_id = ANY(CAST(:files AS uuid[]))")
        if self.metadata:
            out.append("d.metadata @> CAST(:metadata AS jsonb)")
        for name, op, column in (("indexed_after", ">=", "indexed_at"), ("indexed_before", "<", "indexed_at"),
                                 ("uploaded_after", ">=", "uploaded_at"), ("uploaded_before", "<", "uploaded_at")):
            if getattr(self, name) is not None:
                out.append(f"d.{column} {op} :{name}")
        return out

    def params(self) -> dict[str, Any]:
        return {"files": list(self.file_ids), "metadata": json.dumps(self.metadata, sort_keys=True),
                "indexed_after": self.indexed_after, "indexed_before": self.indexed_before,
                "uploaded_after": self.uploaded_after, "uploaded_before": self.uploaded_before}


def _timestamp(message: pb.DocumentFilter, name: str) -> datetime | None:
    if not message.HasField(name):  # type: ignore[arg-type]
        return None
    stamp: timestamp_pb2.Timestamp = getattr(message, name)
    return stamp.ToDatetime(tzinfo=UTC)


def selection_violations(file_ids: Sequence[str], message: pb.DocumentFilter,
                         prefix: str = "filter") -> list[FieldViolation]:
    """What is wrong with a request's file ids and document filter (field paths as the request names them)."""
    violations: list[FieldViolation] = []
    if len(file_ids) > MAX_FILTER_FILES:
        violations.append(FieldViolation("file_ids", f"must name at most {MAX_FILTER_FILES} files"))
    for i, raw in enumerate(file_ids):
        try:
            uuid.UUID(raw)
        except ValueError:
            violations.append(FieldViolation(f"file_ids[{i}]", "must be a UUID"))
    if len(message.metadata) > MAX_METADATA_PAIRS:
        violations.append(FieldViolation(f"{prefix}.metadata", f"must have at most {MAX_METADATA_PAIRS} pairs"))
    for key, value in message.metadata.items():
        if not METADATA_KEY.fullmatch(key):
            violations.append(FieldViolation(f"{prefix}.metadata",
                                             f"key {key[:70]!r} must be 1-64 characters of a-z, 0-9, '_' and '.'"))
        if len(value) > MAX_METADATA_VALUE_CHARS:
            violations.append(FieldViolation(f"{prefix}.metadata[{key}]",
                                             f"must be at most {MAX_METADATA_VALUE_CHARS} characters"))
    for low, high in (("indexed_after", "indexed_before"), ("uploaded_after", "uploaded_before")):
        start, end = _timestamp(message, low), _timestamp(message, high)
        if start is not None and end is not None and start >= end:
            violations.append(FieldViolation(f"{prefix}.{high}", f"must be later than {prefix}.{low}"))
    return violations


def selection(file_ids: Sequence[str], message: pb.DocumentFilter) -> DocumentSelection:
    """The selection of a request already checked by :func:`selection_violations`."""
    return DocumentSelection(
        file_ids=tuple(uuid.UUID(f) for f in file_ids), metadata=dict(message.metadata),
        indexed_after=_timestamp(message, "indexed_after"), indexed_before=_timestamp(message, "indexed_before"),
        uploaded_after=_timestamp(message, "uploaded_after"), uploaded_before=_timestamp(message, "uploaded_before"))


@dataclass(frozen=True)
class SearchOutcome:
    """The collection's counts, whether it is being indexed, and the two rankings."""

    document_count: int
    indexing: bool
    by_vector: list[Candidate]
    by_text: list[Candidate]


SETUP = text(f"SELECT set_config('{TENANT_SETTING}', :tenant, true), set_config('hnsw.ef_search', :ef, true), "
             "set_config('hnsw.iterative_scan', 'relaxed_order', true)")
"""The transaction's tenant (row-level security) and HNSW settings: with a filter, keep scanning the
graph until enough rows pass it (pgvector >= 0.8)."""

_ANY = "to_tsquery('english', replace(plainto_tsquery('english', :question)::text, ' & ', ' | '))"
"""Any word of the question (plainto_tsquery ANDs them all, which a question rarely meets)."""
_CANDIDATE = """c.id, c.file_id, c.heading, c.content, c.page, c.paragraph, c.start_offset, c.end_offset,
    1 - (c.embedding <=> CAST(:q AS vector)) AS similarity"""


def statement(chosen: DocumentSelection) -> TextClause:
    """The search for this shape of selection (the values are parameters)."""
    conditions = chosen.conditions()
    documents = ""
    if conditions:
        documents = ('AND c.file_id = ANY(ARRAY(SELECT d.file_id FROM "index".documents d '
                     f"WHERE d.collection_id = :collection AND {' AND '.join(conditions)}))")
    return text(f"""
        WITH coll AS (
            SELECT (SELECT count(*) FROM "index".documents d WHERE d.collection_id = :collection)::int AS documents,
                   EXISTS (SELECT 1 FROM "index".indexing i WHERE i.collection_id = :collection
                           AND i.started_at > now() - make_interval(secs => :stale)) AS indexing
            FROM "index".collections WHERE id = :collection
        ), by_vector AS (
            SELECT 'v' AS source, {_CANDIDATE}, 0.0::real AS text_rank FROM "index".chunks c
            WHERE c.collection_id = :collection {documents}
            ORDER BY c.embedding <=> CAST(:q AS vector) LIMIT :n
        ), text_pool AS (
            -- ts_rank_cd reads every row it ranks: rank the first :pool chunks holding any word of the
            -- question (all of them in a collection of ordinary size), in the same scan that finds
            -- them, so only the best :n are read again for their text. The GIN index serves @@ under
            -- row-level security only where the match is marked leakproof (analysis revision 0004);
            -- for common words the planner reads the collection in table order until :pool match.
            SELECT c.id, ts_rank_cd(c.tsv, {_ANY}) AS text_rank FROM "index".chunks c
            WHERE c.collection_id = :collection {documents} AND c.tsv @@ {_ANY} LIMIT :pool
        ), text_best AS (
            SELECT id, text_rank FROM text_pool ORDER BY text_rank DESC, id LIMIT :n
        ), by_text AS (
            SELECT 't' AS source, {_CANDIDATE}, t.text_rank FROM text_best t JOIN "index".chunks c USING (id)
        ), found AS (
            SELECT * FROM by_vector UNION ALL SELECT * FROM by_text
        )
        SELECT coll.documents, coll.indexing, f.source, f.id, f.file_id::text AS file_id, d.display_name, f.heading,
               f.content, f.page, f.paragraph, f.start_offset, f.end_offset, f.similarity, f.text_rank
        FROM coll LEFT JOIN (found f JOIN "index".documents d
                             ON d.collection_id = :collection AND d.file_id = f.file_id) ON true
        ORDER BY f.source, f.text_rank DESC, f.similarity DESC, f.id
    """)


def parameters(tenant: str, collection_id: uuid.UUID, question: str, vector: str, chosen: DocumentSelection,
               candidates: int, ef_search: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The parameters of :data:`SETUP` and of :func:`statement`."""
    setup = {"tenant": tenant, "ef": str(max(ef_search, candidates))}
    search = {"collection": collection_id, "q": vector, "question": question, "n": candidates, "pool": TEXT_POOL,
              "stale": STALE_INDEXING_SECONDS, **(chosen.params() if chosen.conditions() else {})}
    return setup, search


def outcome(rows: Sequence[Any]) -> SearchOutcome | None:
    """The rows read; ``None`` when the collection does not exist (for this tenant)."""
    if not rows:
        return None
    by_vector: list[Candidate] = []
    by_text: list[Candidate] = []
    for r in rows:
        if r.source is None:
            continue
        candidate = Candidate(r.id, r.file_id, r.display_name, r.heading, r.content, r.page, r.paragraph,
                              r.start_offset, r.end_offset, float(r.similarity))
        (by_vector if r.source == "v" else by_text).append(candidate)
    # Ordered by the statement: vector candidates by exact similarity (relaxed_order may return
    # near-ties out of order), text candidates by ts_rank_cd.
    return SearchOutcome(rows[0].documents, bool(rows[0].indexing), by_vector, by_text)
