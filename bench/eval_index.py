"""Evaluates the search index: retrieval quality of AskQuestion on real documents, indexing
throughput, and AskQuestion latency under concurrent askers.

Run: ``.venv/bin/python bench/eval_index.py CORPUS_DIR [--labels FILE] [--k 5] [--askers 20]
[--asks 400] [--scale N] [--json FILE]``.

``CORPUS_DIR`` holds the documents the label file names (``bench/labels/index/questions.yaml``, paths
relative to it); they are never part of the repository. An embedded PostgreSQL (pgvector) is
started, the ``index`` schema migrated, the documents indexed into one collection of one tenant
with the index analyzer's own code (units → chunks → batched embeddings → ``IndexWriter``), and
every question asked through ``IndexServicer.AskQuestion`` (in process: no gRPC hop). Printed:

- **recall@k** and **MRR**: the rank of the first returned passage that contains the labelled
  answer phrase (case- and whitespace-insensitive) and comes from the labelled document;
- **page accuracy**: of those found, the share cited on a labelled page (PDF questions);
- **answered** on answerable questions, and **"no answer"** on the unanswerable ones, at the
  service's ``ASSAY_INDEX_MIN_SIMILARITY``; with the best similarity of each question, to calibrate it;
- **indexing**: pages/s (PDF), chunks/s, per document and in total (extraction + embedding + write),
  in wall time and in this process's CPU time (pages per CPU-second: the figure a shared machine
  does not distort), with the load average; the write's own wall time and its PostgreSQL backend's
  CPU per document; with ``--index-rounds N`` the documents are indexed N times and the last round
  counts (the first after PostgreSQL starts also reads the indexes into its buffers);
- **latency**: AskQuestion p50/p99 through gRPC (the analysis service's own server: auth interceptor,
  IndexServicer, pooled engine) over ``--asks`` questions from ``--askers`` concurrent askers in a
  process of their own, once with the question-embedding cache off (every question embedded) and once
  with it on, with the CPU per ask of the service (this process), of PostgreSQL (the postmaster and
  its backends) and of the askers;
  with ``--scale N`` the collection then gets N synthetic chunks and both are measured again, and
  the labelled questions are asked again (quality with N distractors).

Synthetic chunks: text of 40-80 words drawn from the indexed documents' own vocabulary (so the
full-text search meets as many matches as in a real collection of that size) and random unit
vectors; they are bulk-loaded with COPY as the superuser (COPY FROM is refused under row-level
security) with the HNSW index dropped and rebuilt after the load. That is a latency fixture, not
the indexing path.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent

from assay.analysis.analyzers.index.chunks import embedding_texts, pack  # noqa: E402
from assay.analysis.analyzers.index.embedding import embed_passages, index_embedder, vector_literal  # noqa: E402
from assay.analysis.analyzers.index.units import read_units  # noqa: E402
from assay.analysis.analyzers.index.writer import IndexWriter, psycopg_conninfo  # noqa: E402
from assay.analysis.config import AnalysisSettings  # noqa: E402
from assay.analysis.index_service import IndexServicer  # noqa: E402
from assay.analysis.index_store import IndexStore  # noqa: E402
from assay.analysis.migrations import upgrade  # noqa: E402
from assay.common.auth import Principal, current_principal, mint_token  # noqa: E402
from assay.common.config import DatabaseSettings  # noqa: E402
from assay.common.db import create_engine  # noqa: E402
from assay.common.grpc_client import open_channel  # noqa: E402
from assay.common.grpc_server import start_grpc_server  # noqa: E402
from assay.devstack.servers.postgres import PostgresServer  # noqa: E402
from assay.v1 import index_pb2 as pb  # noqa: E402
from assay.v1 import index_pb2_grpc  # noqa: E402

TENANT = "bench"
MEDIA_TYPES = {".pdf": "application/pdf", ".csv": "text/csv", ".md": "text/markdown", ".html": "text/html"}


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


@dataclass
class Indexed:
    file_id: str
    name: str
    pages: int
    chunks: int
    seconds: float
    cpu_seconds: float
    texts: list[str]
    write_seconds: float = 0.0
    write_postgres_cpu_seconds: float | None = None


def cpu_seconds() -> float:
    """CPU time of this process, all threads (the embedding runs in a thread pool)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load() -> float:
    return round(os.getloadavg()[0], 1)


def backend_cpu_seconds(writer: IndexWriter) -> float | None:
    """CPU time of the writer's PostgreSQL backend (``None`` where its process may not be read)."""
    import psutil

    try:
        times = psutil.Process(writer._conn.info.backend_pid).cpu_times()
    except (psutil.Error, OSError):
        return None
    return float(times.user + times.system)


def index_documents(corpus: Path, names: list[str], database_url: str, collection: uuid.UUID) -> list[Indexed]:
    """The index analyzer's steps for each document: units, chunks, embeddings, one transaction (its
    wall time and its backend's CPU also apart)."""
    model = index_embedder()
    assert model is not None, "the embedding model is not installed"
    model.embed(["warm up"])
    out: list[Indexed] = []
    with IndexWriter(database_url, TENANT) as writer:
        for name in names:
            path = corpus / name
            started, cpu = time.perf_counter(), cpu_seconds()
            media_type = MEDIA_TYPES.get(path.suffix, "text/plain")
            file_id = uuid.uuid5(uuid.NAMESPACE_URL, name)
            read = read_units(path, file_id=str(file_id), display_name=path.name, media_type=media_type)
            chunks = pack(read.units)
            vectors = embed_passages(model, embedding_texts(path.name, chunks))
            written, backend = time.perf_counter(), backend_cpu_seconds(writer)
            writer.replace(collection, file_id, display_name=path.name, media_type=media_type, job_id=str(uuid.uuid4()),
                           chunks=chunks, vectors=vectors)
            ended, backend_after = time.perf_counter(), backend_cpu_seconds(writer)
            out.append(Indexed(str(file_id), name, read.pages, len(chunks), ended - started,
                               cpu_seconds() - cpu, [c.content for c in chunks], ended - written,
                               None if backend is None or backend_after is None else backend_after - backend))
    return out


@dataclass
class Client:
    stub: index_pb2_grpc.IndexServiceAsyncStub
    metadata: tuple[tuple[str, str], ...]
    address: str = ""


async def ask(client: Client, collection: uuid.UUID, question: str, top_k: int) -> pb.AskQuestionResponse:
    request = pb.AskQuestionRequest(collection_id=str(collection), question=question, top_k=top_k)
    response: pb.AskQuestionResponse = await client.stub.AskQuestion(request, metadata=client.metadata)
    return response


def evaluate(labels: dict[str, Any], answers: list[pb.AskQuestionResponse], files: dict[str, str],
             k: int) -> dict[str, Any]:
    ranks: list[int | None] = []
    pages_ok: list[bool] = []
    answered: list[bool] = []
    no_answer: list[bool] = []
    rows: list[dict[str, Any]] = []
    for question, answer in zip(labels["questions"], answers, strict=True):
        best = max((p.similarity for p in answer.passages), default=-1.0)
        row: dict[str, Any] = {"question": question["question"], "answered": answer.answered,
                               "best_similarity": round(best, 3)}
        if question.get("answerable", True) is False:
            no_answer.append(not answer.answered)
        else:
            answered.append(answer.answered)
            wanted, file_id = _norm(question["answer"]), files[question["document"]]
            rank = next((i for i, p in enumerate(answer.passages[:k], start=1)
                         if p.citation.file_id == file_id and wanted in _norm(p.text)), None)
            ranks.append(rank)
            row["rank"] = rank
            if rank is not None and question.get("pages"):
                pages_ok.append(answer.passages[rank - 1].citation.page in question["pages"])
        rows.append(row)
    found = [r for r in ranks if r is not None]
    return {
        "questions": len(ranks), "unanswerable": len(no_answer),
        f"recall@{k}": round(len(found) / max(len(ranks), 1), 3),
        "recall@1": round(sum(1 for r in found if r == 1) / max(len(ranks), 1), 3),
        "mrr": round(sum(1 / r for r in found) / max(len(ranks), 1), 3),
        "page_accuracy": round(sum(pages_ok) / max(len(pages_ok), 1), 3), "page_questions": len(pages_ok),
        "answered_rate": round(sum(answered) / max(len(answered), 1), 3),
        "no_answer_rate": round(sum(no_answer) / max(len(no_answer), 1), 3),
        "rows": rows,
    }


def server_cpu_seconds(pid: int | None) -> float:
    """CPU time of a server process and its children (PostgreSQL: the postmaster and its backends,
    background processes included: autovacuum, checkpoints)."""
    import psutil

    if pid is None:
        return 0.0
    root = psutil.Process(pid)
    times = root.cpu_times()  # with the backends that have exited (reaped children)
    total = times.user + times.system + times.children_user + times.children_system
    for process in root.children(recursive=True):
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def run_askers(address: str, metadata: tuple[tuple[str, str], ...], collection: uuid.UUID, queue: list[str],
               askers: int, top_k: int, interval: float = 0.0) -> tuple[list[float], float]:
    """The askers, in a process of their own (their event loop and channel), so that their client-side
    CPU is neither counted as the service's nor competing with its event loop; each ask's seconds and
    this process's CPU seconds.

    ``interval`` 0: closed loop, each asker asks again as soon as it has its answer (saturation).
    Otherwise each asker asks once every ``interval`` seconds (interactive users), starting at a random
    phase; an answer later than the next slot is followed by the next question at once."""

    async def main() -> list[float]:
        channel = open_channel(address)
        client = Client(index_pb2_grpc.IndexServiceStub(channel), metadata, address)
        timings: list[float] = []
        phases = random.Random(11)

        async def asker() -> None:
            due = time.perf_counter() + phases.uniform(0, interval)
            while queue:
                if interval:
                    await asyncio.sleep(max(0.0, due - time.perf_counter()))
                    due = max(due + interval, time.perf_counter())
                if not queue:
                    break
                question = queue.pop()
                started = time.perf_counter()
                await ask(client, collection, question, top_k)
                timings.append(time.perf_counter() - started)

        await asyncio.gather(*(asker() for _ in range(askers)))
        await channel.close()
        return timings

    cpu = cpu_seconds()
    timings = asyncio.run(main())
    return timings, cpu_seconds() - cpu


async def latency(client: Client, collection: uuid.UUID, questions: list[str], asks: int, askers: int,
                  top_k: int, postgres_pid: int | None = None, interval: float = 0.0) -> dict[str, Any]:
    queue = [questions[i % len(questions)] for i in range(asks)]
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        await loop.run_in_executor(pool, load)  # the child started and its imports done before the clock
        load_before, started, cpu = load(), time.perf_counter(), cpu_seconds()
        database_cpu = server_cpu_seconds(postgres_pid)
        timings, askers_cpu = await loop.run_in_executor(
            pool, run_askers, client.address, client.metadata, collection, queue, askers, top_k, interval)
        wall = time.perf_counter() - started
        database_cpu = server_cpu_seconds(postgres_pid) - database_cpu
        service_cpu = cpu_seconds() - cpu
    timings.sort()
    return {"asks": asks, "askers": askers, "interval_s": interval,
            "p50_ms": round(1000 * statistics.median(timings), 1),
            "p99_ms": round(1000 * timings[min(len(timings) - 1, int(0.99 * len(timings)))], 1),
            "asks_per_second": round(asks / wall, 1),
            "cpu_ms_per_ask": round(1000 * service_cpu / asks, 1),
            "postgres_cpu_ms_per_ask": round(1000 * database_cpu / asks, 1),
            "askers_cpu_ms_per_ask": round(1000 * askers_cpu / asks, 1), "load": [load_before, load()]}


def add_synthetic_chunks(superuser_url: str, collection: uuid.UUID, count: int, vocabulary: list[str]) -> float:
    """``count`` synthetic chunks in ``collection``, bulk-loaded by COPY with HNSW rebuilt after."""
    import numpy as np
    import psycopg

    rng = np.random.default_rng(7)
    picker = random.Random(7)
    started = time.perf_counter()
    with psycopg.connect(psycopg_conninfo(superuser_url), autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '256MB'")
        conn.execute('DROP INDEX "index".chunks_embedding')
        for start in range(0, count, 10_000):
            size = min(10_000, count - start)
            file_id = uuid.uuid4()
            with conn.transaction():
                conn.execute('INSERT INTO "index".documents (tenant_id, collection_id, file_id, display_name, '
                             "media_type, job_id, chunk_count) VALUES (%s, %s, %s, %s, 'text/plain', %s, %s)",
                             (TENANT, collection, file_id, f"synthetic-{start // 10_000}.txt", uuid.uuid4(), size))
                vectors = rng.normal(size=(size, 384)).astype(np.float32)
                vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
                with conn.cursor().copy('COPY "index".chunks (tenant_id, collection_id, file_id, ordinal, kind, '
                                        "content, embedding) FROM STDIN") as copy:
                    for i, vector in enumerate(vectors):
                        words = " ".join(picker.choices(vocabulary, k=picker.randint(40, 80)))
                        copy.write_row((TENANT, collection, file_id, i, "text", words, vector_literal(vector)))
        conn.execute('CREATE INDEX chunks_embedding ON "index".chunks USING hnsw (embedding vector_cosine_ops)')
        conn.execute('ANALYZE "index".chunks')
    return time.perf_counter() - started


def _database_exists(postgres: PostgresServer, name: str) -> bool:
    with postgres.connect() as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


async def _collection(servicer: IndexServicer, name: str) -> uuid.UUID:
    """The bench's collection: created, or found in a kept ``--data-dir``."""
    for existing in (await servicer.ListCollections(pb.ListCollectionsRequest(), None)).collections:  # type: ignore[arg-type]
        if existing.name == name:
            return uuid.UUID(existing.id)
    created = await servicer.CreateCollection(pb.CreateCollectionRequest(name=name), None)  # type: ignore[arg-type]
    return uuid.UUID(created.collection.id)


def synthetic_chunks(superuser_url: str, collection: uuid.UUID) -> int:
    """How many synthetic chunks a kept ``--data-dir`` already holds in ``collection``."""
    import psycopg

    with psycopg.connect(psycopg_conninfo(superuser_url), autocommit=True) as conn:
        row = conn.execute('SELECT coalesce(sum(chunk_count), 0) FROM "index".documents '
                           "WHERE collection_id = %s AND display_name LIKE 'synthetic-%%'", (collection,)).fetchone()
    return int(row[0]) if row else 0


def document_figures(i: Indexed) -> dict[str, Any]:
    backend = i.write_postgres_cpu_seconds
    return {"name": i.name, "pages": i.pages, "chunks": i.chunks, "seconds": round(i.seconds, 3),
            "cpu_seconds": round(i.cpu_seconds, 3), "write_seconds": round(i.write_seconds, 3),
            "write_postgres_cpu_seconds": None if backend is None else round(backend, 3)}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    labels = yaml.safe_load(args.labels.read_text())
    with tempfile.TemporaryDirectory() as tmp, \
            PostgresServer(args.data_dir or Path(tmp), throwaway=True) as postgres:
        if not _database_exists(postgres, "bench"):
            postgres.create_role("bench", "bench")
            postgres.create_database("bench", owner="bench")
        url = postgres.url_for("bench", user="bench", password="bench")
        upgrade(url)
        secret = "bench-secret-" + uuid.uuid4().hex
        settings = AnalysisSettings(database_url=url, jwt_hs256_secret=secret, grpc_host="127.0.0.1", grpc_port=0)
        engine = create_engine(DatabaseSettings(database_url=url))
        servicer = IndexServicer(IndexStore(engine, settings.index_ef_search), settings.index_min_similarity,
                                 question_cache_bytes=0)
        await servicer.warm()

        def register(grpc_server: Any) -> list[str]:
            index_pb2_grpc.add_IndexServiceServicer_to_server(servicer, grpc_server)
            return ["assay.v1.IndexService"]

        server = await start_grpc_server(settings, register)
        channel = open_channel(f"127.0.0.1:{server.port}")
        token = mint_token(settings, subject="bench", tenant=TENANT, roles=["user"])
        client = Client(index_pb2_grpc.IndexServiceStub(channel),
                        (("authorization", f"Bearer {token}"),), f"127.0.0.1:{server.port}")
        current_principal.set(Principal("bench", TENANT, frozenset({"user"}), "", 0.0))
        collection = await _collection(servicer, "eval")
        load_before = load()
        rounds = [await asyncio.to_thread(index_documents, args.corpus, labels["documents"], url, collection)
                  for _ in range(args.index_rounds)]
        indexed = rounds[-1]
        load_after = load()
        files = {i.name: i.file_id for i in indexed}
        answers = [await ask(client, collection, q["question"], args.k) for q in labels["questions"]]
        quality = evaluate(labels, answers, files, args.k)
        questions = [q["question"] for q in labels["questions"]]
        speed: dict[str, Any] = {}

        async def both(key: str) -> None:
            # every question embedded: a fresh cache of no bytes (the "small" run's cache_on would
            # otherwise answer the scaled cache_off run's questions)
            servicer._questions = type(servicer._questions)(index_embedder, 0)
            speed[key] = {"cache_off": await latency(client, collection, questions, args.asks, args.askers, args.k,
                                                     postgres.pid)}
            if args.interval:
                speed[key]["cache_off_paced"] = await latency(client, collection, questions, args.asks, args.askers,
                                                              args.k, postgres.pid, args.interval)
            servicer._questions = type(servicer._questions)(index_embedder, settings.index_question_cache_bytes)
            speed[key]["cache_on"] = await latency(client, collection, questions, args.asks, args.askers, args.k,
                                                   postgres.pid)

        if args.asks:
            await both("small")
        scaled_quality = None
        if args.scale:
            vocabulary = sorted({w for i in indexed for t in i.texts for w in t.split() if w.isalpha()})
            present = synthetic_chunks(postgres.url_for("bench"), collection)
            seconds = 0.0
            if present < args.scale:
                seconds = await asyncio.to_thread(add_synthetic_chunks, postgres.url_for("bench"), collection,
                                                  args.scale - present, vocabulary)
            speed["synthetic"] = {"chunks": args.scale, "kept_from_data_dir": present,
                                  "copy_and_hnsw_seconds": round(seconds, 1)}
            answers = [await ask(client, collection, q["question"], args.k) for q in labels["questions"]]
            scaled_quality = evaluate(labels, answers, files, args.k)
            if args.asks:
                await both("scaled")
        await channel.close()
        await server.server.stop(1)
        await engine.dispose()
    pdf = [i for i in indexed if i.pages]
    total_seconds = sum(i.seconds for i in indexed)
    total_cpu = sum(i.cpu_seconds for i in indexed)
    pdf_pages = sum(i.pages for i in pdf)
    return {
        "quality": quality,
        "quality_at_scale": {k: v for k, v in scaled_quality.items() if k != "rows"} if scaled_quality else None,
        "indexing": {
            "rounds": args.index_rounds,
            "documents": [document_figures(i) for i in indexed],
            "earlier_rounds": [[document_figures(i) for i in r] for r in rounds[:-1]],
            "chunks_per_second": round(sum(i.chunks for i in indexed) / total_seconds, 1),
            "chunks_per_cpu_second": round(sum(i.chunks for i in indexed) / max(total_cpu, 1e-9), 1),
            "pdf_pages_per_second": round(pdf_pages / max(sum(i.seconds for i in pdf), 1e-9), 1),
            "pdf_pages_per_cpu_second": round(pdf_pages / max(sum(i.cpu_seconds for i in pdf), 1e-9), 1),
            "load": [load_before, load_after],
        },
        "latency": speed,
        "cpu_count": os.cpu_count(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="the corpus root the label file's paths are relative to")
    parser.add_argument("--labels", type=Path, default=ROOT / "bench" / "labels" / "index" / "questions.yaml")
    parser.add_argument("--k", type=int, default=5, help="passages per answer (recall@k)")
    parser.add_argument("--askers", type=int, default=20, help="concurrent askers of the latency run")
    parser.add_argument("--asks", type=int, default=400, help="questions asked in the latency run (0: none)")
    parser.add_argument("--interval", type=float, default=1.0,
                        help="seconds between one asker's questions in the paced latency run (interactive users; "
                             "0: no paced run); the closed-loop run (no think time) is always made")
    parser.add_argument("--scale", type=int, default=0, help="synthetic chunks added before a second latency run")
    parser.add_argument("--index-rounds", type=int, default=1,
                        help="index the documents this many times (each round replaces the last's chunks); the "
                             "figures are the last round's, the earlier rounds' are listed apart (the first write "
                             "after PostgreSQL starts reads the indexes' pages into its buffers)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--data-dir", type=Path,
                        help="keep the PostgreSQL cluster here and reuse it on the next run (the synthetic chunks "
                             "are loaded once; the documents are indexed again every run)")
    args = parser.parse_args()
    report = asyncio.run(run(args))
    quality = report["quality"]
    for row in quality["rows"]:
        mark = "no answer" if not row["answered"] else f"rank {row.get('rank')}"
        print(f"  {row['best_similarity']:6.3f}  {mark:10}  {row['question']}")
    print(json.dumps({k: v for k, v in quality.items() if k != "rows"}, indent=2))
    print(json.dumps({k: v for k, v in report.items() if k != "quality"}, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
