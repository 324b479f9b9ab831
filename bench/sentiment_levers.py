"""Measures, with the learned sentiment model's fast path, what more or cleaner or re-weighted training data does.

Run: ``OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/sentiment_levers.py [--data-dir DIR]
[--curve] [--clean] [--review-weights 2,4]``. The fast path (``bench/train_sentiment.py``
step 2: a logistic regression, a minute or two per fit) is refitted on the fitting sentences of
the train split and scored on the calibration slice (never fitted on; the held-out test split is
not read): accuracy over all its sentences (3 classes) and over its clearly polar review sentences
(POSITIVE / NEGATIVE, NEUTRAL counted wrong). A transformer fit costs 20-40 minutes, a fast-path
fit a minute, so the fast path is the affordable probe:

- ``--curve``: the **learning curve**, fitted on 1/8, 1/4, 1/2 and all of the fitting sentences
  (a seeded random subset; the vocabulary from the subset);
- ``--clean``: **confident-learning style cleaning**: each fitting sentence's probability of its
  own label from a 5-fold out-of-fold fit; the sentences below 0.05 / 0.1 / 0.2 left out;
- ``--review-weights``: the Amazon and movie-review sentences (the target domain) weighted that
  many times the others (weights normalised to mean 1).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sentiment_data import LABELS, fetch_sdist, load_sentences
from train_sentiment import fit_fast, in_calibration, vader_rows

from assay.analysis.analyzers.sentiment import lexicon_model
from assay.analysis.analyzers.sentiment._fast import FastModel, softmax
from assay.analysis.analyzers.sentiment._static import StaticEmbeddings

REVIEW_SETS = ("amazonReviewSnippets", "movieReviewSnippets")
FOLDS = 5
SEED = 24


class Probe:
    """The train split's sentences, their features, and fast-path fits scored on the calibration slice."""

    def __init__(self, data_dir: Path) -> None:
        sentences = [s for s in load_sentences(fetch_sdist(data_dir)) if s.split == "train" and s.label is not None]
        self.texts = [s.text for s in sentences]
        self.y = np.array([LABELS.index(s.label or "") for s in sentences])
        calibration = np.array([in_calibration(s) for s in sentences])
        self.fit, self.cal = np.nonzero(~calibration)[0], np.nonzero(calibration)[0]
        self.review = np.array([s.set in REVIEW_SETS for s in sentences])
        self.polar = np.array([sentences[i].clearly_polar_review for i in self.cal])
        self.lexicon = [lexicon_model().score(t) for t in self.texts]
        self.embeddings = StaticEmbeddings.load()
        self.embedded = self.embeddings.mean(self.texts)
        self._work = Path(tempfile.mkdtemp())

    def model(self, rows: np.ndarray, weights: np.ndarray | None = None) -> FastModel:
        path = self._work / "fast.json"
        path.write_text(json.dumps(fit_fast(self.texts, vader_rows(self.lexicon), self.embedded, self.y, rows,
                                            weights)), encoding="utf-8")
        return FastModel.load(path, self.embeddings)

    def probabilities(self, model: FastModel, rows: Sequence[int]) -> np.ndarray:
        return softmax(model.logits([self.texts[i] for i in rows], [self.lexicon[i] for i in rows]))

    def row(self, name: str, rows: np.ndarray, weights: np.ndarray | None = None) -> None:
        predicted = self.probabilities(self.model(rows, weights), self.cal).argmax(1)
        gold = self.y[self.cal]
        print(f"| {name} | {len(rows)} | {(predicted == gold).mean():.4f} | "
              f"{(predicted[self.polar] == gold[self.polar]).mean():.4f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=Path.home() / ".cache" / "assay-sentiment")
    parser.add_argument("--curve", action="store_true")
    parser.add_argument("--clean", action="store_true")
    parser.add_argument("--review-weights", default="", help="comma-separated factors, e.g. 2,4")
    args = parser.parse_args()
    probe = Probe(args.data_dir)
    print("| fast path fitted on | sentences | calibration accuracy | clearly polar reviews |\n|---|---|---|---|")
    probe.row("all fitting sentences (as shipped)", probe.fit)
    if args.curve:
        order = np.random.default_rng(SEED).permutation(probe.fit)
        for share in (8, 4, 2):
            probe.row(f"1/{share} of them", np.sort(order[: len(order) // share]))
    if args.clean:
        folds = np.random.default_rng(SEED).permutation(np.arange(len(probe.fit)) % FOLDS)
        own = np.zeros(len(probe.texts))
        for k in range(FOLDS):
            held = probe.fit[folds == k]
            own[held] = probe.probabilities(probe.model(probe.fit[folds != k]), held)[np.arange(len(held)),
                                                                                     probe.y[held]]
        for threshold in (0.05, 0.1, 0.2):
            kept = probe.fit[own[probe.fit] >= threshold]
            probe.row(f"without those whose own label has p < {threshold} out of fold", kept)
    for factor in (float(f) for f in args.review_weights.split(",") if f):
        weights = np.where(probe.review[probe.fit], factor, 1.0)
        probe.row(f"review sentences weighted {factor:g}x", probe.fit, weights / weights.mean())


if __name__ == "__main__":
    main()
