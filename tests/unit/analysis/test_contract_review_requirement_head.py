"""The requirement head (all-MiniLM-L6-v2's top layers fine-tuned per requirement) tells a
requirement's own clause from the neighbour a cut leaves behind, vetoes the evidence it rules out,
reads the token states the embedder computes anyway, and is used only next to the embedding model
it was tuned from."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from fixtures.contracts.support import STATUS, edit, embedding_analyzer, findings, fixture_text, needs_model

from assay.analysis.analyzers.contract_review import matching
from assay.analysis.analyzers.contract_review.embedding import (
    Embedder,
    FloatMatrix,
    OnnxMiniLM,
    bundled_model_path,
    default_embedder,
)
from assay.analysis.analyzers.contract_review.extract import extract_text
from assay.analysis.analyzers.contract_review.minilm_layers import FloatArray
from assay.analysis.analyzers.contract_review.parties import canonical_roles
from assay.analysis.analyzers.contract_review.playbook import all_recognisers, select_playbook
from assay.analysis.analyzers.contract_review.requirement_head import HEAD_PATH, RequirementHead, load_head
from assay.analysis.analyzers.contract_review.segment import segment

NEIGHBOURS = {
    "art28-3g-deletion-return": (
        "At the end of the provision of the services, the Processor shall delete or return all Personal Data to "
        "the Controller.",
        "The Processor performs daily backups of all data, including Personal Data, and keeps them for 30 days.",
    ),
    "art28-3h-information-audits": (
        "The Processor shall make available to the Controller all information necessary to demonstrate "
        "compliance and allow for audits, including inspections.",
        "Each party shall bear its own costs of the audit.",
    ),
    "art28-3b-confidentiality": (
        "The Processor shall ensure that persons authorised to process the Personal Data have committed "
        "themselves to confidentiality.",
        "Each party shall keep the terms of this Agreement confidential.",
    ),
    "art28-2-4-subprocessors": (
        "The Processor shall not engage another processor without the prior written authorisation of the Controller.",
        "The Controller may request a list of the Processor's offices.",
    ),
    # the deletion clause's care for what it cannot delete scores 0.20 for security: below the veto since 1.16.0
    "art28-3c-security": (
        "The Processor shall implement appropriate technical and organisational measures to ensure a level of "
        "security appropriate to the risk.",
        "Where return or deletion is impracticable, the Processor will continue to protect the retained Personal "
        "Data in accordance with this DPA.",
    ),
}
"""A requirement's own clause and a sentence on its topic that states no such duty (written for these tests)."""


@needs_model
def test_the_shipped_head_covers_the_processor_playbooks_requirements() -> None:
    head = load_head(HEAD_PATH)
    assert head is not None
    for jurisdiction in ("EU", "UK"):
        ids = [r.id for r in select_playbook("vendor_dpa", jurisdiction, "", None).requirements]
        assert all(head.column(rid) is not None for rid in ids)
    assert 0.0 < head.veto < 0.5
    probabilities = head.read(["The processor shall notify the controller.", "Governing law."], _embedder())[1]
    assert probabilities.shape == (2, len(head.requirements))
    assert np.all((probabilities > 0.0) & (probabilities < 1.0))


@needs_model
@pytest.mark.parametrize("requirement", sorted(NEIGHBOURS))
def test_the_head_tells_the_requirements_own_clause_from_a_neighbour_on_its_topic(requirement: str) -> None:
    head = load_head(HEAD_PATH)
    assert head is not None
    column = head.column(requirement)
    own, neighbour = head.read([canonical_roles(t) for t in NEIGHBOURS[requirement]], _embedder())[1][:, column]
    assert own >= head.veto > neighbour, (own, neighbour)


@needs_model
def test_a_sentences_probabilities_do_not_depend_on_the_sentences_batched_with_it() -> None:
    head = load_head.__wrapped__(HEAD_PATH)  # a fresh head: nothing remembered
    assert head is not None
    own = canonical_roles(NEIGHBOURS["art28-3g-deletion-return"][0])
    alone = head.read([own], _embedder())[1]
    fresh = load_head.__wrapped__(HEAD_PATH)
    assert fresh is not None
    batched = fresh.read(["A much longer sentence " * 12, own, "Short."], _embedder())[1]
    np.testing.assert_allclose(batched[1], alone[0], atol=1e-5)
    np.testing.assert_array_equal(head.read([own], _embedder())[1][0], alone[0])  # remembered


class _Plain:
    """The embedder without its tap: the head reads each sentence with its own lower layers."""

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner
        self.name = inner.name

    def embed(self, texts: Sequence[str], on_batch: object = None) -> FloatMatrix:
        return self._inner.embed(texts)


@needs_model
def test_the_head_reads_the_token_states_the_embedder_computes_and_loads_no_lower_layers_of_its_own() -> None:
    texts = [canonical_roles(t) for pair in NEIGHBOURS.values() for t in pair] + ["Short."]
    shared = load_head.__wrapped__(HEAD_PATH)
    assert shared is not None
    vectors, probabilities = shared.read(texts, _embedder())
    assert shared._own is None, "the embedder's states were enough"
    untapped = OnnxMiniLM(bundled_model_path() or Path())
    np.testing.assert_array_equal(vectors, untapped.embed(texts))  # the extra output changes no embedding
    own = load_head.__wrapped__(HEAD_PATH)
    assert own is not None
    np.testing.assert_allclose(own.read(texts, _Plain(_embedder()))[1], probabilities, atol=1e-5)
    assert own._own is not None


def _embedder() -> Embedder:
    embedder = default_embedder()
    assert embedder is not None
    return embedder


@needs_model
def test_cut_audit_terms_are_not_met_by_the_audit_costs_left_behind(tmp_path: Path) -> None:
    costs_only = {"10.1": "10.1 The Controller bears its own costs of any audit.", "10.2": ""}
    text = edit(fixture_text("eu_dpa.txt"), costs_only)
    finding = findings(embedding_analyzer(), tmp_path, text)["art28-3h-information-audits"]
    assert finding.status == STATUS.STATUS_MISSING, finding


class _RulesOutEverything(RequirementHead):
    def __init__(self, embedding_model: str) -> None:  # no model: every probability is 0
        self.requirements = tuple(r.id for r in select_playbook("vendor_dpa", "EU", "", None).requirements)
        self.veto = 0.5
        self.embedding_model = embedding_model

    def read(self, texts: Sequence[str], embedder: Embedder, on_batch: object = None) -> tuple[FloatMatrix, FloatArray]:
        return embedder.embed(texts), np.zeros((len(texts), len(self.requirements)), dtype=np.float32)


def _scores() -> np.ndarray:
    playbook = select_playbook("vendor_dpa", "EU", "", None)
    document = extract_text(fixture_text("eu_dpa.txt"), file_id="", display_name="eu_dpa.txt")
    units = matching.build_units(segment([document]), playbook)
    return matching.score_units(units, playbook, embedding_analyzer()._matcher()).scores


def _vetoed_columns() -> np.ndarray:
    """The recognisers the head vetoes: each requirement's primary one (all of a requirement without one)."""
    playbook = select_playbook("vendor_dpa", "EU", "", None)
    return np.asarray(
        [r is req.primary or req.primary is None for req in playbook.requirements for r in all_recognisers(req)]
    )


@needs_model
def test_a_sentence_the_head_rules_out_is_no_evidence_not_even_by_a_keyword(monkeypatch: pytest.MonkeyPatch) -> None:
    with_head = _scores()[:, _vetoed_columns()]
    assert ((with_head > 0.0) & (with_head < 1.0)).any(), "some sentences score semantically"
    assert (with_head == 1.0).any(), "some sentences match a pattern"
    name = embedding_analyzer()._matcher().name
    monkeypatch.setattr(matching, "load_head", lambda: _RulesOutEverything(name))
    ruled_out = _scores()
    assert not ruled_out[:, _vetoed_columns()].any(), "a head that rules every sentence out leaves no evidence"
    assert ruled_out[:, ~_vetoed_columns()].any(), "an element in a sentence of its own is not the head's to veto"


@needs_model
def test_a_head_tuned_from_another_model_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(matching, "load_head", lambda: _RulesOutEverything("another-model"))
    scores = _scores()[:, _vetoed_columns()]
    assert ((scores > 0.0) & (scores < 1.0)).any()
