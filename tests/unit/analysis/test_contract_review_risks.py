"""Risky terms are flagged where they appear, and weaken the requirement they undercut."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.contracts.support import STATUS, context, edit, fixture_text, lexical_analyzer, params

from assay.analysis.analyzers.contract_review.risks import notice_periods
from assay.v1 import contract_review_pb2


def _review(
    tmp_path: Path, changes: dict[str, str], document: str = "eu_dpa.txt", jurisdiction: str = "EU"
) -> contract_review_pb2.ContractReviewResult:
    text = edit(fixture_text(document), changes)
    ctx = context(tmp_path, params("vendor_dpa", jurisdiction), text=text)
    return lexical_analyzer().run(ctx).contract_review


def _finding(
    result: contract_review_pb2.ContractReviewResult, requirement: str
) -> contract_review_pb2.ContractRequirementFinding:
    return next(f for f in result.requirements if f.requirement_id == requirement)


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("within five (5) business days", 120.0),
        ("within five business days", 120.0),
        ("within seventy two hours", 72.0),
        ("no later than 72 hours after", 72.0),
        ("within twenty-four hours", 24.0),
        ("in no event later than 2 weeks", 336.0),
        ("within 48 hours", 48.0),
    ],
)
def test_notice_periods_are_read_in_hours(text: str, hours: float) -> None:
    assert [p.hours for p in notice_periods(f"The Processor shall notify the Controller {text}.")] == [hours]


def test_the_complete_dpa_has_no_risky_terms(tmp_path: Path) -> None:
    result = _review(tmp_path, {})
    assert list(result.risks) == []
    assert result.issues_detected == 0


def test_a_breach_notice_slower_than_the_controller_can_use_is_flagged(tmp_path: Path) -> None:
    slow = (
        "8.1 The Processor shall notify the Controller of any Personal Data Breach "
        "within five (5) business days after becoming aware of it."
    )
    result = _review(tmp_path, {"8.1": slow})
    [risk] = [r for r in result.risks if r.risk_id == "breach-notice-too-slow"]
    assert risk.evidence.clause_id == "cl-8.1"
    assert risk.evidence.excerpt == slow
    assert "120 hours" in risk.explanation
    assert risk.severity == contract_review_pb2.CONTRACT_SEVERITY_HIGH
    breach = _finding(result, "art33-2-breach-notification")
    assert breach.status == STATUS.STATUS_WEAK
    assert "business days" in breach.explanation


def test_a_breach_notice_within_24_hours_is_not_flagged(tmp_path: Path) -> None:
    assert [r.risk_id for r in _review(tmp_path, {}).risks] == []


def test_sub_processors_added_without_notice_or_objection_are_flagged(tmp_path: Path) -> None:
    loose = (
        "6.1 The Processor may engage and replace Sub-processors at its sole discretion "
        "and without notice to the Controller."
    )
    result = _review(tmp_path, {"6.1": loose, "6.2": ""})
    assert [r.risk_id for r in result.risks] == ["subprocessor-changes-without-notice"]
    assert result.risks[0].evidence.clause_id == "cl-6.1"
    # No prior authorisation is required any more, so the Art. 28(2) term itself is missing.
    assert _finding(result, "art28-2-4-subprocessors").status == STATUS.STATUS_MISSING


def test_sub_processor_wording_is_not_flagged_when_the_controller_may_object(tmp_path: Path) -> None:
    loose = "6.1 The Processor may engage Sub-processors without the Controller's prior consent, subject to clause 6.2."
    result = _review(tmp_path, {"6.1": loose})
    assert [r.risk_id for r in result.risks] == []


def test_audits_limited_to_third_party_reports_are_flagged(tmp_path: Path) -> None:
    reports = (
        "10.2 Any audit right of the Controller shall be satisfied solely by the "
        "Processor providing its most recent SOC 2 Type II report."
    )
    result = _review(tmp_path, {"10.2": reports})
    assert [r.risk_id for r in result.risks] == ["audit-limited-to-reports"]
    finding = _finding(result, "art28-3h-information-audits")
    assert finding.status == STATUS.STATUS_WEAK
    assert "inspections" in finding.missing_elements


def test_deletion_where_practicable_is_flagged_and_weakens_the_deletion_requirement(tmp_path: Path) -> None:
    qualified = (
        "9.1 After the end of the provision of the services, the Processor shall delete "
        "the Personal Data where reasonably practicable."
    )
    result = _review(tmp_path, {"9.1": qualified})
    assert [r.risk_id for r in result.risks] == ["deletion-where-practicable"]
    finding = _finding(result, "art28-3g-deletion-return")
    assert finding.status == STATUS.STATUS_WEAK
    assert "where reasonably practicable" in finding.explanation
    assert result.issues_detected == 2


def test_colorado_allows_an_independent_audit_report_when_the_controller_consents(tmp_path: Path) -> None:
    consented = (
        "5.2 With the Controller's consent, audits may be satisfied solely by an annual "
        "report of a qualified and independent auditor."
    )
    result = _review(tmp_path, {"5.2": consented}, document="co_processor_agreement.txt", jurisdiction="US_CO")
    assert [r.risk_id for r in result.risks] == []


def test_risky_terms_in_an_unrelated_contract_are_not_flagged(tmp_path: Path) -> None:
    nda = fixture_text("mutual_nda.txt").replace(
        "certify the destruction in writing.", "certify the destruction in writing, where practicable."
    )
    ctx = context(tmp_path, params("vendor_dpa", "EU"), text=nda)
    assert list(lexical_analyzer().run(ctx).contract_review.risks) == []
