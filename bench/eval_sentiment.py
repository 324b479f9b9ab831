"""Evaluates both sentiment models on labelled data the learned model was not trained on.

Run: ``.venv/bin/python bench/eval_sentiment.py [--data-dir DIR] [--hotel-reviews CSV]
[--throughput-rows N]``.

Sets, each scored by ``lexicon``, ``fast`` (the learned model's fast path alone) and ``learned``
(side by side):

- **held-out**: the test split of ``bench/sentiment_data.py`` (one in five of Hutto & Gilbert's
  rated sentences, never trained or tuned on), POSITIVE / NEGATIVE / NEUTRAL;
- **clearly polar reviews**: its Amazon and movie-review sentences rated at least 1.0 from 0,
  POSITIVE / NEGATIVE only: NEUTRAL and MIXED count as wrong;
- **hotel reviews** (optional): a CSV with ``polarity`` (positive/negative) and ``text`` columns,
  e.g. the Deceptive Opinion Spam corpus (Ott et al.); reviews over the 512-character limit are
  scored on their first 512 characters.

Figures: accuracy, macro-F1, per-class precision / recall / F1, the share of MIXED, expected
calibration error (ECE, 10 equal-width bins over the label's confidence; learned model only),
and rows/s of the model and of a whole batch job (the analyzer on a CSV of the set's texts); for
the learned model, the share of texts its fast path decided.

``--throughput-rows N``: a batch job of each model in ``--throughput-models`` (default
``fast,learned``) over a CSV of N distinct reviews (each two held-out sentences), with its rows/s
wall and per CPU-second, bytes, the time a 10 MB CSV of such rows would take, the process's peak
memory and the load average before and after.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sentiment_data import fetch_sdist, load_sentences, write_review_csv

from assay.analysis.analyzers.sentiment import (
    FAST,
    LEARNED,
    LEXICON,
    MAX_TEXT_CHARS,
    LearnedModel,
    ModelKind,
    Scores,
    SentimentAnalyzer,
    SentimentModel,
    Unscored,
    learned_model,
    lexicon_model,
)
from assay.analysis.plugin import InputDocument
from assay.analysis.testing import LocalRunContext
from assay.v1 import job_pb2, sentiment_pb2

BINS = 10
MODELS = ((LEXICON, "lexicon"), (FAST, "fast"), (LEARNED, "learned"))


@dataclass
class Figures:
    accuracy: float
    macro_f1: float
    per_class: dict[str, tuple[float, float, float, int]]
    mixed_share: float
    unscored: int
    ece: float | None


def ece(confidences: Sequence[float], correct: Sequence[bool]) -> float:
    """Expected calibration error: bin-weighted |accuracy - mean confidence| over 10 bins."""
    total = len(confidences)
    error = 0.0
    for b in range(BINS):
        members = [i for i, c in enumerate(confidences) if min(BINS - 1, int(c * BINS)) == b]
        if members:
            accuracy = sum(correct[i] for i in members) / len(members)
            confidence = sum(confidences[i] for i in members) / len(members)
            error += len(members) / total * abs(accuracy - confidence)
    return error


def reliability(confidences: Sequence[float], correct: Sequence[bool]) -> list[tuple[str, int, float, float]]:
    """Per bin: range, count, mean confidence, accuracy."""
    rows = []
    for b in range(BINS):
        members = [i for i, c in enumerate(confidences) if min(BINS - 1, int(c * BINS)) == b]
        if members:
            rows.append((
                f"{b / BINS:.1f}-{(b + 1) / BINS:.1f}",
                len(members),
                sum(confidences[i] for i in members) / len(members),
                sum(correct[i] for i in members) / len(members),
            ))
    return rows


def figures(gold: Sequence[str], predicted: Sequence[str], confidences: Sequence[float] | None,
            classes: Sequence[str], unscored: int) -> Figures:
    per_class = {}
    for label in classes:
        tp = sum(g == p == label for g, p in zip(gold, predicted, strict=True))
        predicted_n = sum(p == label for p in predicted)
        gold_n = sum(g == label for g in gold)
        precision = tp / predicted_n if predicted_n else 0.0
        recall = tp / gold_n if gold_n else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = (precision, recall, f1, gold_n)
    correct = [g == p for g, p in zip(gold, predicted, strict=True)]
    return Figures(
        accuracy=sum(correct) / len(gold),
        macro_f1=sum(f for _, _, f, _ in per_class.values()) / len(classes),
        per_class=per_class,
        mixed_share=sum(p == "MIXED" for p in predicted) / len(gold),
        unscored=unscored,
        ece=ece(confidences, correct) if confidences is not None else None,
    )


def uncached(kind: ModelKind) -> SentimentModel:
    """The model of ``kind``, the learned one without its per-text cache (every text is new)."""
    if kind == LEXICON:
        return lexicon_model()
    return learned_model(cache_entries=0, fast_only=kind == FAST)


def fast_share(model: SentimentModel) -> str:
    """The share of distinct texts the learned model's fast path decided."""
    if not isinstance(model, LearnedModel):
        return "-"
    total = sum(model.decided.values())
    return f"{model.decided['fast'] / total:.1%}" if total else "-"


_SCORED: dict[tuple[ModelKind, str], Scores | Unscored] = {}
"""Outcomes already computed in this run: a set that repeats another's texts is not scored twice."""


def score(kind: ModelKind, texts: Sequence[str]) -> tuple[list[str], list[float], str, str]:
    """Labels, confidences, model speed (rows per wall second / per CPU second of this process) and
    the share decided by the fast path, over the texts not scored before in this run.

    On a shared machine the wall figure moves with the load; the CPU figure much less.
    """
    model = uncached(kind)
    todo = sorted({t for t in texts if (kind, t) not in _SCORED})
    rate, fast = "-", "-"
    if todo:
        model.score_batch(["A warm-up sentence, great and awful."] * 4)
        if isinstance(model, LearnedModel):
            model.decided.clear()
        started, started_cpu = time.perf_counter(), time.process_time()
        for start in range(0, len(todo), 128):
            chunk = todo[start:start + 128]
            _SCORED.update(((kind, t), o) for t, o in zip(chunk, model.score_batch(chunk), strict=True))
        wall, cpu = time.perf_counter() - started, time.process_time() - started_cpu
        rate = f"{len(todo) / wall:.0f} / {len(todo) / cpu:.0f}"
        fast = fast_share(model)
    outcomes = [_SCORED[(kind, t)] for t in texts]
    labels = [o.label.name if isinstance(o, Scores) else "UNSCORED" for o in outcomes]
    confidences = [o.confidence if isinstance(o, Scores) else 0.0 for o in outcomes]
    return labels, confidences, rate, fast


def job_rate(kind: ModelKind, texts: Sequence[str], work: Path) -> float:
    """Rows/s of a whole analyzer run over a CSV of ``texts``."""
    path = work / f"job-{kind}.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text"])
        writer.writerows([i, t] for i, t in enumerate(texts))
    (work / f"work-{kind}").mkdir()
    ctx = LocalRunContext(
        job_id="eval", tenant_id="eval",
        params=job_pb2.JobParams(sentiment=sentiment_pb2.SentimentParams(model=kind)),
        work_dir=work / f"work-{kind}",
        inputs=[InputDocument("eval", path, "text/csv", path.name, path.stat().st_size)],
    )
    analyzer = SentimentAnalyzer(uncached)
    started = time.perf_counter()
    analyzer.run(ctx)
    return len(texts) / (time.perf_counter() - started)


def report(name: str, gold: list[str], texts: list[str], classes: Sequence[str], work: Path, jobs: bool) -> None:
    print(f"\n## {name} ({len(texts)} texts)\n")
    print("| model | accuracy | macro-F1 | " + " | ".join(f"{c.lower()} P/R/F1" for c in classes)
          + " | MIXED | unscored | ECE | model rows/s (wall / CPU) | fast path | job rows/s |")
    print("|---" * (9 + len(classes)) + "|")
    reliabilities = {}
    for kind, label in MODELS:
        predicted, confidences, rate, fast = score(kind, texts)
        unscored = predicted.count("UNSCORED")
        f = figures(gold, predicted, None if kind == LEXICON else confidences, classes, unscored)
        rate_job = f"{job_rate(kind, texts, work):.0f}" if jobs else "-"
        cells = [f"{p:.2f}/{r:.2f}/{f1:.2f}" for p, r, f1, _ in f.per_class.values()]
        print(f"| {label} | {f.accuracy:.3f} | {f.macro_f1:.3f} | " + " | ".join(cells)
              + f" | {f.mixed_share:.1%} | {f.unscored} | {'-' if f.ece is None else f'{f.ece:.3f}'}"
              + f" | {rate} | {fast} | {rate_job} |")
        if kind != LEXICON:
            reliabilities[label] = reliability(confidences, [g == p for g, p in zip(gold, predicted, strict=True)])
    for label, rows in reliabilities.items():
        print(f"\nReliability ({label}): " + "; ".join(
            f"{r} n={n} conf {c:.2f} acc {a:.2f}" for r, n, c, a in rows))


def throughput(texts: Sequence[str], rows: int, work: Path, kind: ModelKind) -> None:
    """One batch job of ``kind`` over ``rows`` distinct two-sentence reviews (see the module doc)."""
    path = work / f"throughput-{kind}.csv"
    write_review_csv(path, texts, rows=rows, max_chars=MAX_TEXT_CHARS)
    size = path.stat().st_size
    model = learned_model(fast_only=kind == FAST)
    model.score_batch(["A warm-up sentence, great and awful."])
    model.decided.clear()
    (work / f"work-throughput-{kind}").mkdir()
    ctx = LocalRunContext(
        job_id="eval",
        tenant_id="eval",
        params=job_pb2.JobParams(sentiment=sentiment_pb2.SentimentParams(model=kind)),
        work_dir=work / f"work-throughput-{kind}", inputs=[InputDocument("eval", path, "text/csv", path.name, size)],
    )
    load_before = os.getloadavg()[0]
    started, started_cpu = time.perf_counter(), time.process_time()
    SentimentAnalyzer(lambda _kind: model).run(ctx)
    wall, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n## batch job throughput ({model.name}, {rows} distinct reviews, {size / 1e6:.2f} MB)\n")
    print(f"{rows / wall:.0f} rows/s wall, {rows / cpu:.0f} rows per CPU-s; fast path {fast_share(model)}; "
          f"a 10 MB CSV of such rows: {10e6 / size * wall:.0f} s at this rate; peak memory {peak_mib:.0f} MiB; "
          f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=Path.home() / ".cache" / "assay-sentiment")
    parser.add_argument("--hotel-reviews", type=Path, help="CSV with polarity and text columns")
    parser.add_argument("--hotel-every", type=int, default=1, help="score every k-th review only (time)")
    parser.add_argument("--no-jobs", action="store_true", help="skip the whole-job throughput runs")
    parser.add_argument("--throughput-rows", type=int, default=0, help="distinct rows of the throughput job")
    parser.add_argument("--throughput-models", default="fast,learned", help="comma-separated: fast, learned")
    parser.add_argument("--skip-sets", action="store_true", help="only the throughput job")
    args = parser.parse_args()

    held_out = [s for s in load_sentences(fetch_sdist(args.data_dir)) if s.split == "test"]
    labelled = [s for s in held_out if s.label is not None]
    polar = [s for s in labelled if s.clearly_polar_review]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.throughput_rows:
            kinds = {"fast": FAST, "learned": LEARNED}
            for name in args.throughput_models.split(","):
                throughput([s.text for s in held_out], args.throughput_rows, work, kinds[name])
        if args.skip_sets:
            return
        report("held-out sentences", [s.label or "" for s in labelled], [s.text for s in labelled],
               ("POSITIVE", "NEGATIVE", "NEUTRAL"), work, jobs=not args.no_jobs)
        report("clearly polar review sentences", [s.label or "" for s in polar], [s.text for s in polar],
               ("POSITIVE", "NEGATIVE"), work, jobs=False)
        if args.hotel_reviews:
            with args.hotel_reviews.open(encoding="utf-8", newline="") as f:
                reviews = [(r["polarity"].strip().upper(), r["text"].strip()[:MAX_TEXT_CHARS])
                           for r in csv.DictReader(f)][:: args.hotel_every]
            report(f"hotel reviews ({args.hotel_reviews.name})", [g for g, _ in reviews], [t for _, t in reviews],
                   ("POSITIVE", "NEGATIVE"), work, jobs=False)


if __name__ == "__main__":
    main()
