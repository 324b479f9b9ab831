"""Counts a sentiment model's errors on clearly polar review sentences by kind.

Run: ``.venv/bin/python bench/sentiment_errors.py [--split calibration|test] [--models fast,learned]
[--examples N]``.

The sentences are the Amazon and movie-review sentences rated at least 1.0 from 0 (``Sentence.
clearly_polar_review``) of the calibration slice of the train split (``--split calibration``,
the default: what a fix may be chosen on) or of the held-out test split (``--split test``: for
reporting only, never for choosing). Each sentence falls into the first kind it matches:

- **negation**: a negation word ("not", "never", "no", "n't", "nothing", "hardly"...);
- **contrast**: a contrastive conjunction ("but", "however", "although", "though", "yet",
  "whereas", "except");
- **wishful**: a counterfactual ("could have been", "should have", "would have", "wish");
- **lexicon-opposite**: no cue above, and VADER's compound points the other way (a complaint in
  positive words, praise in negative ones);
- **lexicon-silent**: no cue above, and VADER's compound is within ±0.05;
- **other**.

For each model and kind: sentences, errors, error rate, and the errors among the negative ones
(the negative recall's losses), with up to ``--examples`` misjudged sentences per kind.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sentiment_data import fetch_sdist, load_sentences
from train_sentiment import in_calibration

from assay.analysis.analyzers.sentiment import Scores, learned_model, lexicon_model

KINDS = ("negation", "contrast", "wishful", "lexicon-opposite", "lexicon-silent", "other")
_NEGATION = re.compile(
    r"\b(not|no|never|nothing|none|nobody|neither|nor|without|hardly|barely|cannot)\b|n't\b|n’t\b", re.IGNORECASE
)
_CONTRAST = re.compile(r"\b(but|however|although|though|yet|whereas|except)\b", re.IGNORECASE)
_WISHFUL = re.compile(r"\b(could|should|would|might)(\s+not)?\s+have\b|\bwish(ed)?\b|\bif only\b", re.IGNORECASE)


def kind_of(text: str, compound: float, gold: str) -> str:
    """The first kind ``text`` matches (see the module's docstring)."""
    if _NEGATION.search(text):
        return "negation"
    if _CONTRAST.search(text):
        return "contrast"
    if _WISHFUL.search(text):
        return "wishful"
    if abs(compound) < 0.05:
        return "lexicon-silent"
    if (compound > 0) != (gold == "POSITIVE"):
        return "lexicon-opposite"
    return "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=Path.home() / ".cache" / "assay-sentiment")
    parser.add_argument("--split", choices=("calibration", "test"), default="calibration")
    parser.add_argument("--models", default="fast,learned")
    parser.add_argument("--examples", type=int, default=0)
    args = parser.parse_args()

    sentences = [
        s for s in load_sentences(fetch_sdist(args.data_dir))
        if s.clearly_polar_review and (s.split == "test" if args.split == "test" else
                                       s.split == "train" and in_calibration(s))
    ]
    texts = [s.text for s in sentences]
    gold = [s.label or "" for s in sentences]
    lexicon = lexicon_model()
    kinds = [kind_of(t, lexicon.score(t).compound, g) for t, g in zip(texts, gold, strict=True)]
    sizes = Counter(kinds)
    print(f"{len(sentences)} clearly polar review sentences of the {args.split} split "
          f"({sum(g == 'NEGATIVE' for g in gold)} negative)")
    for name in args.models.split(","):
        model = learned_model(cache_entries=0, fast_only=name == "fast")
        outcomes = model.score_batch(texts)
        predicted = [o.label.name if isinstance(o, Scores) else "UNSCORED" for o in outcomes]
        wrong = [p != g for p, g in zip(predicted, gold, strict=True)]
        print(f"\n{name}: accuracy {1 - sum(wrong) / len(wrong):.3f}")
        print("| kind | sentences | errors | error rate | errors on negatives (of negatives) |")
        print("|---|---|---|---|---|")
        for kind in KINDS:
            idx = [i for i, k in enumerate(kinds) if k == kind]
            errors = sum(wrong[i] for i in idx)
            negatives = [i for i in idx if gold[i] == "NEGATIVE"]
            rate = errors / len(idx) if idx else 0.0
            print(f"| {kind} | {sizes[kind]} | {errors} | {rate:.3f} | "
                  f"{sum(wrong[i] for i in negatives)} ({len(negatives)}) |")
        for kind in KINDS if args.examples else ():
            shown = [i for i, k in enumerate(kinds) if k == kind and wrong[i]][: args.examples]
            for i in shown:
                print(f"  {kind}: gold {gold[i]}, got {predicted[i]}: {texts[i]}")


if __name__ == "__main__":
    main()
