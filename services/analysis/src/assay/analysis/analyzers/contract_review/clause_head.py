"""The clause head: does a sentence bind the processor to requirement R, negate or gut R, or neither?

For each Art. 28 requirement, a three-class logistic regression (``other`` / ``binds`` /
``negates``) over the sentence embedding the matcher already computes (all-MiniLM-L6-v2 int8)
and a few structural features of what the sentence says (:func:`structure`: a duty modal, a
negated duty, discretion, a permission, the processor or the controller as subject, a sentence
that binds no one). Trained by ``bench/train_clause_head.py`` on the sentences of the development
documents, negated rewrites of their implementing sentences and of the playbook's wordings
(provenance in ``model/README.md``), its threshold chosen by leave-one-document-out
cross-validation. Shipped as ``model/clause_head.json``: int8 weights with one scale per row.

The matcher uses it as a veto after the rules have proposed a sentence as evidence: a sentence
whose ``binds`` probability for R is below ``veto`` is no evidence that R is met (neither by
similarity nor by a keyword pattern). It never makes a sentence evidence, and never decides a
contradiction: the negation rules (:mod:`.negation`) read every candidate before it, so a
sentence it vetoes can still be quoted as CONTRADICTED.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from assay.analysis.analyzers.contract_review.negation import DISCRETION, STRONG_NEGATION, WHOLE_SENTENCE
from assay.analysis.analyzers.contract_review.obligation import controller_permission, non_binding

FloatMatrix = npt.NDArray[np.float32]
HEAD_PATH = Path(__file__).with_name("model") / "clause_head.json"
CLASSES = ("other", "binds", "negates")

_MODAL = re.compile(
    r"\b(?:shall|must|will|agrees?\s+to|undertakes?\s+to|commits?\s+to|(?:is|are)\s+(?:obliged|obligated|required|"
    r"bound)\s+to)\b",
    re.IGNORECASE,
)
_NEGATED_MODAL = re.compile(
    r"\b(?:shall|must|will|may|can|does|do|is|are)\s+(?:not|never)\b|\bcannot\b|\bno\s+(?:obligation|duty)\b",
    re.IGNORECASE,
)
_PERMISSION = re.compile(r"\b(?:may|can|(?:is|are)\s+(?:entitled|permitted|allowed|free)\s+to)\b", re.IGNORECASE)
_PROCESSOR_SUBJECT = re.compile(
    r"^[\W\d]*(?:[a-z]{1,4}[.)]\s+)?(?:[^,;:.]{0,80},\s+)?(?:the\s+)?(?:processor|sub-?processors?|we)\b",
    re.IGNORECASE,
)
_CONTROLLER_SUBJECT = re.compile(
    r"^[\W\d]*(?:[a-z]{1,4}[.)]\s+)?(?:[^,;:.]{0,80},\s+)?(?:the\s+)?(?:controller|customer|client|you)\b",
    re.IGNORECASE,
)
FEATURES = (
    "duty modal",
    "negated modal",
    "duty taken away",
    "whole statement negated",
    "discretion",
    "permission",
    "processor subject",
    "controller subject",
    "binds no one",
)


def structure(said: str) -> list[float]:
    """The structural features of what a sentence says (party names already read as roles; a
    list item with its lead-in), in the order of :data:`FEATURES`."""
    return [
        float(_MODAL.search(said) is not None),
        float(_NEGATED_MODAL.search(said) is not None),
        float(STRONG_NEGATION.search(said) is not None),
        float(WHOLE_SENTENCE.search(said) is not None),
        float(DISCRETION.search(said) is not None),
        float(_PERMISSION.search(said) is not None),
        float(_PROCESSOR_SUBJECT.match(said) is not None),
        float(_CONTROLLER_SUBJECT.match(said) is not None or controller_permission(said)),
        float(non_binding(said) not in ("", "processor permission")),
    ]


@dataclass(frozen=True)
class ClauseHead:
    """Per requirement, three-class logistic regressions over embedding + structure."""

    requirements: tuple[str, ...]
    weights: FloatMatrix
    """``requirements x classes x (dimensions + features)``."""
    bias: FloatMatrix
    """``requirements x classes``."""
    veto: float
    embedding_model: str

    def binds(self, vectors: FloatMatrix, features: FloatMatrix) -> FloatMatrix:
        """``len(vectors) x len(requirements)``: the probability that each sentence binds the
        processor to each requirement."""
        x = np.concatenate([vectors, features], axis=1).astype(np.float32)
        logits = np.einsum("nd,rcd->nrc", x, self.weights) + self.bias[None, :, :]
        logits -= logits.max(axis=2, keepdims=True)
        odds = np.exp(logits)
        return np.asarray(odds[:, :, CLASSES.index("binds")] / odds.sum(axis=2), dtype=np.float32)

    def column(self, requirement_id: str) -> int | None:
        return self.requirements.index(requirement_id) if requirement_id in self.requirements else None


def quantise(weights: npt.NDArray[np.float64]) -> dict[str, object]:
    """int8 weights with one float scale per (requirement, class) row, for the JSON file."""
    flat = weights.reshape(-1, weights.shape[-1])
    scales = np.maximum(np.abs(flat).max(axis=1), 1e-12) / 127.0
    values = np.clip(np.round(flat / scales[:, None]), -127, 127).astype(np.int8)
    return {
        "shape": list(weights.shape),
        "scales": [float(s) for s in scales],
        "int8": base64.b64encode(values.tobytes()).decode("ascii"),
    }


def dequantise(data: dict[str, object]) -> FloatMatrix:
    shape = tuple(int(v) for v in data["shape"])  # type: ignore[attr-defined]
    values = np.frombuffer(base64.b64decode(str(data["int8"])), dtype=np.int8).astype(np.float32)
    scales = np.asarray(data["scales"], dtype=np.float32)
    return np.asarray((values.reshape(-1, shape[-1]) * scales[:, None]).reshape(shape), dtype=np.float32)


@functools.cache
def load_clause_head(path: Path = HEAD_PATH) -> ClauseHead | None:
    """The shipped head, or None when the file is absent."""
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return ClauseHead(
        requirements=tuple(data["requirements"]),
        weights=dequantise(data["weights"]),
        bias=np.asarray(data["bias"], dtype=np.float32),
        veto=float(data["veto"]),
        embedding_model=str(data["embedding_model"]),
    )
