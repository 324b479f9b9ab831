"""A prohibition (CCPA: no selling, no use for other purposes, no combining) is met by forbidding
the act and contradicted by allowing it; a sentence that only names the act meets nothing.

Sentences and the addendum here were written for these tests (the CCPA service-provider fixture
with one clause rewritten); none is taken from an evaluation document.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fixtures.contracts.support import STATUS, analyzers, edit, findings, fixture_text

from assay.analysis.analyzers.contract_review import ContractReviewAnalyzer, builtin_playbooks
from assay.analysis.analyzers.contract_review.negation import forbids, permission
from assay.analysis.analyzers.contract_review.playbook import PlaybookError, parse_playbook
from assay.v1 import contract_review_pb2

SALE = [re.compile(r"\b(sell\w*|sold|sale|shar(e|es|ing))\b", re.IGNORECASE)]
OTHER_PURPOSES = [
    re.compile(r"\b(retain\w*|use|disclos\w*)\b", re.IGNORECASE),
    re.compile(r"\b(other\s+than|outside|only|any\s+(other\s+)?purpose)\b", re.IGNORECASE),
]
POSITIVE = {STATUS.STATUS_PRESENT, STATUS.STATUS_WEAK}


@pytest.mark.parametrize(
    ("sentence", "operative", "cue"),
    [
        ("The Service Provider may sell or share personal information it receives.", SALE, "may sell or share"),
        ("The Vendor is entitled to sell personal information of consumers.", SALE, "is entitled to sell"),
        ("The Vendor is not prohibited from selling personal information.", SALE, "is not prohibited from selling"),
        ("The Vendor reserves the right to share personal information with partners.", SALE,
         "reserves the right to share"),
        ("Nothing in this Addendum prevents the Vendor from selling personal information.", SALE,
         "Nothing in this Addendum prevents"),
        ("The Vendor may retain, use or disclose personal information for any purpose other than the services.",
         OTHER_PURPOSES, "may retain, use or"),
        ("The Vendor shall not sell personal information, except where it decides otherwise.", SALE,
         "except where it decides"),
        ("It is not agreed that the Vendor shall not sell personal information.", SALE, "It is not agreed that"),
    ],
)
def test_allowing_a_forbidden_act_is_found_with_its_wording(sentence: str, operative: list[re.Pattern[str]],
                                                            cue: str) -> None:
    found = permission(sentence, operative)
    assert found is not None and found.cue.startswith(cue), found


@pytest.mark.parametrize(
    ("sentence", "operative"),
    [
        ("The Service Provider shall not sell or share personal information.", SALE),
        ("The Vendor may not sell personal information.", SALE),
        ("The Vendor may never sell personal information.", SALE),
        ("The Vendor cannot sell or share personal information received from the Business.", SALE),
        ("The Vendor may process personal information only for the business purposes.", OTHER_PURPOSES),
        ("The Vendor shall not retain, use or disclose personal information outside the services.", OTHER_PURPOSES),
        ("If the Business may share personal information with the Vendor, it shall say so.", SALE),
        ("The Vendor may not: sell or share personal information.", SALE),
    ],
)
def test_forbidding_the_act_is_no_permission(sentence: str, operative: list[re.Pattern[str]]) -> None:
    assert permission(sentence, operative) is None


def test_naming_the_act_without_forbidding_it_meets_no_prohibition() -> None:
    assert not forbids("The Service Provider sells personal information to advertising partners.")
    assert forbids("The Service Provider shall not sell personal information.")
    assert forbids("The Service Provider uses personal information only for the business purposes.")


def _finding(analyzer: ContractReviewAnalyzer, tmp_path: Path, text: str,
             requirement: str) -> contract_review_pb2.ContractRequirementFinding:
    return findings(analyzer, tmp_path, text, "US_CA")[requirement]


@pytest.mark.parametrize(
    ("clause", "replacement", "requirement", "quoted"),
    [
        ("2.1", "2.1 The Service Provider may sell or share personal information received from or on behalf of "
                "the Business.", "ccpa-no-sale-or-sharing", "may sell or share"),
        ("2.4", "2.4 The Service Provider may combine the personal information it receives from the Business with "
                "personal information it receives from another person.", "ccpa-no-combining", "may combine"),
        ("2.3", "2.3 The Service Provider may retain, use or disclose the personal information outside of the "
                "direct business relationship between the Service Provider and the Business.",
         "ccpa-direct-business-relationship", "outside of the direct business relationship"),
    ],
)
def test_a_permitted_act_contradicts_its_prohibition_quoting_the_permission(
    tmp_path: Path, clause: str, replacement: str, requirement: str, quoted: str
) -> None:
    text = edit(fixture_text("ca_service_provider_addendum.txt"), {clause: replacement})
    for analyzer in analyzers():
        assert _finding(analyzer, tmp_path, fixture_text("ca_service_provider_addendum.txt"),
                        requirement).status == STATUS.STATUS_PRESENT
        finding = _finding(analyzer, tmp_path, text, requirement)
        assert finding.status == STATUS.STATUS_CONTRADICTED, finding
        assert any(quoted in e.excerpt for e in finding.evidence), finding


def test_prohibitions_as_items_under_a_prohibiting_lead_in_are_present(tmp_path: Path) -> None:
    listed = ("2.1 The Service Provider shall not:\n\n"
              "- sell or share personal information received from the Business;\n\n"
              "- combine the personal information it receives from the Business with personal information it "
              "receives from another person.")
    text = edit(fixture_text("ca_service_provider_addendum.txt"), {"2.1": listed, "2.4": ""})
    for analyzer in analyzers():
        for requirement in ("ccpa-no-sale-or-sharing", "ccpa-no-combining"):
            assert _finding(analyzer, tmp_path, text, requirement).status in POSITIVE, requirement


def test_selling_stated_as_a_fact_is_not_a_prohibition(tmp_path: Path) -> None:
    text = edit(fixture_text("ca_service_provider_addendum.txt"),
                {"2.1": "2.1 The Service Provider sells personal information received from the Business to "
                        "advertising partners."})
    for analyzer in analyzers():
        assert _finding(analyzer, tmp_path, text, "ccpa-no-sale-or-sharing").status not in POSITIVE


def test_the_businesss_own_disclosure_does_not_restrict_the_service_providers_use(tmp_path: Path) -> None:
    text = edit(fixture_text("ca_service_provider_addendum.txt"), {"2.2": ""})
    for analyzer in analyzers():
        finding = _finding(analyzer, tmp_path, text, "ccpa-purpose-limitation")
        assert finding.status not in POSITIVE, finding


def test_a_prohibition_needs_operative_patterns_naming_the_act() -> None:
    spec = builtin_playbooks()["us-ca-ccpa-service-provider"]
    assert {r.id for r in spec.requirements if r.primary and r.primary.prohibition} == {
        "ccpa-no-sale-or-sharing", "ccpa-purpose-limitation", "ccpa-direct-business-relationship",
        "ccpa-no-combining"}
    with pytest.raises(PlaybookError, match="prohibition needs operative"):
        parse_playbook({
            "id": "p", "version": "1", "title": "t", "jurisdiction": "US_CA", "contract_types": ["vendor_dpa"],
            "requirements": [{"id": "r", "title": "t", "legal_reference": "l", "description": "d",
                              "severity": "high", "recommendation": "r", "prohibition": True,
                              "recognise": {"patterns": ["sell"]}}],
        })
