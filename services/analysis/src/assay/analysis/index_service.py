"""IndexService: a tenant's collections, AskQuestion (hybrid retrieval with citations), ForgetFile.

Indexing itself is the ``index`` analyzer's (a job); this service reads what it wrote. A question
is embedded here with the same model, in a thread (a few milliseconds; recent questions cached),
then searched by one statement in one tenant-scoped transaction (pgvector HNSW by cosine distance
and PostgreSQL full text, among the documents the request's filter selects); both searches'
candidates are ranked by similarity plus the share of the question's words they contain
(``analyzers/index/answer.py``); below ``ASSAY_INDEX_MIN_SIMILARITY`` the answer is "no answer"
with the nearest passages.
"""

from __future__ import annotations

import logging
import time
import unicodedata
import uuid

import grpc
from google.protobuf import timestamp_pb2
from opentelemetry import trace

from assay.analysis.analyzers.index.answer import answer
from assay.analysis.analyzers.index.embedding import QuestionEmbeddings, index_embedder
from assay.analysis.analyzers.index.search import CANDIDATES, MAX_QUESTION_CHARS, selection, selection_violations
from assay.analysis.generation import Generator
from assay.analysis.index_store import CollectionRow, IndexStore
from assay.analysis.metrics import INDEX_ASK_DURATION, INDEX_FORGOTTEN
from assay.common.auth import READERS, WRITERS, require_role
from assay.common.errors import FieldViolation, Unavailable, invalid_field, invalid_fields
from assay.common.fields import parse_uuid
from assay.v1 import index_pb2 as pb
from assay.v1 import index_pb2_grpc

tracer = trace.get_tracer("assay.analysis.index")
logger = logging.getLogger(__name__)

MAX_NAME_CHARS = 200
MAX_DESCRIPTION_CHARS = 2000
DEFAULT_TOP_K = 5
MAX_TOP_K = 20


def collection_message(row: CollectionRow) -> pb.Collection:
    created = timestamp_pb2.Timestamp()
    created.FromDatetime(row.created_at)
    return pb.Collection(id=str(row.id), name=row.name, description=row.description, create_time=created,
                         document_count=row.document_count, chunk_count=row.chunk_count)


def _name(raw: str) -> str:
    name = raw.strip()
    if not 1 <= len(name) <= MAX_NAME_CHARS or any(unicodedata.category(c) == "Cc" for c in name):
        raise invalid_field("name", f"must be 1-{MAX_NAME_CHARS} characters without control characters")
    return name


def ask_violations(request: pb.AskQuestionRequest) -> list[FieldViolation]:
    violations: list[FieldViolation] = []
    question = request.question.strip()
    if not question:
        violations.append(FieldViolation("question", "must not be empty"))
    elif len(question) > MAX_QUESTION_CHARS:
        violations.append(FieldViolation("question", f"must be at most {MAX_QUESTION_CHARS} characters"))
    if not 0 <= request.top_k <= MAX_TOP_K:
        violations.append(FieldViolation("top_k", f"must be between 1 and {MAX_TOP_K} (0: {DEFAULT_TOP_K})"))
    violations.extend(selection_violations(request.file_ids, request.filter))
    try:
        uuid.UUID(request.collection_id)
    except ValueError:
        violations.append(FieldViolation("collection_id", "must be a UUID"))
    return violations


class IndexServicer(index_pb2_grpc.IndexServiceServicer):
    def __init__(self, store: IndexStore, min_similarity: float, generator: Generator | None = None,
                 question_cache_bytes: int = 8 * 1024 * 1024) -> None:
        self._store = store
        self._min_similarity = min_similarity
        self._generator = generator
        self._questions = QuestionEmbeddings(index_embedder, question_cache_bytes)

    async def warm(self) -> None:
        """Load the model and run it once, so the first question does not pay for either; warn
        when the database leaves the full-text search without its index."""
        await self._questions.embed("warm up")
        try:
            indexed = await self._store.full_text_uses_index()
        except Exception:  # the database may still be starting: the check is advice, not a condition
            logger.debug("could not check the full-text match's leakproofness", exc_info=True)
            return
        if not indexed:
            logger.warning("the full-text match is not leakproof in this database: under row-level security "
                           "every question's full-text search reads the whole collection (run, as a superuser: "
                           "ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) LEAKPROOF)")

    async def _vector(self, question: str) -> str:
        vector = await self._questions.embed(question)
        if vector is None:
            raise Unavailable("EMBEDDING_MODEL_UNAVAILABLE", "the sentence-embedding model is not available")
        return vector

    async def CreateCollection(self, request: pb.CreateCollectionRequest,
                               context: grpc.aio.ServicerContext) -> pb.CreateCollectionResponse:
        caller = require_role(*WRITERS)
        name = _name(request.name)
        if len(request.description) > MAX_DESCRIPTION_CHARS:
            raise invalid_field("description", f"must be at most {MAX_DESCRIPTION_CHARS} characters")
        row = await self._store.create_collection(caller.tenant, caller.subject, name, request.description)
        return pb.CreateCollectionResponse(collection=collection_message(row))

    async def GetCollection(self, request: pb.GetCollectionRequest,
                            context: grpc.aio.ServicerContext) -> pb.GetCollectionResponse:
        caller = require_role(*READERS)
        row = await self._store.get_collection(caller.tenant, parse_uuid(request.id, "id"))
        return pb.GetCollectionResponse(collection=collection_message(row))

    async def ListCollections(self, request: pb.ListCollectionsRequest,
                              context: grpc.aio.ServicerContext) -> pb.ListCollectionsResponse:
        caller = require_role(*READERS)
        rows = await self._store.list_collections(caller.tenant)
        return pb.ListCollectionsResponse(collections=[collection_message(r) for r in rows])

    async def DeleteCollection(self, request: pb.DeleteCollectionRequest,
                               context: grpc.aio.ServicerContext) -> pb.DeleteCollectionResponse:
        caller = require_role(*WRITERS)
        await self._store.delete_collection(caller.tenant, parse_uuid(request.id, "id"))
        return pb.DeleteCollectionResponse()

    async def ForgetFile(self, request: pb.ForgetFileRequest,
                         context: grpc.aio.ServicerContext) -> pb.ForgetFileResponse:
        caller = require_role(*WRITERS)
        removed = await self._store.forget_file(caller.tenant, parse_uuid(request.file_id, "file_id"))
        INDEX_FORGOTTEN.inc(removed)
        trace.get_current_span().set_attribute("assay.index.collections", removed)
        return pb.ForgetFileResponse(collections=removed)

    async def AskQuestion(self, request: pb.AskQuestionRequest,
                          context: grpc.aio.ServicerContext) -> pb.AskQuestionResponse:
        caller = require_role(*READERS)
        violations = ask_violations(request)
        if violations:
            raise invalid_fields(violations)
        started = time.perf_counter()
        question = " ".join(request.question.split())
        with tracer.start_as_current_span("embed question"):
            vector = await self._vector(question)
        with tracer.start_as_current_span("hybrid search") as span:
            found = await self._store.search(caller.tenant, uuid.UUID(request.collection_id), question, vector,
                                             selection(request.file_ids, request.filter), CANDIDATES)
            span.set_attribute("assay.index.vector_hits", len(found.by_vector))
            span.set_attribute("assay.index.text_hits", len(found.by_text))
        response = answer(question, found, request.top_k or DEFAULT_TOP_K, self._min_similarity)
        answered = response.answered
        span = trace.get_current_span()
        span.set_attribute("assay.index.answered", answered)
        span.set_attribute("assay.index.passages", len(response.passages))
        span.set_attribute("assay.index.indexing", found.indexing)
        span.set_attribute("assay.index.filtered", bool(request.file_ids) or request.HasField("filter"))
        INDEX_ASK_DURATION.labels(answered=str(answered).lower()).observe(time.perf_counter() - started)
        if answered and self._generator is not None:
            generated = await self._generator.generate(question, response.passages)
            if generated is not None:
                response.generated_answer = generated.answer
                response.generated_citations.extend(generated.citations)
        return response
