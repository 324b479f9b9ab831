"""Every shipped playbook: each requirement is found when present, also when paraphrased, and
reported missing when its clauses are removed; an NDA meets none of the processor terms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fixtures.contracts.support import (
    STATUS,
    below_the_veto,
    cases,
    context,
    edit,
    embedding_analyzer,
    fixture_text,
    lexical_analyzer,
    needs_model,
    params,
)

from assay.analysis.analyzers.contract_review import (
    ContractReviewAnalyzer,
    PlaybookError,
    builtin_playbooks,
    parse_playbook,
)
from assay.v1 import contract_review_pb2

CASES = cases()
PROCESSOR_PLAYBOOKS = [p.id for p in builtin_playbooks().values() if "vendor_dpa" in p.contract_types]


def _review(
    analyzer: ContractReviewAnalyzer, tmp_path: Path, case: dict[str, Any], text: str
) -> dict[str, contract_review_pb2.ContractRequirementFinding]:
    ctx = context(tmp_path, params(case["contract_type"], case["jurisdiction"]), text=text)
    result = analyzer.run(ctx).contract_review
    return {f.requirement_id: f for f in result.requirements}


def _removals() -> list[Any]:
    return [
        pytest.param(playbook, requirement, id=f"{playbook}:{requirement}")
        for playbook, case in CASES.items()
        for requirement in case["remove"]
    ]


BELOW_THE_VETO = {
    ("eu-gdpr-processor-terms", "art28-3b-confidentiality"),
    ("uk-gdpr-processor-terms", "art28-3b-confidentiality"),
    ("uk-gdpr-processor-terms", "art28-3-processing-details"),
}
"""Paraphrases the requirement head reads below its veto (``requirement_head.VETO``, 0.30 since analyzer
1.16.0): "Everyone at Brightwater who can see the personal data must have agreed to keep it secret"
is not found."""


def _paraphrases() -> list[Any]:
    return [
        pytest.param(
            playbook,
            requirement,
            id=f"{playbook}:{requirement}",
            marks=[below_the_veto] if (playbook, requirement) in BELOW_THE_VETO else [],
        )
        for playbook, case in CASES.items()
        for requirement in case["paraphrase"]
    ]


def test_every_shipped_playbook_has_cases_for_every_requirement() -> None:
    for playbook in builtin_playbooks().values():
        case = CASES[playbook.id]
        ids = {r.id for r in playbook.requirements}
        assert set(case["remove"]) == ids, playbook.id
        assert set(case["paraphrase"]) == ids, playbook.id


@pytest.mark.parametrize("playbook", sorted(CASES))
def test_a_complete_document_meets_every_requirement_with_lexical_matching(tmp_path: Path, playbook: str) -> None:
    case = CASES[playbook]
    found = _review(lexical_analyzer(), tmp_path, case, fixture_text(case["document"]))
    assert {k: v.status for k, v in found.items()} == dict.fromkeys(found, STATUS.STATUS_PRESENT)


@needs_model
@pytest.mark.parametrize("playbook", sorted(CASES))
def test_a_complete_document_meets_every_requirement_with_embeddings(tmp_path: Path, playbook: str) -> None:
    case = CASES[playbook]
    found = _review(embedding_analyzer(), tmp_path, case, fixture_text(case["document"]))
    assert {k: v.status for k, v in found.items()} == dict.fromkeys(found, STATUS.STATUS_PRESENT)


@pytest.mark.parametrize(("playbook", "requirement"), _removals())
def test_a_requirement_is_reported_missing_when_its_clauses_are_removed(
    tmp_path: Path, playbook: str, requirement: str
) -> None:
    case = CASES[playbook]
    text = edit(fixture_text(case["document"]), dict.fromkeys(case["remove"][requirement], ""))
    analyzers = [lexical_analyzer()]
    if embedding_analyzer()._embedder() is not None:
        analyzers.append(embedding_analyzer())
    for analyzer in analyzers:
        finding = _review(analyzer, tmp_path, case, text)[requirement]
        assert finding.status == STATUS.STATUS_MISSING, (analyzer._embedder, finding)
        assert not finding.evidence
        assert finding.legal_reference and finding.recommendation


@needs_model
@pytest.mark.parametrize(("playbook", "requirement"), _paraphrases())
def test_a_paraphrased_requirement_is_still_recognised(tmp_path: Path, playbook: str, requirement: str) -> None:
    case = CASES[playbook]
    changes = case["paraphrase"][requirement]
    text = edit(fixture_text(case["document"]), changes)
    for key, paraphrase in changes.items():
        assert paraphrase in text, f"paraphrase for {key} was not applied"
    finding = _review(embedding_analyzer(), tmp_path, case, text)[requirement]
    assert finding.status == STATUS.STATUS_PRESENT, finding
    quoted = " ".join(e.excerpt for e in finding.evidence)
    assert any(p.split(" ", 1)[1][:40] in quoted for p in changes.values()), finding


@pytest.mark.parametrize("playbook", PROCESSOR_PLAYBOOKS)
def test_an_nda_meets_none_of_the_processor_terms_and_does_not_crash(tmp_path: Path, playbook: str) -> None:
    spec = builtin_playbooks()[playbook]
    analyzers = [lexical_analyzer()]
    if embedding_analyzer()._embedder() is not None:
        analyzers.append(embedding_analyzer())
    for analyzer in analyzers:
        ctx = context(
            tmp_path,
            params("vendor_dpa", spec.jurisdiction),
            text=fixture_text("mutual_nda.txt"),
        )
        result = analyzer.run(ctx).contract_review
        assert [f.status for f in result.requirements] == [STATUS.STATUS_MISSING] * len(spec.requirements)
        assert result.issues_detected == len(spec.requirements)
        assert "may not be this kind of contract" in result.summary


def test_processing_details_are_one_description_and_the_flag_is_checked() -> None:
    playbooks = builtin_playbooks()
    for name in ("eu-gdpr-processor-terms", "uk-gdpr-processor-terms"):
        details = next(r for r in playbooks[name].requirements if r.id == "art28-3-processing-details")
        assert details.elements_together
    bad = {
        "id": "x",
        "title": "x",
        "version": "1",
        "jurisdiction": "EU",
        "contract_types": ["vendor_dpa"],
        "requirements": [
            {
                "id": "r",
                "title": "r",
                "legal_reference": "r",
                "description": "r",
                "severity": "low",
                "recommendation": "r",
                "elements_together": "yes",
                "elements": [{"id": "e", "description": "e", "patterns": ["e"]}],
            }
        ],
    }
    with pytest.raises(PlaybookError, match="elements_together must be true or false"):
        parse_playbook(bad, "bad.yaml")
