"""Trains contract_review's requirement head: one logistic regression per Art. 28 requirement on
the shipped sentence embeddings (all-MiniLM-L6-v2 int8), and chooses its thresholds by
leave-one-document-out cross-validation on the development documents.

Run: ``.venv/bin/python bench/train_contract_head.py CORPUS_DIR [--write]``.

Training data, all written down:

- every in-context sentence of the development documents (``bench/labels/contract_review/*.yaml``,
  the same labels as ``eval_contract_review.py``; never the hold-out): a sentence is a positive for
  a requirement when it overlaps a labelled span of it, a negative for every other requirement;
- the playbook's own wordings (``playbooks/eu-gdpr-processor-terms.yaml``, written for Assay:
  each recogniser's description and examples, paraphrasing GDPR Art. 28(2)-(4), 32, 33 and
  Chapter V) as positives of their requirement, and its background wordings (governing law,
  liability, ...) as negatives of every requirement.

The head is a *second opinion* next to the patterns and the anchor similarities: a sentence the
head scores below ``veto`` for a requirement is no semantic evidence for it (a stray "Stored
encrypted." is not Art. 32 security), and one it scores at or above ``accept`` counts as found
semantically even when no anchor wording is near. Both thresholds are chosen on the
leave-one-document-out predictions: ``veto`` keeps ``VETO_RECALL`` of the held-out positives,
``accept`` is the lowest threshold whose held-out precision reaches ``ACCEPT_PRECISION``.
Deterministic (lbfgs, fixed data order); ``--write`` stores the weights in the analyzer's
``model/requirement_head.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from eval_contract_review import MEDIA, load_labels, supports  # noqa: E402

from assay.analysis.analyzers.contract_review.embedding import Embedder, default_embedder  # noqa: E402
from assay.analysis.analyzers.contract_review.extract import extract_file  # noqa: E402
from assay.analysis.analyzers.contract_review.matching import build_units  # noqa: E402
from assay.analysis.analyzers.contract_review.parties import canonical_roles  # noqa: E402
from assay.analysis.analyzers.contract_review.playbook import all_recognisers, select_playbook  # noqa: E402
from assay.analysis.analyzers.contract_review.requirement_head import HEAD_PATH  # noqa: E402
from assay.analysis.analyzers.contract_review.segment import segment  # noqa: E402

C = 1.0
VETO_RECALL = 0.98
ACCEPT_PRECISION = 0.95


class DiskCachedEmbedder:
    """The embedder, remembering vectors in an ``.npz`` file (only to repeat runs quickly)."""

    def __init__(self, inner: Embedder, path: Path | None) -> None:
        self.inner, self.path, self.name = inner, path, inner.name
        self.known: dict[str, np.ndarray] = {}
        if path is not None and path.is_file():
            with np.load(path) as data:
                self.known = dict(zip(data["texts"].tolist(), data["vectors"], strict=True))

    def embed(self, texts: list[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in self.known]
        if todo:
            self.known.update(zip(todo, self.inner.embed(todo), strict=True))
            if self.path is not None:
                np.savez(self.path, texts=np.asarray(list(self.known)), vectors=np.stack(list(self.known.values())))
        return np.stack([self.known[t] for t in texts]).astype(np.float32)


def document_sentences(path: Path) -> tuple[list[str], list[str]]:
    """The in-context sentences of a document: as the matcher embeds them, and as quoted."""
    playbook = select_playbook("vendor_dpa", "EU", "", None)
    media = MEDIA.get(path.suffix.lower(), "text/plain")
    document = extract_file(path, file_id="f", display_name=path.name, media_type=media)
    units = build_units(segment([document]), playbook)
    return [canonical_roles(u.semantic_text) for u in units if u.in_context], [u.text for u in units if u.in_context]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path, nargs="+")
    parser.add_argument(
        "--labels",
        type=Path,
        action="append",
        help="a folder of label files (repeatable; default: the development set bench/labels/contract_review)",
    )
    parser.add_argument("--write", action="store_true", help="store the head in the analyzer's model folder")
    parser.add_argument("--cache", type=Path, help="keep sentence embeddings in this .npz between runs")
    parser.add_argument(
        "--folds",
        type=Path,
        help="also write one head per development document, trained without it (for eval --head-folds)",
    )
    args = parser.parse_args()
    model = default_embedder()
    if model is None:
        print("the embedding model is not installed", file=sys.stderr)
        return 1
    embedder = DiskCachedEmbedder(model, args.cache)
    playbook = select_playbook("vendor_dpa", "EU", "", None)
    ids = [r.id for r in playbook.requirements]
    groups: list[tuple[str, np.ndarray, np.ndarray]] = []
    folders = args.labels or [ROOT / "bench" / "labels" / "contract_review"]
    labels = [label for folder in folders for label in load_labels(folder, args.corpus)]
    for label in labels:
        texts, quoted = document_sentences(label.path)
        y = np.zeros((len(texts), len(ids)), dtype=np.int8)
        for row, sentence in enumerate(quoted):
            for col, rid in enumerate(ids):
                spans = label.requirements.get(rid, [])
                y[row, col] = bool(spans) and supports(sentence, spans)
        x = embedder.embed(texts) if texts else np.zeros((0, 384), dtype=np.float32)
        groups.append((label.path.name, x, y))
        print(f"{label.path.name}: {len(texts)} sentences, {int(y.any(axis=1).sum())} labelled", file=sys.stderr)
    anchor_texts: list[str] = []
    anchor_y: list[list[int]] = []
    for col, requirement in enumerate(playbook.requirements):
        for recogniser in all_recognisers(requirement):
            for anchor in recogniser.anchors:
                anchor_texts.append(canonical_roles(anchor, any_case=True))
                anchor_y.append([int(c == col) for c in range(len(ids))])
    for background in playbook.background:
        anchor_texts.append(canonical_roles(background, any_case=True))
        anchor_y.append([0] * len(ids))
    anchors = (embedder.embed(anchor_texts), np.asarray(anchor_y, dtype=np.int8))

    def fit(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
        x = np.concatenate([p[0] for p in parts])
        y = np.concatenate([p[1] for p in parts])
        weights = np.zeros((len(ids), x.shape[1]), dtype=np.float64)
        bias = np.zeros(len(ids), dtype=np.float64)
        for col in range(len(ids)):
            model = LogisticRegression(C=C, class_weight="balanced", max_iter=2000)
            model.fit(x, y[:, col])
            weights[col], bias[col] = model.coef_[0], model.intercept_[0]
        return weights, bias

    held_scores: list[np.ndarray] = []
    held_truth: list[np.ndarray] = []
    folds: list[tuple[str, np.ndarray, np.ndarray]] = []
    for index, (name, x, y) in enumerate(groups):
        others = [(gx, gy) for j, (_, gx, gy) in enumerate(groups) if j != index] + [anchors]
        weights, bias = fit(others)
        folds.append((name, weights, bias))
        held_scores.append(1.0 / (1.0 + np.exp(-(x @ weights.T + bias))))
        held_truth.append(y)
        print(f"held out {name}", file=sys.stderr)
    scores = np.concatenate(held_scores)
    truth = np.concatenate(held_truth).astype(bool)
    positives = np.sort(scores[truth])
    veto = float(positives[int((1.0 - VETO_RECALL) * len(positives))]) if len(positives) else 0.0
    accept = 1.0
    for threshold in np.round(np.arange(0.50, 1.0, 0.01), 2):
        chosen = scores >= threshold
        precision = (chosen & truth).sum() / max(chosen.sum(), 1)
        if threshold * 100 % 5 == 0:
            recall = (chosen & truth).sum() / max(truth.sum(), 1)
            print(f"  at {threshold:.2f}: held-out precision {precision:.3f}, recall {recall:.3f}")
        if precision >= ACCEPT_PRECISION and accept == 1.0:
            accept = float(threshold)
    chosen = scores >= accept
    print(f"leave-one-document-out: {truth.sum()} positive sentence-requirement pairs of {truth.size}")
    print(
        f"veto below {veto:.3f} keeps {(scores[truth] >= veto).mean():.3f} of positives, drops "
        f"{(scores[~truth] < veto).mean():.3f} of negatives"
    )
    print(
        f"accept at {accept:.2f}: precision {(chosen & truth).sum() / max(chosen.sum(), 1):.3f}, "
        f"recall {(chosen & truth).sum() / max(truth.sum(), 1):.3f}"
    )
    for col, rid in enumerate(ids):
        t, s = truth[:, col], scores[:, col]
        print(
            f"  {rid:34} positives {int(t.sum()):3}  kept by veto {(s[t] >= veto).mean() if t.any() else 0:.2f}  "
            f"accepted {(s[t] >= accept).mean() if t.any() else 0:.2f}  false accepts {int((s[~t] >= accept).sum())}"
        )

    def head_file(weights: np.ndarray, bias: np.ndarray, trained_on: list[str]) -> str:
        return (
            json.dumps(
                {
                    "about": "contract_review requirement head: logistic regression per requirement on "
                    "all-MiniLM-L6-v2 int8 sentence embeddings; trained by bench/train_contract_head.py on the "
                    f"labels of {', '.join(folder.name for folder in folders)} (bench/labels) and the playbook's "
                    "own wordings",
                    "embedding_model": embedder.name,
                    "playbook": playbook.id,
                    "requirements": ids,
                    "veto": round(veto, 4),
                    "accept": accept,
                    "trained_on": trained_on,
                    "weights": [[round(float(v), 5) for v in row] for row in weights],
                    "bias": [round(float(v), 5) for v in bias],
                },
                indent=1,
            )
            + "\n"
        )

    if args.folds:
        args.folds.mkdir(parents=True, exist_ok=True)
        for name, weights, bias in folds:
            trained_on = [other for other, _, _ in groups if other != name]
            (args.folds / f"{name}.json").write_text(head_file(weights, bias, trained_on), encoding="utf-8")
        print(f"wrote {len(folds)} fold heads to {args.folds}")
    if args.write:
        weights, bias = fit([(x, y) for _, x, y in groups] + [anchors])
        HEAD_PATH.write_text(head_file(weights, bias, [name for name, _, _ in groups]), encoding="utf-8")
        print(f"wrote {HEAD_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
