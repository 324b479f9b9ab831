"""Trains contract_review's clause head: per Art. 28 requirement, a three-class logistic regression
(other / binds the processor to it / negates or guts it) on the shipped sentence embeddings
(all-MiniLM-L6-v2 int8) plus the structural features of ``clause_head.structure``, and chooses its
veto threshold by leave-one-document-out cross-validation on the development documents.

Run: ``.venv/bin/python bench/train_clause_head.py CORPUS_DIR [DEV_DIR] [--write] [--cache FILE]``.

Training data, all written down (never the hold-out):

- every in-context sentence of the development documents (``bench/labels/contract_review/*.yaml``):
  ``binds`` for a requirement when it overlaps a labelled span of it, ``other`` for every other;
- negated rewrites of each labelled sentence (``negates`` for its requirement, ``other`` for the
  rest): the evaluation generator's rule (``contract_variants.negate_sentence``) and four drafting
  forms written here (:data:`DRAFTED`: "is under no obligation to", "may, at its sole discretion,",
  "need not", "Nothing in this DPA requires ... to");
- the playbook's own wordings (``playbooks/eu-gdpr-processor-terms.yaml``, written for Assay) as
  ``binds``, their rewrites as ``negates``, its background wordings as ``other``.

The veto is the ``VETO_RECALL`` quantile of the held-out ``binds`` probabilities of the real
labelled sentences. Deterministic (lbfgs, fixed data order); ``--write`` stores the head, int8
with a scale per row, as the analyzer's ``model/clause_head.json``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from contract_variants import negate_sentence  # noqa: E402
from eval_contract_review import MEDIA, load_labels, supports  # noqa: E402
from train_contract_head import DiskCachedEmbedder  # noqa: E402

from assay.analysis.analyzers.contract_review.clause_head import (  # noqa: E402
    CLASSES,
    FEATURES,
    HEAD_PATH,
    quantise,
    structure,
)
from assay.analysis.analyzers.contract_review.embedding import default_embedder  # noqa: E402
from assay.analysis.analyzers.contract_review.extract import extract_file  # noqa: E402
from assay.analysis.analyzers.contract_review.matching import Unit, _said, build_units  # noqa: E402
from assay.analysis.analyzers.contract_review.parties import canonical_roles  # noqa: E402
from assay.analysis.analyzers.contract_review.playbook import all_recognisers, select_playbook  # noqa: E402
from assay.analysis.analyzers.contract_review.requirement_head import load_head  # noqa: E402
from assay.analysis.analyzers.contract_review.segment import segment  # noqa: E402

C = 1.0
"""Inverse regularisation strength (``--c``)."""
VETO_RECALL = 0.98
OTHER, BINDS, NEGATES = (CLASSES.index(c) for c in ("other", "binds", "negates"))
_DUTY = re.compile(r"^(?P<subject>.*?)\b(?:shall|will|must)\s+(?!not\b)(?P<rest>.+)$", re.IGNORECASE | re.DOTALL)


def _drafted(form: Callable[[str, str], str]) -> Callable[[str], str]:
    def rewrite(text: str) -> str:
        found = _DUTY.match(text)
        return form(found.group("subject"), found.group("rest")) if found else text

    return rewrite


DRAFTED: tuple[Callable[[str], str], ...] = (
    _drafted(lambda subject, rest: f"{subject}is under no obligation to {rest}"),
    _drafted(lambda subject, rest: f"{subject}may, at its sole discretion, {rest}"),
    _drafted(lambda subject, rest: f"{subject}need not {rest}"),
    _drafted(lambda subject, rest: f"Nothing in this DPA requires {subject.strip() or 'the Processor'} to {rest}"),
)
"""Negations in ordinary drafting forms, applied to a sentence's first duty modal."""


def negations(text: str, said: str | None = None) -> list[tuple[str, str]]:
    """Distinct negated rewrites of ``text`` (the generator's and the drafted forms), each with
    the same rewrite of ``said`` (what the sentence says, for its structural features)."""
    said = text if said is None else said
    out: dict[str, str] = {}
    for form in (negate_sentence, *DRAFTED):
        rewritten = form(text)
        if rewritten != text:
            out.setdefault(rewritten, form(said))
    return list(out.items())


Rows = tuple[list[str], list[list[float]], list[list[int]], list[bool]]
"""Embedded texts, structural features, a class per requirement, and whether the row is real."""


def document_rows(path: Path, spans: dict[str, list[str]], ids: list[str]) -> Rows:
    playbook = select_playbook("vendor_dpa", "EU", "", None)
    media = MEDIA.get(path.suffix.lower(), "text/plain")
    document = extract_file(path, file_id="f", display_name=path.name, media_type=media)
    units: list[Unit] = [u for u in build_units(segment([document]), playbook) if u.in_context]
    texts: list[str] = []
    features: list[list[float]] = []
    classes: list[list[int]] = []
    real: list[bool] = []
    for unit in units:
        text, said = canonical_roles(unit.semantic_text), _said(unit)
        row = [BINDS if spans.get(rid) and supports(unit.text, spans[rid]) else OTHER for rid in ids]
        texts.append(text)
        features.append(structure(said))
        classes.append(row)
        real.append(True)
        if BINDS in row:
            for negated_text, negated_said in negations(text, said):
                texts.append(negated_text)
                features.append(structure(negated_said))
                classes.append([NEGATES if c == BINDS else OTHER for c in row])
                real.append(False)
    return texts, features, classes, real


def anchor_rows(ids: list[str]) -> Rows:
    playbook = select_playbook("vendor_dpa", "EU", "", None)
    texts: list[str] = []
    classes: list[list[int]] = []
    for col, requirement in enumerate(playbook.requirements):
        for recogniser in all_recognisers(requirement):
            for anchor in recogniser.anchors:
                wording = canonical_roles(anchor, any_case=True)
                texts.append(wording)
                classes.append([BINDS if c == col else OTHER for c in range(len(ids))])
                for negated, _ in negations(wording):
                    texts.append(negated)
                    classes.append([NEGATES if c == col else OTHER for c in range(len(ids))])
    for background in playbook.background:
        texts.append(canonical_roles(background, any_case=True))
        classes.append([OTHER] * len(ids))
    return texts, [structure(t) for t in texts], classes, [False] * len(texts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path, nargs="+")
    parser.add_argument("--labels", type=Path, default=ROOT / "bench" / "labels" / "contract_review")
    parser.add_argument("--write", action="store_true", help="store the head in the analyzer's model folder")
    parser.add_argument("--cache", type=Path, help="keep sentence embeddings in this .npz between runs")
    parser.add_argument("--c", type=float, default=C, help="inverse regularisation strength")
    parser.add_argument(
        "--keep", type=float, default=VETO_RECALL, help="share of implementing sentences the veto keeps"
    )
    args = parser.parse_args()
    model = default_embedder()
    if model is None:
        print("the embedding model is not installed", file=sys.stderr)
        return 1
    embedder = DiskCachedEmbedder(model, args.cache)
    playbook = select_playbook("vendor_dpa", "EU", "", None)
    ids = [r.id for r in playbook.requirements]

    def matrices(rows: Rows) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        texts, features, classes, real = rows
        vectors = embedder.embed(texts) if texts else np.zeros((0, 384), dtype=np.float32)
        x = np.concatenate([vectors, np.asarray(features, dtype=np.float32).reshape(len(texts), len(FEATURES))], axis=1)
        return x, np.asarray(classes, dtype=np.int8).reshape(len(texts), len(ids)), np.asarray(real, dtype=bool)

    groups: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]] = []
    for label in load_labels(args.labels, args.corpus):
        x, y, real = matrices(document_rows(label.path, label.requirements, ids))
        groups.append((label.path.name, x, y, real))
        print(f"{label.path.name}: {int(real.sum())} sentences, {int((~real).sum())} negated rewrites", file=sys.stderr)
    anchors = matrices(anchor_rows(ids))

    def fit(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
        x = np.concatenate([p[0] for p in parts])
        y = np.concatenate([p[1] for p in parts])
        weights = np.zeros((len(ids), len(CLASSES), x.shape[1]), dtype=np.float64)
        bias = np.zeros((len(ids), len(CLASSES)), dtype=np.float64)
        for col in range(len(ids)):
            model = LogisticRegression(C=args.c, class_weight="balanced", max_iter=3000)
            model.fit(x, y[:, col])
            for position, cls in enumerate(model.classes_):
                weights[col, int(cls)], bias[col, int(cls)] = model.coef_[position], model.intercept_[position]
            for cls in set(range(len(CLASSES))) - {int(c) for c in model.classes_}:
                bias[col, cls] = -30.0  # a class never seen is never predicted
        return weights, bias

    def binds(x: np.ndarray, weights: np.ndarray, bias: np.ndarray) -> np.ndarray:
        logits = np.einsum("nd,rcd->nrc", x, weights) + bias[None]
        logits -= logits.max(axis=2, keepdims=True)
        odds = np.exp(logits)
        return odds[:, :, BINDS] / odds.sum(axis=2)

    requirement_head = load_head()
    held: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]] = []
    for index, (name, x, y, real) in enumerate(groups):
        others = [(gx, gy) for j, (_, gx, gy, _) in enumerate(groups) if j != index] + [anchors[:2]]
        weights, bias = fit(others)
        old = None
        if requirement_head is not None:
            old = 1.0 / (1.0 + np.exp(-(x[:, :384] @ requirement_head.weights.T + requirement_head.bias)))
        held.append((binds(x, weights, bias), y, real, old))
        print(f"held out {name}", file=sys.stderr)
    scores = np.concatenate([h[0] for h in held])
    truth = np.concatenate([h[1] for h in held])
    real = np.concatenate([h[2] for h in held])
    positives = np.sort(scores[real[:, None] & (truth == BINDS)])
    real_other = real[:, None] & (truth == OTHER)
    negated = ~real[:, None] & (truth == NEGATES)
    for share in (0.98, 0.95, 0.90):
        at = float(positives[int((1.0 - share) * len(positives))])
        print(
            f"  keeping {share:.2f}: veto {at:.4f} rules out {(scores[real_other] < at).mean():.3f} of the others, "
            f"{(scores[negated] < at).mean():.3f} of the negated rewrites"
        )
    veto = float(positives[int((1.0 - args.keep) * len(positives))]) if len(positives) else 0.0
    kept = scores >= veto
    print(
        f"leave-one-document-out over {len(groups)} documents: {len(positives)} implementing sentence-requirement pairs"
    )
    print(
        f"clause head, veto below {veto:.3f}: keeps {kept[real[:, None] & (truth == BINDS)].mean():.3f} of them, rules "
        f"out {(~kept[real_other]).mean():.3f} of the other sentence-requirement pairs and "
        f"{(~kept[negated]).mean():.3f} of the negated rewrites"
    )
    if requirement_head is not None and all(h[3] is not None for h in held):
        old_scores = np.concatenate([h[3] for h in held if h[3] is not None])
        old_kept = old_scores >= requirement_head.veto
        print(
            f"requirement head (shipped, not leave-one-out), veto below {requirement_head.veto:.3f}: keeps "
            f"{old_kept[real[:, None] & (truth == BINDS)].mean():.3f}, rules out {(~old_kept[real_other]).mean():.3f} "
            f"of the others and {(~old_kept[negated]).mean():.3f} of the negated rewrites"
        )
    for col, rid in enumerate(ids):
        t = real & (truth[:, col] == BINDS)
        n = ~real & (truth[:, col] == NEGATES)
        print(
            f"  {rid:34} implementing {int(t.sum()):3}  kept {kept[t, col].mean() if t.any() else 0:.2f}  "
            f"negated rewrites ruled out {(~kept[n, col]).mean() if n.any() else 0:.2f}"
        )
    if args.write:
        weights, bias = fit([(x, y) for _, x, y, _ in groups] + [anchors[:2]])
        HEAD_PATH.write_text(
            json.dumps(
                {
                    "about": "contract_review clause head: per requirement, a three-class logistic regression "
                    "(other / binds / negates) on all-MiniLM-L6-v2 int8 sentence embeddings and structural "
                    "features; trained by bench/train_clause_head.py on the development labels "
                    "(bench/labels/contract_review), negated rewrites of them and the playbook's own wordings",
                    "embedding_model": embedder.name,
                    "playbook": playbook.id,
                    "requirements": ids,
                    "classes": list(CLASSES),
                    "features": list(FEATURES),
                    "veto": round(veto, 4),
                    "trained_on": [name for name, _, _, _ in groups],
                    "weights": quantise(weights),
                    "bias": [[round(float(v), 5) for v in row] for row in bias],
                },
                indent=1,
            )
            + "\n",
            encoding="utf-8",
        )
        print(f"wrote {HEAD_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
