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
- **indexing**: pages/s (PDF), chunks/s, per document and in total (extraction + embedding + write);
- **latency**: AskQuestion p50/p99 over ``--asks`` questions from ``--askers`` concurrent askers; with
  ``--scale N`` the tenant first gets N synthetic chunks (random unit vectors, filler text) in a
  second collection, so HNSW and full text search a table of that size.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent

from assay.analysis.analyzers.contract_review.embedding import default_embedder  # noqa: E402
from assay.analysis.analyzers.index.chunks import embedding_texts, pack  # noqa: E402
from assay.analysis.analyzers.index.units import read_units  # noqa: E402
from assay.analysis.analyzers.index.writer import IndexWriter, psycopg_conninfo  # noqa: E402
from assay.analysis.config import AnalysisSettings  # noqa: E402
from assay.analysis.index_service import IndexServicer  # noqa: E402
from assay.analysis.index_store import IndexStore  # noqa: E402
from assay.analysis.migrations import upgrade  # noqa: E402
from assay.common.auth import Principal, current_principal  # noqa: E402
from assay.common.config import DatabaseSettings  # noqa: E402
from assay.common.db import create_engine  # noqa: E402
from assay.devstack.servers.postgres import PostgresServer  # noqa: E402
from assay.v1 import index_pb2 as pb  # noqa: E402

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


def index_documents(corpus: Path, names: list[str], database_url: str, collection: uuid.UUID) -> list[Indexed]:
    model = default_embedder()
    assert model is not None, "the embedding model is not installed"
    model.embed(["warm up"])
    out: list[Indexed] = []
    with IndexWriter(database_url, TENANT) as writer:
        for name in names:
            path = corpus / name
            started = time.perf_counter()
            media_type = MEDIA_TYPES.get(path.suffix, "text/plain")
            file_id = uuid.uuid5(uuid.NAMESPACE_URL, name)
            read = read_units(path, file_id=str(file_id), display_name=path.name, media_type=media_type)
            chunks = pack(read.units)
            vectors = model.embed(embedding_texts(path.name, chunks))
            writer.replace(collection, file_id, display_name=path.name, media_type=media_type, job_id=str(uuid.uuid4()),
                           chunks=chunks, vectors=vectors)
            out.append(Indexed(str(file_id), name, read.pages, len(chunks), time.perf_counter() - started))
    return out


async def ask(servicer: IndexServicer, collection: uuid.UUID, question: str, top_k: int) -> pb.AskQuestionResponse:
    request = pb.AskQuestionRequest(collection_id=str(collection), question=question, top_k=top_k)
    return await servicer.AskQuestion(request, None)  # type: ignore[arg-type]


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


async def latency(servicer: IndexServicer, collection: uuid.UUID, questions: list[str], asks: int, askers: int,
                  top_k: int) -> dict[str, float]:
    queue = [questions[i % len(questions)] for i in range(asks)]
    timings: list[float] = []

    async def asker() -> None:
        while queue:
            question = queue.pop()
            started = time.perf_counter()
            await ask(servicer, collection, question, top_k)
            timings.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(asker() for _ in range(askers)))
    wall = time.perf_counter() - started
    timings.sort()
    return {"asks": asks, "askers": askers, "p50_ms": round(1000 * statistics.median(timings), 1),
            "p99_ms": round(1000 * timings[min(len(timings) - 1, int(0.99 * len(timings)))], 1),
            "asks_per_second": round(asks / wall, 1)}


def add_synthetic_chunks(database_url: str, count: int) -> float:
    """``count`` chunks with random unit vectors and filler words in a collection of their own."""
    import numpy as np
    import psycopg

    from assay.analysis.analyzers.index.writer import vector_literal

    words = ["amount", "invoice", "party", "notice", "term", "data", "service", "fee", "period", "record",
             "report", "clause"]
    rng = np.random.default_rng(7)
    started = time.perf_counter()
    with psycopg.connect(psycopg_conninfo(database_url)) as conn:
        conn.execute("SELECT set_config('assay.tenant_id', %s, false)", (TENANT,))
        collection = uuid.uuid4()
        conn.execute('INSERT INTO "index".collections (id, tenant_id, name, created_by) VALUES (%s, %s, %s, %s)',
                     (collection, TENANT, "synthetic", "bench"))
        for start in range(0, count, 5000):
            size = min(5000, count - start)
            file_id = uuid.uuid4()
            conn.execute('INSERT INTO "index".documents (tenant_id, collection_id, file_id, display_name, media_type, '
                         "job_id, chunk_count) VALUES (%s, %s, %s, 'synthetic.txt', 'text/plain', %s, %s)",
                         (TENANT, collection, file_id, uuid.uuid4(), size))
            vectors = rng.normal(size=(size, 384)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            with conn.cursor() as cur:
                cur.executemany(
                    'INSERT INTO "index".chunks (tenant_id, collection_id, file_id, ordinal, kind, content, embedding) '
                    "VALUES (%s, %s, %s, %s, 'text', %s, %s::vector)",
                    [(TENANT, collection, file_id, i, " ".join(random.choices(words, k=40)), vector_literal(v))
                     for i, v in enumerate(vectors)])
            conn.commit()
    return time.perf_counter() - started


async def run(args: argparse.Namespace) -> dict[str, Any]:
    labels = yaml.safe_load(args.labels.read_text())
    with tempfile.TemporaryDirectory() as tmp, PostgresServer(Path(tmp)) as postgres:
        postgres.create_role("bench", "bench")
        postgres.create_database("bench", owner="bench")
        url = postgres.url_for("bench", user="bench", password="bench")
        upgrade(url)
        engine = create_engine(DatabaseSettings(database_url=url))
        store = IndexStore(engine, AnalysisSettings().index_ef_search)
        servicer = IndexServicer(store, AnalysisSettings().index_min_similarity)
        current_principal.set(Principal("bench", TENANT, frozenset({"user"}), "", 0.0))
        collection = uuid.UUID((await servicer.CreateCollection(pb.CreateCollectionRequest(name="eval"), None))  # type: ignore[arg-type]
                               .collection.id)
        indexed = await asyncio.to_thread(index_documents, args.corpus, labels["documents"], url, collection)
        files = {i.name: i.file_id for i in indexed}
        answers = [await ask(servicer, collection, q["question"], args.k) for q in labels["questions"]]
        quality = evaluate(labels, answers, files, args.k)
        questions = [q["question"] for q in labels["questions"]]
        speed = {"small": await latency(servicer, collection, questions, args.asks, args.askers, args.k)} \
            if args.asks else {}
        if args.scale and args.asks:
            seconds = await asyncio.to_thread(add_synthetic_chunks, url, args.scale)
            speed["scaled"] = {"synthetic_chunks": args.scale, "insert_seconds": round(seconds, 1),
                               **await latency(servicer, collection, questions, args.asks, args.askers, args.k)}
        await engine.dispose()
    pdf = [i for i in indexed if i.pages]
    total_seconds = sum(i.seconds for i in indexed)
    return {
        "quality": quality,
        "indexing": {
            "documents": [{"name": i.name, "pages": i.pages, "chunks": i.chunks, "seconds": round(i.seconds, 2)}
                          for i in indexed],
            "chunks_per_second": round(sum(i.chunks for i in indexed) / total_seconds, 1),
            "pdf_pages_per_second": round(sum(i.pages for i in pdf) / max(sum(i.seconds for i in pdf), 1e-9), 1),
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
    parser.add_argument("--scale", type=int, default=0, help="synthetic chunks added before a second latency run")
    parser.add_argument("--json", type=Path, help="also write the figures here")
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
