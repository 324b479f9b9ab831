"""The search index end to end: collections, index jobs through ingest and a real worker, AskQuestion
with citations, re-indexing, deletion of a collection or a file, tenant isolation, bad input."""

# ruff: noqa: F811
from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import grpc
import httpx
import numpy as np
import psycopg
import pytest
import sqlalchemy
import uvicorn
from fastapi import FastAPI, Request
from file_job_fixtures import FileStack, chunked, csv_lines, download, file_stack  # noqa: F401 - fixture
from fixtures import xmldocs
from harness import Postgres, eventually
from harness.jobs import fresh_database
from ingest_fixtures import ingest_settings, new_tenant, start_ingest, stop_ingest, submit_requests
from integration.gateway_fixtures import gateway_settings

from assay.analysis.analyzers.index import search
from assay.analysis.analyzers.index.chunks import Chunk, embedding_texts
from assay.analysis.analyzers.index.embedding import SAME_MODEL_COSINE, vector_literal
from assay.analysis.analyzers.index.writer import IndexWriter
from assay.analysis.generation import Generator
from assay.analysis.index_service import IndexServicer
from assay.analysis.index_store import IndexStore
from assay.analysis.migrations import SCRIPT_LOCATION as INDEX_MIGRATIONS
from assay.analysis.server import AnalysisWorker
from assay.cli.__main__ import main as cli_main
from assay.common.auth import Principal, current_principal
from assay.common.config import DatabaseSettings
from assay.common.db import create_engine
from assay.common.errors import NotFound
from assay.common.grpc_client import open_channel
from assay.common.migrations import upgrade
from assay.gateway.app import create_app
from assay.gateway.upstream import Channels
from assay.ingest.jobs_client import JobsClient
from assay.v1 import index_pb2 as ix
from assay.v1 import index_pb2_grpc, job_pb2
from assay.v1 import ingest_service_pb2 as ing
from assay.v1 import jobs_service_pb2 as js

Job = job_pb2.Job

HANDBOOK = """# Employee handbook

## Annual leave

Every employee is entitled to twenty-eight days of paid annual leave per calendar year.
Unused leave may be carried over until the end of March of the following year.

## Expenses

Travel expenses are reimbursed within fourteen days of the claim, with receipts attached.
Meals abroad are reimbursed up to a daily allowance of forty euros.

## Security

Laptops must be encrypted and locked whenever they are left unattended.
"""

OFFICES = "city,country,employees,opened\nLisbon,Portugal,120,2015\nOslo,Norway,45,2019\nTallinn,Estonia,80,2021\n"


@dataclass
class IndexStack:
    files: FileStack
    worker: AnalysisWorker
    index: index_pb2_grpc.IndexServiceStub
    database_url: str
    superuser_url: str

    def token(self, tenant: str, roles: tuple[str, ...] = ("user",)) -> tuple[tuple[str, str], ...]:
        return self.files.ingest.token(tenant=tenant, roles=roles)

    async def collection(self, tenant: str, name: str = "handbooks") -> str:
        created = await self.index.CreateCollection(ix.CreateCollectionRequest(name=name), metadata=self.token(tenant))
        return created.collection.id

    async def index_upload(self, tenant: str, collection_id: str, data: bytes, name: str) -> Job:
        params = job_pb2.JobParams(index=ix.IndexParams(collection_id=collection_id))
        submitted = await self.files.ingest.files.SubmitDocument(
            submit_requests(chunked(data), analyzer="index", name=name, params=params), metadata=self.token(tenant))
        return await self.files.settled(submitted.job.id, tenant, Job.STATE_SUCCEEDED, timeout=90)

    async def ask(self, tenant: str, collection_id: str, question: str, **fields: object) -> ix.AskQuestionResponse:
        request = ix.AskQuestionRequest(collection_id=collection_id, question=question, **fields)  # type: ignore[arg-type]
        return await self.index.AskQuestion(request, metadata=self.token(tenant))

    def chunk_count(self, **where: str) -> int:
        """Chunks in the index as the superuser sees them (RLS does not apply), e.g. file_id=..."""
        clause = " AND ".join(f"{k}::text = %s" for k in where) or "true"
        with psycopg.connect(self.superuser_url) as conn:
            row = conn.execute(f'SELECT count(*) FROM "index".chunks WHERE {clause}', tuple(where.values())).fetchone()
        assert row is not None
        return int(row[0])


@pytest.fixture(scope="module")
async def index_stack(file_stack: FileStack, postgres: Postgres) -> AsyncIterator[IndexStack]:
    url = fresh_database(postgres, "index")
    upgrade(INDEX_MIGRATIONS, url, "index")
    worker = await file_stack.start_worker(worker_analyzers="index,ask", database_url=url, worker_concurrency=1)
    channel = open_channel(f"127.0.0.1:{worker.port}")
    name = url.rsplit("/", 1)[1]
    try:
        yield IndexStack(file_stack, worker, index_pb2_grpc.IndexServiceStub(channel), url,
                         postgres.url_for(name).replace("postgresql+psycopg://", "postgresql://"))
    finally:
        await channel.close()
        await worker.stop(5.0)


async def test_the_migration_creates_the_index_schema_with_rls_hnsw_and_gin(index_stack: IndexStack) -> None:
    with psycopg.connect(index_stack.superuser_url) as conn:
        tables = conn.execute("""SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class
                                 WHERE relnamespace = 'index'::regnamespace AND relkind = 'r'
                                 AND relname <> 'alembic_version' ORDER BY relname""").fetchall()
        indexes = dict(conn.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'index'").fetchall())
    assert tables == [("chunks", True, True), ("collections", True, True), ("documents", True, True),
                      ("indexing", True, True)]
    assert "USING hnsw (embedding vector_cosine_ops)" in indexes["chunks_embedding"]
    assert "USING gin (tsv)" in indexes["chunks_tsv"]


async def test_index_then_ask_cites_the_paragraph_and_highlights_the_answering_sentence(
    index_stack: IndexStack,
) -> None:
    tenant = new_tenant()
    collection = await index_stack.collection(tenant)
    done = await index_stack.index_upload(tenant, collection, HANDBOOK.encode(), "handbook.md")
    result = done.result.index
    assert result.collection_id == collection and result.files[0].format == "markdown" and result.chunks == 3

    answer = await index_stack.ask(tenant, collection, "How many days of paid annual leave do employees get?")
    assert answer.answered and answer.indexed_documents == 1
    best = answer.passages[0]
    assert best.heading == "Employee handbook > Annual leave"
    assert best.citation.display_name == "handbook.md" and best.citation.file_id == result.files[0].file_id
    assert best.citation.paragraph == 1
    assert "twenty-eight days" in best.text[best.highlight_start:best.highlight_end]
    assert "twenty-eight days" in answer.answer

    meals = await index_stack.ask(tenant, collection, "What is the daily allowance for meals abroad?")
    assert "forty euros" in meals.passages[0].text


async def test_a_table_row_is_found_with_its_column_names(index_stack: IndexStack) -> None:
    tenant = new_tenant()
    collection = await index_stack.collection(tenant, "offices")
    done = await index_stack.index_upload(tenant, collection, OFFICES.encode(), "offices.csv")
    assert done.result.index.files[0].format == "csv" and done.result.index.chunks == 3
    answer = await index_stack.ask(tenant, collection, "How many employees work in Oslo?")
    best = answer.passages[0]
    assert best.text == "city: Oslo; country: Norway; employees: 45; opened: 2019"
    assert best.citation.paragraph == 2  # the second data row


async def test_reindexing_a_file_replaces_its_chunks(index_stack: IndexStack) -> None:
    tenant = new_tenant()
    collection = await index_stack.collection(tenant)
    done = await index_stack.index_upload(tenant, collection, HANDBOOK.encode(), "handbook.md")
    file_id = done.inputs.file_ids[0]
    before = index_stack.chunk_count(file_id=file_id)
    params = job_pb2.JobParams(index=ix.IndexParams(collection_id=collection))
    again = await index_stack.files.jobs.jobs.CreateJob(js.CreateJobRequest(
        analyzer="index", params=params, inputs=job_pb2.JobInputs(file_ids=[file_id])),
        metadata=index_stack.files.jobs.token(tenant=tenant))
    await index_stack.files.settled(again.job.id, tenant, Job.STATE_SUCCEEDED, timeout=60)
    assert index_stack.chunk_count(file_id=file_id) == before > 0
    got = await index_stack.index.GetCollection(ix.GetCollectionRequest(id=collection),
                                                metadata=index_stack.token(tenant))
    assert got.collection.document_count == 1 and got.collection.chunk_count == before


async def test_deleting_a_collection_removes_every_chunk_in_it(index_stack: IndexStack) -> None:
    tenant = new_tenant()
    collection = await index_stack.collection(tenant)
    await index_stack.index_upload(tenant, collection, HANDBOOK.encode(), "handbook.md")
    assert index_stack.chunk_count(collection_id=collection) > 0
    await index_stack.index.DeleteCollection(ix.DeleteCollectionRequest(id=collection),
                                             metadata=index_stack.token(tenant))
    assert index_stack.chunk_count(collection_id=collection) == 0
    with pytest.raises(grpc.aio.AioRpcError) as gone:
        await index_stack.ask(tenant, collection, "annual leave")
    assert gone.value.code() == grpc.StatusCode.NOT_FOUND


async def test_deleting_a_file_through_ingest_removes_its_chunks_from_every_collection(
    index_stack: IndexStack,
) -> None:
    files = index_stack.files
    # An ingest that knows the analysis service (the module's ingest started before any worker).
    jobs_client = JobsClient(f"127.0.0.1:{files.jobs.server.port}")
    ingest = await start_ingest(ingest_settings(
        files.ingest.settings.database_url, files.s3, files.ingest.bucket,
        analysis_addr=f"127.0.0.1:{index_stack.worker.port}"), files.s3, jobs_client)
    try:
        tenant = new_tenant()
        first, second = await index_stack.collection(tenant, "a"), await index_stack.collection(tenant, "b")
        done = await index_stack.index_upload(tenant, first, HANDBOOK.encode(), "handbook.md")
        file_id = done.inputs.file_ids[0]
        params = job_pb2.JobParams(index=ix.IndexParams(collection_id=second))
        also = await files.jobs.jobs.CreateJob(js.CreateJobRequest(
            analyzer="index", params=params, inputs=job_pb2.JobInputs(file_ids=[file_id])),
            metadata=files.jobs.token(tenant=tenant))
        await files.settled(also.job.id, tenant, Job.STATE_SUCCEEDED, timeout=60)
        assert index_stack.chunk_count(file_id=file_id) > 0

        await ingest.files.DeleteFile(ing.DeleteFileRequest(id=file_id), metadata=index_stack.token(tenant))

        assert index_stack.chunk_count(file_id=file_id) == 0
        for collection in (first, second):
            answer = await index_stack.ask(tenant, collection, "How many days of paid annual leave?")
            assert not answer.passages and not answer.answered and answer.indexed_documents == 0
    finally:
        await stop_ingest(ingest)
        await jobs_client.close()


async def test_another_tenant_never_sees_a_collection_or_its_chunks(index_stack: IndexStack) -> None:
    owner, other = new_tenant(), new_tenant()
    collection = await index_stack.collection(owner)
    await index_stack.index_upload(owner, collection, HANDBOOK.encode(), "handbook.md")
    mine = await index_stack.collection(other, "handbooks")  # the same name is the other tenant's own
    listed = await index_stack.index.ListCollections(ix.ListCollectionsRequest(), metadata=index_stack.token(other))
    assert [c.id for c in listed.collections] == [mine]
    for call in (index_stack.ask(other, collection, "annual leave"),
                 index_stack.index.GetCollection(ix.GetCollectionRequest(id=collection),
                                                 metadata=index_stack.token(other)),
                 index_stack.index.DeleteCollection(ix.DeleteCollectionRequest(id=collection),
                                                    metadata=index_stack.token(other))):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await call
        assert refused.value.code() == grpc.StatusCode.NOT_FOUND
    assert not (await index_stack.ask(other, mine, "How many days of paid annual leave?")).passages
    # An index job of the other tenant into the owner's collection (a guessed id) fails, writing nothing.
    params = job_pb2.JobParams(index=ix.IndexParams(collection_id=collection))
    submitted = await index_stack.files.ingest.files.SubmitDocument(
        submit_requests(chunked(HANDBOOK.encode()), analyzer="index", name="stolen.md", params=params),
        metadata=index_stack.token(other))
    failed = await index_stack.files.settled(submitted.job.id, other, Job.STATE_FAILED, timeout=60)
    assert failed.error.code == "COLLECTION_NOT_FOUND"
    assert index_stack.chunk_count(file_id=submitted.file.id) == 0


async def test_the_full_text_search_uses_its_gin_index_under_row_level_security(index_stack: IndexStack) -> None:
    """As the services' role (RLS applies), the planner serves the full-text condition from the GIN
    index: the match is marked leakproof in the database (analysis revision 0004 / provisioning).
    Without it, the search read every chunk of the collection."""
    tenant = new_tenant()
    collection = uuid.UUID(await index_stack.collection(tenant))
    words = [f"filler{i}" for i in range(300)]
    chunks = [Chunk(" ".join(words[(i * 7 + k) % 300] for k in range(30)) + (" axolotl" if i == 500 else ""),
                    "", "text", 1, i, 0, 10) for i in range(3000)]
    vectors = np.tile(np.full(384, 384 ** -0.5, dtype=np.float32), (len(chunks), 1))
    with IndexWriter(index_stack.database_url, tenant) as writer:
        writer.replace(collection, uuid.uuid4(), display_name="filler.txt", media_type="text/plain",
                       job_id=str(uuid.uuid4()), chunks=chunks, vectors=vectors)
    selection = search.DocumentSelection()
    setup, params = search.parameters(tenant, collection, "axolotl", vector_literal(vectors[0]), selection,
                                      search.CANDIDATES, 100)
    engine = sqlalchemy.create_engine(index_stack.database_url)
    try:
        # What autovacuum does after a load: statistics, and the GIN's pending list merged (a long
        # pending list makes the planner price the index out).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sqlalchemy.text('VACUUM ANALYZE "index".chunks'))
        with engine.begin() as conn:
            conn.execute(search.SETUP, setup)
            # 3,000 rows fit in 231 pages, which the planner reads whole at any selectivity; at 100k it
            # chooses the index by itself (docs/architecture.md §9). Either way the index must be usable.
            conn.execute(sqlalchemy.text("SET LOCAL enable_seqscan = off"))
            explain = sqlalchemy.text("EXPLAIN (COSTS OFF) " + search.statement(selection).text)
            plan = "\n".join(conn.execute(explain, params).scalars())
    finally:
        engine.dispose()
    assert "Bitmap Index Scan on chunks_tsv" in plan, plan
    checked = create_engine(DatabaseSettings(database_url=index_stack.database_url))
    try:
        assert await IndexStore(checked).full_text_uses_index()
    finally:
        await checked.dispose()


async def test_a_question_of_words_the_collection_hardly_holds_is_searched_through_the_gin_index(
        index_stack: IndexStack) -> None:
    """The full-text search takes the first ``TEXT_POOL`` chunks holding a word of the question. When
    the words are rare, the planner must know it and use the GIN index: priced from too few of the
    chunks' words (the default statistics target) it read the whole collection in order to stop at a
    last match that never came (at 100k chunks 130-180 ms a question; analysis revision 0005)."""
    tenant = new_tenant()
    collection = uuid.UUID(await index_stack.collection(tenant))
    picker = np.random.default_rng(19)
    common = [f"common{i}" for i in range(1300)]  # each word in ~3% of the chunks, as in a large collection
    rare = [f"rare{i}" for i in range(400)]  # each word in 15 chunks
    count = 12_000
    words = [list(picker.choice(common, 40)) for _ in range(count)]
    for i, word in enumerate(rare):
        for k in range(15):
            words[(i * 15 + k) % count].append(word)
    chunks = [Chunk(" ".join(w), "", "text", 1, i, 0, 10) for i, w in enumerate(words)]
    vectors = picker.normal(size=(count, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    with IndexWriter(index_stack.database_url, tenant) as writer:
        writer.replace(collection, uuid.uuid4(), display_name="words.txt", media_type="text/plain",
                       job_id=str(uuid.uuid4()), chunks=chunks, vectors=vectors)
    # At 100k chunks six such words suffice; at this test's 12k the estimate of a miss must reach
    # past the pool, which takes about twenty.
    question = ("Did the quokka, narwhal, okapi, pangolin and tapir regatta near Reykjavik win trophies, medals or "
                "ribbons for sailing, rowing, kayaking, canoeing and windsurfing last autumn?")
    setup, params = search.parameters(tenant, collection, question, vector_literal(vectors[0]),
                                      search.DocumentSelection(), search.CANDIDATES, 100)
    engine = sqlalchemy.create_engine(index_stack.database_url)
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sqlalchemy.text('VACUUM ANALYZE "index".chunks'))  # what autovacuum does after a load
        with engine.begin() as conn:
            conn.execute(search.SETUP, setup)
            explain = sqlalchemy.text("EXPLAIN (COSTS OFF) " + search.statement(search.DocumentSelection()).text)
            plan = "\n".join(conn.execute(explain, params).scalars())
    finally:
        engine.dispose()
    assert "Bitmap Index Scan on chunks_tsv" in plan, plan
    assert "Seq Scan on chunks" not in plan, plan


async def test_a_reindexed_file_finds_its_stored_vectors_by_what_was_embedded(index_stack: IndexStack) -> None:
    """What re-indexing reuses: each stored chunk's vector under the text it was embedded from, and only
    the tenant's own (another tenant asking for the same file in a guessed collection gets nothing)."""
    tenant = new_tenant()
    collection, file_id = uuid.UUID(await index_stack.collection(tenant)), uuid.uuid4()
    chunks = [Chunk("Leave is 28 days.", "Annual leave", "text", 1, 1, 0, 17),
              Chunk("city: Oslo; employees: 45", "offices | city, employees", "table_row", 0, 2, 0, 25)]
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(2, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    with IndexWriter(index_stack.database_url, tenant) as writer:
        writer.replace(collection, file_id, display_name="hand_book.md", media_type="text/markdown",
                       job_id=str(uuid.uuid4()), chunks=chunks, vectors=vectors)
        stored = writer.stored_vectors(collection, file_id)
    assert list(stored) == embedding_texts("hand_book.md", chunks)
    for text, vector in zip(embedding_texts("hand_book.md", chunks), vectors, strict=True):
        assert float(np.dot(stored[text], vector)) > SAME_MODEL_COSINE
        # written in pgvector's binary form: every bit of the float32 vector kept (text had six digits)
        assert np.array_equal(stored[text], vector)
    with IndexWriter(index_stack.database_url, new_tenant()) as stranger:
        assert stranger.stored_vectors(collection, file_id) == {}


async def test_the_full_text_search_never_returns_another_tenants_chunks(index_stack: IndexStack) -> None:
    """The GIN index finds every tenant's chunks holding the word; the tenant policy still filters them."""
    owner, other = new_tenant(), new_tenant()
    secret = "The quokka protocol governs every zeppelin hangar.\n"
    theirs = await index_stack.collection(other)
    stolen = await index_stack.index_upload(other, theirs, ("# Secrets\n\n" + secret).encode(), "secret.md")
    mine = await index_stack.collection(owner)
    kept = await index_stack.index_upload(owner, mine, HANDBOOK.encode(), "handbook.md")
    engine = create_engine(DatabaseSettings(database_url=index_stack.database_url))
    try:
        store = IndexStore(engine)
        vector = "[" + ",".join(["0.05"] * 384) + "]"
        found = await store.search(owner, uuid.UUID(mine), "quokka protocol zeppelin hangar", vector,
                                   search.DocumentSelection(), search.CANDIDATES)
        assert {c.file_id for c in found.by_text + found.by_vector} <= {kept.inputs.file_ids[0]}
        assert not any("quokka" in c.content for c in found.by_text + found.by_vector)
        # The other tenant's own search finds it by its words: the index does hold it.
        theirs_found = await store.search(other, uuid.UUID(theirs), "quokka protocol zeppelin hangar", vector,
                                          search.DocumentSelection(), search.CANDIDATES)
        assert [c.file_id for c in theirs_found.by_text] == [stolen.inputs.file_ids[0]]
        with pytest.raises(NotFound):  # a guessed collection id of the other tenant
            await store.search(owner, uuid.UUID(theirs), "quokka", vector, search.DocumentSelection(),
                               search.CANDIDATES)
    finally:
        await engine.dispose()


async def test_concurrent_questions_are_searched_over_the_pools_kept_connections_only(index_stack: IndexStack) -> None:
    """More questions at once than the pool keeps connections wait for one instead of opening overflow
    connections for a single question each (PostgreSQL's CPU per question rose by ~70% with them)."""
    owner = new_tenant()
    mine = await index_stack.collection(owner)
    await index_stack.index_upload(owner, mine, HANDBOOK.encode(), "handbook.md")
    engine = create_engine(DatabaseSettings(database_url=index_stack.database_url, database_pool_size=2,
                                            database_max_overflow=10))
    opened: list[object] = []
    sqlalchemy.event.listen(engine.sync_engine, "connect", lambda connection, record: opened.append(connection))
    try:
        store = IndexStore(engine)
        vector = "[" + ",".join(["0.05"] * 384) + "]"
        found = await asyncio.gather(*(store.search(owner, uuid.UUID(mine), f"annual leave days {n}", vector,
                                                    search.DocumentSelection(), search.CANDIDATES)
                                       for n in range(24)))
        assert all(f.by_vector for f in found)
        assert len(opened) <= 2
    finally:
        await engine.dispose()


async def test_a_question_the_collection_cannot_answer_is_no_answer_with_the_nearest_passages(
    index_stack: IndexStack,
) -> None:
    tenant = new_tenant()
    collection = await index_stack.collection(tenant)
    await index_stack.index_upload(tenant, collection, HANDBOOK.encode(), "handbook.md")
    answer = await index_stack.ask(tenant, collection, "What is the boiling point of liquid nitrogen in kelvin?")
    assert not answer.answered and answer.answer == "" and answer.passages


@pytest.mark.parametrize(("fields", "code", "field"), [
    ({"question": ""}, grpc.StatusCode.INVALID_ARGUMENT, "question"),
    ({"question": "   "}, grpc.StatusCode.INVALID_ARGUMENT, "question"),
    ({"question": "why? " * 20_000}, grpc.StatusCode.INVALID_ARGUMENT, "question"),
    ({"question": "leave", "top_k": 21}, grpc.StatusCode.INVALID_ARGUMENT, "top_k"),
    ({"question": "leave", "file_ids": ["nope"]}, grpc.StatusCode.INVALID_ARGUMENT, "file_ids[0]"),
    ({"question": "leave", "collection_id": "nope"}, grpc.StatusCode.INVALID_ARGUMENT, "collection_id"),
    ({"question": "leave", "collection_id": str(uuid.uuid4())}, grpc.StatusCode.NOT_FOUND, ""),
])
async def test_bad_questions_are_refused_precisely(
    index_stack: IndexStack, fields: dict[str, object], code: grpc.StatusCode, field: str,
) -> None:
    tenant = new_tenant()
    request: dict[str, object] = {"collection_id": await index_stack.collection(tenant), **fields}
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await index_stack.index.AskQuestion(ix.AskQuestionRequest(**request),  # type: ignore[arg-type]
                                            metadata=index_stack.token(tenant))
    assert refused.value.code() == code
    if field:
        assert field in str(refused.value.trailing_metadata())


async def test_collection_names_are_unique_per_tenant_and_writes_need_a_writer(index_stack: IndexStack) -> None:
    tenant = new_tenant()
    await index_stack.collection(tenant, "contracts")
    for name, code in (("contracts", grpc.StatusCode.ALREADY_EXISTS), ("", grpc.StatusCode.INVALID_ARGUMENT),
                       ("x" * 201, grpc.StatusCode.INVALID_ARGUMENT)):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await index_stack.collection(tenant, name)
        assert refused.value.code() == code
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await index_stack.index.CreateCollection(ix.CreateCollectionRequest(name="mine"),
                                                 metadata=index_stack.token(tenant, ("readonly",)))
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED


@pytest.fixture(scope="module")
async def rest(index_stack: IndexStack) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway app over the real jobs, ingest and analysis (IndexService) of the module."""
    files = index_stack.files
    channels = Channels(open_channel(f"127.0.0.1:{files.jobs.server.port}"), open_channel(files.ingest.address),
                        open_channel(f"127.0.0.1:{index_stack.worker.port}"))
    app = create_app(gateway_settings(), channels)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
            yield client
    finally:
        await channels.close()


def bearer_of(index_stack: IndexStack, tenant: str) -> dict[str, str]:
    return {"Authorization": dict(index_stack.token(tenant))["authorization"]}


async def test_collections_and_ask_over_rest(index_stack: IndexStack, rest: httpx.AsyncClient) -> None:
    tenant = new_tenant()
    headers = bearer_of(index_stack, tenant)
    created = await rest.post("/v1/collections", json={"name": "handbooks", "description": "HR"}, headers=headers)
    assert created.status_code == 201, created.text
    collection = created.json()["id"]
    assert created.headers["location"] == f"/v1/collections/{collection}"
    assert (await rest.post("/v1/collections", json={"name": "handbooks"}, headers=headers)).status_code == 409
    await index_stack.index_upload(tenant, collection, HANDBOOK.encode(), "handbook.md")

    listed = (await rest.get("/v1/collections", headers=headers)).json()
    assert [(c["id"], c["document_count"]) for c in listed["collections"]] == [(collection, 1)]
    answer = await rest.post(f"/v1/collections/{collection}:ask", headers=headers,
                             json={"question": "How many days of paid annual leave?", "top_k": 2})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["answered"] is True and len(body["passages"]) == 2
    assert body["passages"][0]["citation"]["display_name"] == "handbook.md"
    assert "twenty-eight days" in body["answer"]

    empty = await rest.post(f"/v1/collections/{collection}:ask", headers=headers, json={"question": ""})
    assert empty.status_code == 400 and [v["field"] for v in empty.json()["violations"]] == ["question"]
    not_json = await rest.post(f"/v1/collections/{collection}:ask", headers=headers, content=b"[1]")
    assert not_json.status_code == 400 and not_json.json()["code"] == "INVALID_REQUEST_BODY"
    unknown = await rest.post(f"/v1/collections/{uuid.uuid4()}:ask", headers=headers, json={"question": "leave"})
    assert unknown.status_code == 404
    other = await rest.post(f"/v1/collections/{collection}:ask", headers=bearer_of(index_stack, new_tenant()),
                            json={"question": "leave"})
    assert other.status_code == 404

    assert (await rest.delete(f"/v1/collections/{collection}", headers=headers)).status_code == 204
    assert (await rest.get(f"/v1/collections/{collection}", headers=headers)).status_code == 404


async def test_assay_ask_by_collection_name_prints_the_answer_and_citations(
    index_stack: IndexStack, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    tenant = new_tenant()
    collection = await index_stack.collection(tenant, "hr")
    await index_stack.index_upload(tenant, collection, HANDBOOK.encode(), "handbook.md")
    token = dict(index_stack.token(tenant))["authorization"].removeprefix("Bearer ")
    files = index_stack.files
    (tmp_path / "stack.json").write_text(json.dumps({"token": token, "endpoints": {
        "jobs": f"127.0.0.1:{files.jobs.server.port}", "ingest": files.ingest.address,
        "analysis": f"127.0.0.1:{index_stack.worker.port}"}}))

    async def assay(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = await asyncio.to_thread(cli_main, ["--data-dir", str(tmp_path), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    code, out, _ = await assay("ask", "hr", "How many days of paid annual leave do employees get?")
    assert code == 0, out
    lines = out.splitlines()
    assert "twenty-eight days" in lines[0]
    assert lines[1].startswith("[1] handbook.md paragraph 1 ") and "Employee handbook > Annual leave" in lines[1]
    assert "»Every employee is entitled to twenty-eight days" in lines[2]
    code, out, _ = await assay("--json", "ask", collection, "annual leave", "--top-k", "1")
    assert code == 0 and len(json.loads(out)["passages"]) == 1
    code, _, err = await assay("ask", "hr", "")
    assert code == 4 and "question" in err
    code, _, err = await assay("ask", "no-such-collection", "annual leave")
    assert code == 2 and "no collection is named 'no-such-collection'" in err
    code, _, err = await assay("ask", str(uuid.uuid4()), "annual leave")
    assert code == 4 and "COLLECTION_NOT_FOUND" in err
    code, out, _ = await assay("collections", "list")
    assert code == 0 and out.split()[:2] == [collection, "hr"]
    code, out, _ = await assay("--json", "ask", "hr", "annual leave", "--meta", "format=markdown",
                               "--indexed-after", "2020-01-01")
    assert code == 0 and json.loads(out)["passages"]
    code, out, _ = await assay("--json", "ask", "hr", "annual leave", "--meta", "format=pdf")
    assert code == 0 and json.loads(out)["passages"] == []
    code, out, _ = await assay("--json", "ask", "hr", "annual leave", "--uploaded-before", "2000-01-01T00:00:00Z")
    assert code == 0 and json.loads(out)["passages"] == []
    code, _, err = await assay("ask", "hr", "annual leave", "--meta", "format")
    assert code == 2 and "KEY=VALUE" in err
    code, _, err = await assay("ask", "hr", "annual leave", "--indexed-after", "yesterday")
    assert code == 2 and "ISO 8601" in err
    code, _, err = await assay("ask", "hr", "annual leave", "--meta", "Bad Key=x")
    assert code == 4 and "filter.metadata" in err


async def test_asking_during_indexing_answers_from_what_is_indexed_and_says_so(index_stack: IndexStack) -> None:
    tenant = new_tenant()
    collection = await index_stack.collection(tenant)
    done = await index_stack.index_upload(tenant, collection, HANDBOOK.encode(), "handbook.md")
    settled = await index_stack.ask(tenant, collection, "How many days of paid annual leave?")
    assert settled.answered and not settled.indexing  # the job said it ended
    running = str(uuid.uuid4())
    with IndexWriter(index_stack.database_url, tenant) as writer:  # what an index job does first
        writer.begin_job(uuid.UUID(collection), running)
        meanwhile = await index_stack.ask(tenant, collection, "How many days of paid annual leave?")
        assert meanwhile.indexing and meanwhile.answered and meanwhile.indexed_documents == 1
        assert meanwhile.passages[0].citation.file_id == done.inputs.file_ids[0]
        elsewhere = new_tenant()
        other = await index_stack.ask(elsewhere, await index_stack.collection(elsewhere), "leave")
        assert not other.indexing
        writer.end_job(uuid.UUID(collection), running)
    assert not (await index_stack.ask(tenant, collection, "annual leave")).indexing


async def test_the_csv_tables_of_a_dependency_job_are_indexed_with_their_columns(index_stack: IndexStack) -> None:
    files = index_stack.files
    tenant = new_tenant()
    collection = await index_stack.collection(tenant, "rates")
    converter = await files.start_worker(worker_analyzers="xml_to_csv")
    try:
        submitted = await files.ingest.files.SubmitDocument(
            submit_requests(chunked(xmldocs.RATE_FEED), analyzer="xml_to_csv", name="rates.xml"),
            metadata=index_stack.token(tenant))
        await files.settled(submitted.job.id, tenant, Job.STATE_SUCCEEDED, timeout=60)
    finally:
        await converter.stop(5.0)
    params = job_pb2.JobParams(index=ix.IndexParams(collection_id=collection))
    created = await files.jobs.jobs.CreateJob(js.CreateJobRequest(  # the dependency only, no file
        analyzer="index", params=params, inputs=job_pb2.JobInputs(jobs=[submitted.job.id])),
        metadata=files.jobs.token(tenant=tenant))
    done = await files.settled(created.job.id, tenant, Job.STATE_SUCCEEDED, timeout=60)
    assert [f.format for f in done.result.index.files] and all(f.format == "csv" for f in done.result.index.files)
    answer = await index_stack.ask(tenant, collection, "What is the JPY rate?")
    best = answer.passages[0]
    assert "currency: JPY" in best.text and "rate: 161.52" in best.text
    assert best.citation.display_name.endswith(".csv") and best.citation.paragraph >= 1


async def test_file_ids_restrict_the_search_to_those_files(index_stack: IndexStack) -> None:
    tenant = new_tenant()
    collection = await index_stack.collection(tenant)
    handbook = await index_stack.index_upload(tenant, collection, HANDBOOK.encode(), "handbook.md")
    offices = await index_stack.index_upload(tenant, collection, OFFICES.encode(), "offices.csv")
    only = offices.inputs.file_ids[0]
    answer = await index_stack.ask(tenant, collection, "How many days of paid annual leave?", file_ids=[only])
    assert answer.passages and {p.citation.file_id for p in answer.passages} == {only}
    both = await index_stack.ask(tenant, collection, "How many days of paid annual leave?")
    assert both.passages[0].citation.file_id == handbook.inputs.file_ids[0]


@dataclass
class FakeLlm:
    """An OpenAI-compatible chat endpoint that records each request and answers ``reply``."""

    port: int
    requests: list[dict[str, Any]]
    reply: str = ""


@pytest.fixture
async def fake_llm() -> AsyncIterator[FakeLlm]:
    app = FastAPI()
    fake = FakeLlm(0, [])

    @app.post("/v1/chat/completions")
    async def complete(request: Request) -> dict[str, Any]:
        fake.requests.append(await request.json())
        return {"choices": [{"index": 0, "message": {"role": "assistant", "content": fake.reply}}]}

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        return bool(server.started)

    await eventually(started, timeout=10)
    fake.port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield fake
    finally:
        server.should_exit = True
        await task


async def test_a_configured_llm_answers_from_the_retrieved_passages_only_and_must_cite_them(
    index_stack: IndexStack, fake_llm: FakeLlm,
) -> None:
    tenant = new_tenant()
    collection = await index_stack.collection(tenant)
    await index_stack.index_upload(tenant, collection, HANDBOOK.encode(), "handbook.md")
    engine = create_engine(DatabaseSettings(database_url=index_stack.database_url))
    generator = Generator(f"http://127.0.0.1:{fake_llm.port}/v1", "fake-model", "k")
    servicer = IndexServicer(IndexStore(engine), 0.3, generator)
    current_principal.set(Principal("alice", tenant, frozenset({"user"}), "", 0.0))
    question = "How many days of paid annual leave do employees get?"

    async def ask(reply: str, text: str = question) -> ix.AskQuestionResponse:
        fake_llm.reply = reply
        request = ix.AskQuestionRequest(collection_id=collection, question=text, top_k=1)
        return await servicer.AskQuestion(request, None)  # type: ignore[arg-type]

    try:
        grounded = await ask("Twenty-eight days a year [1].")
        assert grounded.generated_answer == "Twenty-eight days a year [1]."
        assert list(grounded.generated_citations) == [1]
        sent = fake_llm.requests[-1]
        assert sent["model"] == "fake-model"
        # The prompt holds the question and the one retrieved passage, nothing else of the collection.
        assert sent["messages"][1]["content"] == f"Passages:\n\n[1] {grounded.passages[0].text}\n\nQuestion: {question}"
        assert "Laptops" not in json.dumps(sent) and "forty euros" not in json.dumps(sent)
        assert not (await ask("Employees get twenty-eight days.")).generated_answer  # cites nothing
        assert not (await ask("See [4].")).generated_answer  # cites a passage it was not given
        assert (await ask("Twenty-eight days [1].")).answer  # the extractive answer stays either way
        requests = len(fake_llm.requests)
        unanswerable = await ask("[1]", "What is the boiling point of liquid nitrogen in kelvin?")
        assert not unanswerable.answered and not unanswerable.generated_answer
        assert len(fake_llm.requests) == requests  # "no answer" asks no LLM
    finally:
        await generator.close()
        await engine.dispose()


async def test_an_uploaded_html_page_is_indexed_by_its_headings_and_tables(index_stack: IndexStack) -> None:
    tenant = new_tenant()
    collection = await index_stack.collection(tenant, "pages")
    page = ("<!doctype html><html><head><title>Fees</title><script>var tracking = 1;</script></head><body>"
            "<h1>Price list</h1><h2>Support</h2><p>Priority support costs ninety euros per month.</p>"
            "<table><tr><th>plan</th><th>seats</th></tr><tr><td>team</td><td>25</td></tr></table></body></html>")
    done = await index_stack.index_upload(tenant, collection, page.encode(), "fees.html")
    assert done.result.index.files[0].format == "html" and done.result.index.chunks == 2
    answer = await index_stack.ask(tenant, collection, "How much does priority support cost?")
    assert answer.passages[0].heading == "Price list > Support"
    assert "ninety euros" in answer.answer
    seats = await index_stack.ask(tenant, collection, "How many seats does the team plan have?")
    assert seats.passages[0].text == "plan: team; seats: 25"


NDA = """# Mutual non-disclosure agreement

This agreement is made between Acme Ltd and Beta GmbH. Each party shall keep the other party's
confidential information secret and shall use it only to evaluate the proposed business relationship.

## Term

The obligations of confidentiality survive for five years after the disclosure.
"""


async def test_metadata_filters_select_documents_by_what_indexing_recorded_and_by_job_metadata(
    index_stack: IndexStack,
) -> None:
    tenant = new_tenant()
    collection = await index_stack.collection(tenant)
    handbook = await index_stack.index_upload(tenant, collection, HANDBOOK.encode(), "handbook.md")
    params = job_pb2.JobParams(index=ix.IndexParams(collection_id=collection, metadata={"team": "legal"}))
    submitted = await index_stack.files.ingest.files.SubmitDocument(
        submit_requests(chunked(NDA.encode()), analyzer="index", name="nda.md", params=params),
        metadata=index_stack.token(tenant))
    nda = await index_stack.files.settled(submitted.job.id, tenant, Job.STATE_SUCCEEDED, timeout=90)
    recorded = dict(nda.result.index.files[0].metadata)
    assert recorded["team"] == "legal" and recorded["format"] == "markdown"
    assert recorded["document_type"] == "nda"
    assert dict(handbook.result.index.files[0].metadata)["format"] == "markdown"

    question = "How many days of paid annual leave do employees get?"
    legal = await index_stack.ask(tenant, collection, question, filter=ix.DocumentFilter(metadata={"team": "legal"}))
    assert legal.passages and {p.citation.file_id for p in legal.passages} == {nda.inputs.file_ids[0]}
    ndas = await index_stack.ask(tenant, collection, question, filter=ix.DocumentFilter(
        metadata={"document_type": "nda", "format": "markdown"}))
    assert {p.citation.file_id for p in ndas.passages} == {nda.inputs.file_ids[0]}
    nothing = await index_stack.ask(tenant, collection, question, filter=ix.DocumentFilter(metadata={"team": "hr"}))
    assert not nothing.passages and not nothing.answered and nothing.indexed_documents == 2


async def test_date_filters_select_documents_by_upload_and_indexing_time(index_stack: IndexStack) -> None:
    tenant = new_tenant()
    collection = await index_stack.collection(tenant)
    first = await index_stack.index_upload(tenant, collection, HANDBOOK.encode(), "handbook.md")
    with psycopg.connect(index_stack.superuser_url) as conn:
        row = conn.execute('SELECT indexed_at, uploaded_at FROM "index".documents WHERE file_id = %s',
                           (first.inputs.file_ids[0],)).fetchone()
    assert row is not None and row[1] is not None and row[1] <= row[0]  # uploaded, then indexed
    boundary = row[0]
    second = await index_stack.index_upload(tenant, collection, NDA.encode(), "nda.md")
    question = "How many days of paid annual leave do employees get?"

    def stamp(moment: Any) -> Any:
        from google.protobuf import timestamp_pb2
        out = timestamp_pb2.Timestamp()
        out.FromDatetime(moment)
        return out

    later = await index_stack.ask(tenant, collection, question,
                                  filter=ix.DocumentFilter(indexed_after=stamp(boundary + timedelta(microseconds=1))))
    assert {p.citation.file_id for p in later.passages} == {second.inputs.file_ids[0]}
    earlier = await index_stack.ask(tenant, collection, question,
                                    filter=ix.DocumentFilter(uploaded_before=stamp(row[1] + timedelta(microseconds=1))))
    assert {p.citation.file_id for p in earlier.passages} == {first.inputs.file_ids[0]}


@pytest.mark.parametrize(("filter_", "field"), [
    ({"metadata": {"Bad Key": "x"}}, "filter.metadata"),
    ({"metadata": {"team": "x" * 201}}, "filter.metadata[team]"),
    ({"metadata": {f"k{i}": "v" for i in range(21)}}, "filter.metadata"),
    ({"indexed_after": {"seconds": 2_000_000_000}, "indexed_before": {"seconds": 1_000_000_000}},
     "filter.indexed_before"),
    ({"uploaded_after": {"seconds": 5}, "uploaded_before": {"seconds": 5}}, "filter.uploaded_before"),
])
async def test_bad_filters_are_refused_precisely(index_stack: IndexStack, filter_: dict[str, Any], field: str) -> None:
    tenant = new_tenant()
    collection = await index_stack.collection(tenant)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await index_stack.ask(tenant, collection, "leave", filter=ix.DocumentFilter(**filter_))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert f"'{field}'" in str(refused.value.trailing_metadata()) or field in str(refused.value.trailing_metadata())


async def test_filters_over_rest(index_stack: IndexStack, rest: httpx.AsyncClient) -> None:
    tenant = new_tenant()
    headers = bearer_of(index_stack, tenant)
    collection = await index_stack.collection(tenant)
    await index_stack.index_upload(tenant, collection, HANDBOOK.encode(), "handbook.md")
    body = {"question": "How many days of paid annual leave?", "filter": {"metadata": {"format": "markdown"},
                                                                        "indexed_after": "2020-01-01T00:00:00Z"}}
    found = await rest.post(f"/v1/collections/{collection}:ask", headers=headers, json=body)
    assert found.status_code == 200, found.text
    assert "twenty-eight days" in found.json()["answer"]
    body["filter"] = {"metadata": {"format": "pdf"}}
    none = await rest.post(f"/v1/collections/{collection}:ask", headers=headers, json=body)
    assert none.status_code == 200 and none.json()["passages"] == [] and none.json()["answered"] is False
    body["filter"] = {"indexed_after": "2030-01-01T00:00:00Z", "indexed_before": "2020-01-01T00:00:00Z"}
    bad = await rest.post(f"/v1/collections/{collection}:ask", headers=headers, json=body)
    assert bad.status_code == 400 and [v["field"] for v in bad.json()["violations"]] == ["filter.indexed_before"]
    huge = await rest.post(f"/v1/collections/{collection}:ask", headers=headers, json={"question": "why? " * 20_000})
    assert huge.status_code == 400 and [v["field"] for v in huge.json()["violations"]] == ["question"]
    bad_date = await rest.post(f"/v1/collections/{collection}:ask", headers=headers,
                               json={"question": "leave", "filter": {"indexed_after": "yesterday"}})
    assert bad_date.status_code == 400, bad_date.text


async def test_a_csv_of_questions_is_answered_as_a_job_into_a_spreadsheet_safe_csv(index_stack: IndexStack) -> None:
    tenant = new_tenant()
    collection = await index_stack.collection(tenant)
    await index_stack.index_upload(tenant, collection, HANDBOOK.encode(), "handbook.md")
    offices = await index_stack.index_upload(tenant, collection, OFFICES.encode(), "offices.csv")
    questions = (
        "question,metadata.format,indexed_after\n"
        "How many days of paid annual leave do employees get?,,\n"
        "How many employees work in Oslo?,csv,2020-01-01\n"
        "What is the boiling point of liquid nitrogen in kelvin?,,\n"
        ",,\n"
        '"=HYPERLINK(""http://evil.example"",""annual leave"")",,\n'
        "How many days of paid annual leave do employees get?,,not a date\n"
        "How many days of paid annual leave do employees get?,pdf,\n"
    )
    params = job_pb2.JobParams(ask=ix.AskParams(collection_id=collection))
    submitted = await index_stack.files.ingest.files.SubmitDocument(
        submit_requests(chunked(questions.encode()), analyzer="ask", name="questions.csv", params=params),
        metadata=index_stack.token(tenant))
    done = await index_stack.files.settled(submitted.job.id, tenant, Job.STATE_SUCCEEDED, timeout=90)
    result = done.result.ask
    assert (result.questions, result.skipped) == (6, 1)
    artifact = next(a for a in done.artifacts if a.name == "answers.csv")
    link = await index_stack.files.ingest.files.GetDownloadUrl(ing.GetDownloadUrlRequest(id=artifact.file_id),
                                                              metadata=index_stack.token(tenant))
    header, *rows = csv_lines(await download(link.url))
    assert header[:4] == ["row", "question", "answered", "answer"] and header[-1] == "error"
    by_row = {int(r[0]): dict(zip(header, r, strict=True)) for r in rows}
    assert result.answered == sum(r["answered"] == "true" for r in by_row.values()) >= 2
    assert by_row[1]["answered"] == "true" and "twenty-eight days" in by_row[1]["answer"]
    assert by_row[1]["display_name"] == "handbook.md" and by_row[1]["paragraph"] == "1"
    assert by_row[2]["file_id"] == offices.inputs.file_ids[0] and "Oslo" in by_row[2]["passage"]
    assert by_row[3]["answered"] == "false" and by_row[3]["answer"] == ""
    assert 4 not in by_row  # no question: skipped
    assert by_row[5]["question"].startswith("'=HYPERLINK(")  # neutralised, shown as text
    assert by_row[6]["answered"] == "false" and "indexed_after" in by_row[6]["error"]
    assert by_row[7]["answered"] == "false" and by_row[7]["passage"] == ""  # no PDF in the collection


@pytest.mark.parametrize(("questions", "params", "code"), [
    ("text\nhello\n", {}, "COLUMN_MISSING"),
    ("question\nhello\n", {"collection_id": str(uuid.uuid4())}, "COLLECTION_NOT_FOUND"),
    ("question\nhello\n", {"filter": ix.DocumentFilter(metadata={"Bad Key": "x"})}, "PARAMS_INVALID"),
])
async def test_a_questions_job_with_bad_input_fails_precisely(
    index_stack: IndexStack, questions: str, params: dict[str, Any], code: str,
) -> None:
    tenant = new_tenant()
    collection = await index_stack.collection(tenant)
    ask = ix.AskParams(**{"collection_id": collection, **params})
    submitted = await index_stack.files.ingest.files.SubmitDocument(
        submit_requests(chunked(questions.encode()), analyzer="ask", name="questions.csv",
                        params=job_pb2.JobParams(ask=ask)), metadata=index_stack.token(tenant))
    failed = await index_stack.files.settled(submitted.job.id, tenant, Job.STATE_FAILED, timeout=60)
    assert failed.error.code == code
