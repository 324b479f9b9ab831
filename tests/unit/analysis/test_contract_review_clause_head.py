"""The clause head (per requirement: other / binds the processor / negates, on the sentence
embeddings and structural features) vetoes evidence that does not bind the processor to the
requirement, never vetoes a negation the rules read, ships small, and is used only with the
embeddings it was trained on. Sentences written for these tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fixtures.contracts.support import STATUS, context, edit, embedding_analyzer, fixture_text, needs_model, params

from assay.analysis.analyzers.contract_review import matching
from assay.analysis.analyzers.contract_review.clause_head import (
    CLASSES,
    FEATURES,
    HEAD_PATH,
    ClauseHead,
    dequantise,
    load_clause_head,
    quantise,
    structure,
)
from assay.analysis.analyzers.contract_review.playbook import select_playbook


def _features(said: str) -> dict[str, bool]:
    return {name: bool(value) for name, value in zip(FEATURES, structure(said), strict=True)}


def test_structure_reads_modality_negation_and_the_bound_party() -> None:
    duty = _features("The Processor shall delete all personal data at the end of the services.")
    assert duty["duty modal"] and duty["processor subject"]
    assert not (duty["negated modal"] or duty["duty taken away"] or duty["controller subject"])
    taken = _features("The Processor shall not be required to delete the personal data.")
    assert taken["negated modal"] and taken["duty taken away"]
    assert _features("It is not agreed that the Processor deletes the data.")["whole statement negated"]
    assert _features("The Processor may, at its sole discretion, delete the data.")["discretion"]
    controller = _features("Upon request, the Controller shall provide the Processor with instructions.")
    assert controller["controller subject"] and not controller["processor subject"]
    assert _features("Technical measures are as set out in Annex 2.")["binds no one"]


def test_int8_weights_round_trip_within_half_a_step() -> None:
    rng = np.random.default_rng(7)
    weights = rng.normal(size=(3, 3, 10))
    back = dequantise(quantise(weights))
    steps = np.abs(weights).max(axis=2, keepdims=True) / 127.0
    assert back.shape == weights.shape
    assert np.all(np.abs(back - weights) <= steps / 2 + 1e-6)


def test_the_shipped_head_is_small_and_covers_the_processor_playbooks() -> None:
    head = load_clause_head(HEAD_PATH)
    assert head is not None
    assert HEAD_PATH.stat().st_size < 100_000
    for jurisdiction in ("EU", "UK"):
        ids = [r.id for r in select_playbook("vendor_dpa", jurisdiction, "", None).requirements]
        assert all(head.column(rid) is not None for rid in ids)
    assert head.weights.shape == (len(head.requirements), len(CLASSES), 384 + len(FEATURES))
    assert 0.0 < head.veto < 0.5
    binds = head.binds(np.zeros((2, 384), dtype=np.float32), np.zeros((2, len(FEATURES)), dtype=np.float32))
    assert binds.shape == (2, len(head.requirements))
    assert np.all((binds >= 0.0) & (binds <= 1.0))


def _never_binds(embedding_model: str) -> ClauseHead:
    ids = tuple(r.id for r in select_playbook("vendor_dpa", "EU", "", None).requirements)
    bias = np.tile(np.asarray([[20.0, -20.0, -20.0]], dtype=np.float32), (len(ids), 1))
    return ClauseHead(
        requirements=ids,
        weights=np.zeros((len(ids), len(CLASSES), 384 + len(FEATURES)), dtype=np.float32),
        bias=bias,
        veto=0.5,
        embedding_model=embedding_model,
    )


def _findings(text: str, tmp_path: Path) -> dict[str, int]:
    result = embedding_analyzer().run(context(tmp_path, params("vendor_dpa", "EU"), text=text)).contract_review
    return {f.requirement_id: f.status for f in result.requirements}


@needs_model
def test_a_head_that_finds_no_binding_leaves_no_evidence_but_the_negations(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    negated = "9.1 The Processor shall not be required to delete or return the Personal Data."
    text = edit(fixture_text("eu_dpa.txt"), {"9.1": negated})
    assert _findings(text, tmp_path)["art28-3g-deletion-return"] == STATUS.STATUS_CONTRADICTED
    name = embedding_analyzer()._matcher().name
    monkeypatch.setattr(matching, "load_clause_head", lambda: _never_binds(name))
    found = _findings(text, tmp_path)
    # The rules read negations before the head: the contradiction stays, nothing is met.
    assert found["art28-3g-deletion-return"] == STATUS.STATUS_CONTRADICTED
    assert STATUS.STATUS_PRESENT not in found.values()


@needs_model
def test_a_head_trained_on_other_embeddings_is_not_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(matching, "load_clause_head", lambda: _never_binds("another-model"))
    assert _findings(fixture_text("eu_dpa.txt"), tmp_path)["art28-3c-security"] == STATUS.STATUS_PRESENT


@needs_model
def test_the_shipped_head_keeps_every_requirement_of_a_complete_dpa(tmp_path: Path) -> None:
    found = _findings(fixture_text("eu_dpa.txt"), tmp_path)
    assert all(status == STATUS.STATUS_PRESENT for status in found.values()), found
