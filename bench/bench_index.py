"""Indexing speed per document, by stage: extraction, chunking, embedding — pages/s wall, pages per
CPU-second, and the word pieces embedded per page (what the embedding's CPU is proportional to).

Run: ``nice -n 10 .venv/bin/python bench/bench_index.py FILE [FILE ...] [--repeat 3]``, e.g. the
12-page Hetzner DPA and the 59-page pati 10-K of the development corpus. No database: the write
(~40 ms of PostgreSQL CPU for the DPA into a 100k-chunk collection) is timed apart by
``bench/eval_index.py`` (bench/README.md, stop 31); the analyzer's own functions are timed
(``read_units`` → ``pack`` → ``embedding_texts`` → ``embed_passages``), in this process, after one
warm-up call of the model. Each repeat is timed apart; the best wall and the matching CPU are printed
with the load average, since on a shared machine wall time says the load as much as the code.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

from assay.analysis.analyzers.index.analyzer import embedder
from assay.analysis.analyzers.index.chunks import embedding_texts, pack
from assay.analysis.analyzers.index.embedding import cores, embed_passages, word_pieces
from assay.analysis.analyzers.index.units import read_units

MEDIA_TYPES = {".pdf": "application/pdf", ".csv": "text/csv", ".md": "text/markdown", ".html": "text/html"}


def threads() -> int:
    """The batches embedded at once (code before ``ASSAY_INDEX_EMBEDDING_THREADS``: the cores), so the
    script also times older code put first on ``PYTHONPATH`` for an A/B."""
    from assay.analysis.analyzers.index import embedding

    setting = getattr(embedding, "embedding_threads", cores)
    return int(setting())


def cpu_seconds() -> float:
    """This process's CPU time, all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(path: Path) -> dict[str, Any]:
    """One indexing of ``path`` without the write, timed by stage."""
    model = embedder()
    media_type = MEDIA_TYPES.get(path.suffix.lower(), "text/plain")
    wall, cpu = time.perf_counter(), cpu_seconds()
    read = read_units(path, file_id="00000000-0000-0000-0000-000000000000", display_name=path.name,
                      media_type=media_type)
    extracted_cpu = cpu_seconds()
    chunks = pack(read.units)
    texts = embedding_texts(path.name, chunks)
    chunked_wall, chunked_cpu = time.perf_counter(), cpu_seconds()
    embed_passages(model, texts)
    end_wall, end_cpu = time.perf_counter(), cpu_seconds()
    pages = read.pages or 1
    pieces = sum(word_pieces(texts))
    content = sum(word_pieces([c.content for c in chunks]))
    return {
        "file": path.name, "pages": read.pages, "chunks": len(chunks),
        "word_pieces": pieces, "word_pieces_per_page": round(pieces / pages, 1),
        "content_word_pieces": content,
        "wall_s": round(end_wall - wall, 3), "cpu_s": round(end_cpu - cpu, 3),
        "extract_cpu_s": round(extracted_cpu - cpu, 3), "chunk_cpu_s": round(chunked_cpu - extracted_cpu, 3),
        "embed_cpu_s": round(end_cpu - chunked_cpu, 3), "embed_wall_s": round(end_wall - chunked_wall, 3),
        "pages_per_s": round(pages / (end_wall - wall), 2),
        "pages_per_cpu_s": round(pages / max(end_cpu - cpu, 1e-9), 2),
        "load": round(os.getloadavg()[0], 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", type=Path, nargs="+", help="documents to index (PDF, DOCX, markdown, HTML, CSV, text)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per document (the fastest is kept)")
    parser.add_argument("--json", type=Path, help="also write every run here")
    args = parser.parse_args()
    embedder().embed(["warm up"])
    print(f"embedding threads: {threads()}, cores: {os.cpu_count()}")
    report: list[dict[str, Any]] = []
    for path in args.files:
        runs = [measure(path) for _ in range(args.repeat)]
        best = min(runs, key=lambda r: r["wall_s"])
        report.append({"best": best, "runs": runs})
        cpu = sorted(r["cpu_s"] for r in runs)
        print(json.dumps({**best, "cpu_s_runs": cpu}))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
