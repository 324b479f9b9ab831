"""The requirement head: a second opinion on which Art. 28 requirement a sentence implements.

One logistic regression per requirement on the sentence embeddings the matcher already computes
(all-MiniLM-L6-v2 int8), trained by ``bench/train_contract_head.py`` on the labelled sentences of
the development documents and the playbook's own wordings, its thresholds chosen by
leave-one-document-out cross-validation (provenance in ``model/README.md``). Shipped as
``model/requirement_head.json``: 12 x 384 weights, no download, deterministic.

The matcher uses it for requirements whose id it knows (the EU and UK processor-terms playbooks
share them), and only when the sentences were embedded by the model it was trained on:

- **veto**: a sentence scoring below ``veto`` for a requirement is no *semantic* evidence for it
  however near an anchor wording is ("Stored encrypted." is not Art. 32 security);
- **accept**: a sentence scoring at least ``accept`` counts as found semantically for the
  requirement's deciding recognisers even when no anchor wording is near (drafting the anchors
  never saw). The operative concept, negation and binding checks still apply to it.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

FloatMatrix = npt.NDArray[np.float32]
HEAD_PATH = Path(__file__).with_name("model") / "requirement_head.json"


@dataclass(frozen=True)
class RequirementHead:
    """Per-requirement logistic regressions over sentence embeddings."""

    requirements: tuple[str, ...]
    weights: FloatMatrix
    """``requirements x dimensions``."""
    bias: FloatMatrix
    veto: float
    accept: float
    embedding_model: str

    def probabilities(self, vectors: FloatMatrix) -> FloatMatrix:
        """``len(vectors) x len(requirements)`` probabilities."""
        logits = vectors @ self.weights.T + self.bias
        return np.asarray(1.0 / (1.0 + np.exp(-logits)), dtype=np.float32)

    def column(self, requirement_id: str) -> int | None:
        """The head's column for a requirement id, if it was trained on it."""
        return self.requirements.index(requirement_id) if requirement_id in self.requirements else None


@functools.cache
def load_head(path: Path = HEAD_PATH) -> RequirementHead | None:
    """The shipped head, or None when the file is absent."""
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return RequirementHead(
        requirements=tuple(data["requirements"]),
        weights=np.asarray(data["weights"], dtype=np.float32),
        bias=np.asarray(data["bias"], dtype=np.float32),
        veto=float(data["veto"]),
        accept=float(data["accept"]),
        embedding_model=str(data["embedding_model"]),
    )
