"""The California (CCPA/CPRA) and Colorado (CPA) privacy-notice playbooks: chosen for a privacy
policy in those jurisdictions, every status on small notices written for these tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.contracts.support import STATUS, context, edit, embedding_analyzer, fixture_text, lexical_analyzer, params

from assay.analysis.analyzers.contract_review import ContractReviewAnalyzer, builtin_playbooks
from assay.v1 import contract_review_pb2


def _analyzers() -> list[ContractReviewAnalyzer]:
    found = [lexical_analyzer()]
    if embedding_analyzer()._embedder() is not None:
        found.append(embedding_analyzer())
    return found


def _review(analyzer: ContractReviewAnalyzer, tmp_path: Path, jurisdiction: str, text: str
            ) -> contract_review_pb2.ContractReviewResult:
    return analyzer.run(context(tmp_path, params("privacy_policy", jurisdiction), text=text)).contract_review


@pytest.mark.parametrize(("jurisdiction", "playbook", "document"), [
    ("US_CA", "us-ca-ccpa-privacy-notice", "ca_privacy_notice.txt"),
    ("US_CO", "us-co-cpa-privacy-notice", "co_privacy_notice.txt"),
])
def test_a_us_privacy_policy_is_checked_against_its_states_notice_playbook(
    tmp_path: Path, jurisdiction: str, playbook: str, document: str
) -> None:
    result = _review(lexical_analyzer(), tmp_path, jurisdiction, fixture_text(document))
    assert result.playbook_id == playbook
    assert result.document_type == contract_review_pb2.CONTRACT_DOCUMENT_TYPE_PRIVACY_NOTICE
    assert all(f.status == STATUS.STATUS_PRESENT for f in result.requirements)
    spec = builtin_playbooks()[playbook]
    assert [f.requirement_id for f in result.requirements] == [r.id for r in spec.requirements]
    for requirement in spec.requirements:
        assert requirement.legal_reference and requirement.description
    statute = "Cal. Civ. Code §" if jurisdiction == "US_CA" else "C.R.S. § 6-1-130"
    regulation = "11 CCR § 7011" if jurisdiction == "US_CA" else "4 CCR 904-3 Rule 6.02"
    assert all(statute in r.legal_reference and regulation in r.legal_reference for r in spec.requirements)


def test_a_right_left_out_makes_the_rights_weak_naming_it(tmp_path: Path) -> None:
    text = edit(fixture_text("ca_privacy_notice.txt"), {"6.3": ""})
    for analyzer in _analyzers():
        finding = {f.requirement_id: f for f in _review(analyzer, tmp_path, "US_CA", text).requirements}[
            "ca-pn-consumer-rights"]
        assert finding.status == STATUS.STATUS_WEAK
        assert list(finding.missing_elements) == ["correct"]


def test_no_appeal_process_is_missing_with_its_citation_and_recommendation(tmp_path: Path) -> None:
    text = edit(fixture_text("co_privacy_notice.txt"), {"5.1": ""})
    for analyzer in _analyzers():
        finding = {f.requirement_id: f for f in _review(analyzer, tmp_path, "US_CO", text).requirements}[
            "co-pn-appeal"]
        assert finding.status == STATUS.STATUS_MISSING and not finding.evidence
        assert "6-1-1308(1)(a)(III)" in finding.legal_reference
        assert "appeal" in finding.recommendation


def test_a_denied_appeal_is_contradicted_quoting_the_denial(tmp_path: Path) -> None:
    denial = "5.1 Consumers shall not be entitled to appeal our decision on a request."
    text = edit(fixture_text("co_privacy_notice.txt"), {"5.1": denial})
    for analyzer in _analyzers():
        finding = {f.requirement_id: f for f in _review(analyzer, tmp_path, "US_CO", text).requirements}[
            "co-pn-appeal"]
        assert finding.status == STATUS.STATUS_CONTRADICTED, finding
        assert any("not be entitled to appeal" in e.excerpt for e in finding.evidence)
