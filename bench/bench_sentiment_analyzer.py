"""Measures the sentiment analyzer's lexicon (VADER) throughput (rows/s) on a generated 50,000-row CSV.

Run: ``.venv/bin/python bench/bench_sentiment_analyzer.py [--rows N] [--repeat K]``. It prints the
model alone (VADER ``score`` per text) next to the whole analyzer run (reading, scoring,
statistics, items, artifact, progress), so the analyzer's own overhead is visible.
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import tempfile
import time
from pathlib import Path

from assay.analysis.analyzers.sentiment import ANALYZER, lexicon_model
from assay.analysis.plugin import InputDocument
from assay.analysis.testing import LocalRunContext
from assay.v1 import job_pb2, sentiment_pb2

_REVIEWS = (
    "I love this product, it is wonderful!",
    "Absolutely fantastic service, highly recommended.",
    "Works as described and the battery lasts all day. Great value!",
    "This is terrible, I hate it.",
    "Awful quality, broke after one day. Very disappointed.",
    "The seller never answered my messages and the refund took weeks :(",
    "The package arrived on Tuesday.",
    "The box contains two cables and a manual.",
    "It is blue and comes with a charger, not bad but not great either.",
)


def write_csv(path: Path, rows: int, seed: int = 7) -> None:
    """A review export: id, rating and a text of one to three sentences per row."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "rating", "text"])
        for i in range(rows):
            text = " ".join(rng.choice(_REVIEWS) for _ in range(rng.randint(1, 3)))
            writer.writerow([i, rng.randint(1, 5), text])


def bench_model(path: Path) -> float:
    """Rows/s of the model alone over the same texts (the ceiling for the analyzer)."""
    with path.open(encoding="utf-8", newline="") as f:
        texts = [row["text"] for row in csv.DictReader(f)]
    model = lexicon_model()
    start = time.perf_counter()
    for text in texts:
        model.score(text)
    return len(texts) / (time.perf_counter() - start)


def bench_analyzer(path: Path, work_dir: Path) -> tuple[float, int]:
    """Rows/s of one whole analyzer run, and the number of progress reports it made."""
    ctx = LocalRunContext(
        job_id="bench",
        tenant_id="bench",
        params=job_pb2.JobParams(
            sentiment=sentiment_pb2.SentimentParams(model=sentiment_pb2.SENTIMENT_MODEL_KIND_LEXICON)
        ),
        work_dir=work_dir,
        inputs=[InputDocument("bench", path, "text/csv", path.name, path.stat().st_size)],
    )
    start = time.perf_counter()
    result = ANALYZER.run(ctx)
    elapsed = time.perf_counter() - start
    return result.sentiment.statistics.rows_total / elapsed, len(ctx.progress)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-sentiment-") as tmp:
        work_dir = Path(tmp)
        path = work_dir / "reviews.csv"
        write_csv(path, args.rows)
        size_mb = path.stat().st_size / (1024 * 1024)
        print(f"input: {args.rows} rows, {size_mb:.1f} MB CSV")

        start = time.perf_counter()
        lexicon_model()
        print(f"model load: {1000 * (time.perf_counter() - start):.0f} ms (once per process)")

        model_rates = [bench_model(path) for _ in range(args.repeat)]
        runs = [bench_analyzer(path, work_dir) for _ in range(args.repeat)]
        rates = [rate for rate, _ in runs]
        print(f"model only:    {statistics.median(model_rates):,.0f} rows/s (median of {args.repeat})")
        print(
            f"analyzer run:  {statistics.median(rates):,.0f} rows/s (median of {args.repeat}; "
            f"min {min(rates):,.0f}, max {max(rates):,.0f}; {runs[0][1]} progress reports)"
        )


if __name__ == "__main__":
    main()
