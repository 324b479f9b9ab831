"""The requirement head (a logistic regression per requirement on the sentence embeddings) vetoes
evidence it rules out, and is used only with the embeddings it was trained on."""

from __future__ import annotations

import numpy as np
import pytest
from fixtures.contracts.support import embedding_analyzer, fixture_text, needs_model

from assay.analysis.analyzers.contract_review import matching
from assay.analysis.analyzers.contract_review.extract import extract_text
from assay.analysis.analyzers.contract_review.playbook import select_playbook
from assay.analysis.analyzers.contract_review.requirement_head import HEAD_PATH, RequirementHead, load_head
from assay.analysis.analyzers.contract_review.segment import segment


def test_the_shipped_head_covers_the_processor_playbooks_requirements() -> None:
    head = load_head(HEAD_PATH)
    assert head is not None
    for jurisdiction in ("EU", "UK"):
        ids = [r.id for r in select_playbook("vendor_dpa", jurisdiction, "", None).requirements]
        assert all(head.column(rid) is not None for rid in ids)
    assert head.weights.shape == (len(head.requirements), 384)
    assert 0.0 < head.veto < 0.5
    probabilities = head.probabilities(np.zeros((2, 384), dtype=np.float32))
    assert probabilities.shape == (2, len(head.requirements))
    assert np.all((probabilities > 0.0) & (probabilities < 1.0))


def _veto_everything(embedding_model: str) -> RequirementHead:
    ids = tuple(r.id for r in select_playbook("vendor_dpa", "EU", "", None).requirements)
    return RequirementHead(
        requirements=ids,
        weights=np.zeros((len(ids), 384), dtype=np.float32),
        bias=np.full(len(ids), -20.0, dtype=np.float32),
        veto=0.5,
        accept=1.01,
        embedding_model=embedding_model,
    )


def _scores() -> np.ndarray:
    playbook = select_playbook("vendor_dpa", "EU", "", None)
    document = extract_text(fixture_text("eu_dpa.txt"), file_id="", display_name="eu_dpa.txt")
    units = matching.build_units(segment([document]), playbook)
    return matching.score_units(units, playbook, embedding_analyzer()._matcher()).scores


@needs_model
def test_a_sentence_the_head_rules_out_is_no_evidence_not_even_by_a_keyword(monkeypatch: pytest.MonkeyPatch) -> None:
    with_head = _scores()
    assert ((with_head > 0.0) & (with_head < 1.0)).any(), "some sentences score semantically"
    assert (with_head == 1.0).any(), "some sentences match a pattern"
    name = embedding_analyzer()._matcher().name
    monkeypatch.setattr(matching, "load_head", lambda: _veto_everything(name))
    assert not _scores().any(), "a head that rules every sentence out leaves no evidence"


@needs_model
def test_a_head_trained_on_other_embeddings_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(matching, "load_head", lambda: _veto_everything("another-model"))
    scores = _scores()
    assert ((scores > 0.0) & (scores < 1.0)).any()
