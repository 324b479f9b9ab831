"""A negated, gutted or cut obligation is never reported PRESENT on the strength of its own text.

Sentences and documents here were written for these tests (the EU DPA fixture with one clause
rewritten or removed).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fixtures.contracts.support import (
    STATUS,
    context,
    edit,
    embedding_analyzer,
    fixture_text,
    lexical_analyzer,
    needs_model,
    params,
)

from assay.analysis.analyzers.contract_review.negation import contradiction
from assay.analysis.analyzers.contract_review.sentence_kind import clean_markup, is_definition, is_heading_like
from assay.v1 import contract_review_pb2

DELETION = [re.compile(r"delet|\breturn|destr", re.IGNORECASE), re.compile(r"\bdata\b|copies", re.IGNORECASE)]
AUDITS = [re.compile(r"audit|inspect", re.IGNORECASE)]
SUBPROCESSORS = [re.compile(r"sub-?processors?|another\s+processor", re.IGNORECASE)]
INSTRUCTIONS = [re.compile(r"instruct", re.IGNORECASE), re.compile(r"process", re.IGNORECASE)]
TRANSFERS = [re.compile(r"third\s+countr|transfer", re.IGNORECASE)]
BREACH_NOTICE = [re.compile(r"breach|incident", re.IGNORECASE), re.compile(r"notif|inform", re.IGNORECASE)]
INFORMATION = [re.compile(r"information", re.IGNORECASE), re.compile(r"make\s+available|provide", re.IGNORECASE)]


@pytest.mark.parametrize(
    ("sentence", "operative", "cue"),
    [
        (
            "The Processor shall not be required to delete or return the personal data and may retain it.",
            DELETION,
            "not be required to",
        ),
        (
            "Upon termination the Processor reserves the right to delete all personal data.",
            DELETION,
            "reserves the right to",
        ),
        (
            "Instead of deleting the personal data, the Processor may retain copies indefinitely.",
            DELETION,
            "indefinitely",
        ),
        ("The Processor does not permit audits or inspections of its facilities.", AUDITS, "not permit audits or"),
        (
            "Audits are limited solely to providing third-party reports.",
            AUDITS,
            "limited solely to providing third-party reports",
        ),
        (
            "The Processor may engage sub-processors without notice to the Controller.",
            SUBPROCESSORS,
            "may engage sub-processors without",
        ),
        ("It is not agreed that the Processor will delete the personal data.", DELETION, "It is not agreed that"),
        ("The Processor does not undertake to delete or return the personal data.", DELETION, "does not undertake to"),
        (
            "All personal data will not be deleted without undue delay after termination.",
            DELETION,
            "not be deleted without",
        ),
        (
            "The Processor may not only process the personal data on the documented instructions of the Controller.",
            INSTRUCTIONS,
            "may not only",
        ),
        (
            "Any transfer to a third country shall not be required to require the prior consent of the Controller.",
            TRANSFERS,
            "not be required to",
        ),
        # A "but"/"however" that only inserts a qualification, or a permission, keeps the negation going.
        (
            "The Supplier shall not be required to promptly, but within a reasonable period, notify the Customer of a "
            "security incident.",
            BREACH_NOTICE,
            "not be required to",
        ),
        (
            "The Processor need not, but may at its option, delete the personal data after termination.",
            DELETION,
            "need not",
        ),
        (
            "The Processor shall not be required to permit audits, but shall make available to the Controller all "
            "information necessary to demonstrate compliance.",
            AUDITS,
            "not be required to",
        ),
        (
            "The Vendor will not, however reasonable the request, permit inspections of its premises.",
            AUDITS,
            "not, however reasonable",
        ),
        (
            "The Processor may appoint any Sub-processor whether or not the Controller has authorised it.",
            SUBPROCESSORS,
            "may appoint any Sub-processor whether or not",
        ),
    ],
)
def test_a_negated_or_gutted_obligation_is_a_contradiction(
    sentence: str, operative: list[re.Pattern[str]], cue: str
) -> None:
    found = contradiction(sentence, operative)
    assert found is not None and found.cue == cue


@pytest.mark.parametrize(
    ("sentence", "operative"),
    [
        ("The Processor shall delete or return all personal data at the end of the services.", DELETION),
        ("The Processor shall not engage another processor without prior written authorisation.", SUBPROCESSORS),
        ("The Processor is not entitled of its own authority to delete the personal data.", DELETION),
        ("This obligation does not apply where the law requires storage; otherwise the data is deleted.", DELETION),
        ("The Processor shall allow for and contribute to audits, including inspections.", AUDITS),
        ("The Recipient will not disclose confidential information to third parties.", DELETION),
        ("The Processor shall allow audits, including but not limited to inspections of its premises.", AUDITS),
        ("The Processor shall allow audits, but only if such an audit may not impose a threat to others.", AUDITS),
        ("The Processor shall not only delete the personal data but also certify the deletion.", DELETION),
        # A "but"/"however" opening a new clause with its own duty ends the negation.
        (
            "The Processor shall not be required to permit audits, but shall make available to the Controller all "
            "information necessary to demonstrate compliance.",
            INFORMATION,
        ),
        (
            "The Processor is not responsible for the Controller's systems, but it shall notify the Controller of any "
            "personal data breach without undue delay.",
            BREACH_NOTICE,
        ),
        (
            "Sub-processors are not engaged by default; however, the Processor shall delete all personal data on "
            "termination.",
            DELETION,
        ),
    ],
)
def test_an_affirmed_or_restricting_obligation_is_no_contradiction(
    sentence: str, operative: list[re.Pattern[str]]
) -> None:
    assert contradiction(sentence, operative) is None


def test_headings_labels_and_definitions_are_recognised_and_markup_is_stripped() -> None:
    assert is_heading_like("## Processor's obligations with respect to the controller")
    assert is_heading_like("2. **Subject-matter and duration of the processing**.")
    assert is_heading_like("Categories of personal data transferred:")
    # a long verbless line all in bold (1.20.0)
    assert is_heading_like(
        "4. **Supplementary provisions for transfers of personal data subject to both the GDPR and the Swiss "
        "Federal Act on Data Protection**"
    )
    assert not is_heading_like(
        "**The Processor shall notify the Controller of any Personal Data Breach within twenty four hours of "
        "becoming aware of it**"
    )
    assert not is_heading_like("The Processor shall delete all personal data.")
    assert not is_heading_like("#### The Provider will delete all personal data at the end of the services")  # 1.22.0
    assert is_definition(
        '"data controller", "data subject" and "processing" shall be interpreted in accordance with the GDPR.'
    )
    assert is_definition('In this DPA ("DPA"), "Data Protection Law" means the GDPR.')
    assert not is_definition("The Processor processes personal data only on documented instructions.")
    assert clean_markup("**9.1** The <span class='x'>Processor</span> shall \\*delete\\* [data](https://x.test).") == (
        "9.1 The Processor shall delete data."
    )


def _review(
    tmp_path: Path, changes: dict[str, str], semantic: bool = False
) -> dict[str, contract_review_pb2.ContractRequirementFinding]:
    text = edit(fixture_text("eu_dpa.txt"), changes)
    analyzer = embedding_analyzer() if semantic else lexical_analyzer()
    result = analyzer.run(context(tmp_path, params("vendor_dpa", "EU"), text=text)).contract_review
    return {f.requirement_id: f for f in result.requirements}


def test_a_negated_deletion_clause_is_contradicted_quoting_the_negation(tmp_path: Path) -> None:
    negated = (
        "9.1 The Processor shall not be required to delete or return the Personal Data after the end of the "
        "services and may retain it indefinitely."
    )
    finding = _review(tmp_path, {"9.1": negated})["art28-3g-deletion-return"]
    assert finding.status == STATUS.STATUS_CONTRADICTED
    assert [e.excerpt for e in finding.evidence] == [negated]
    assert "'not be required to' in cl-9.1" in finding.explanation
    assert finding.severity == contract_review_pb2.CONTRACT_SEVERITY_HIGH and finding.recommendation


def test_a_deletion_right_instead_of_a_duty_is_contradicted(tmp_path: Path) -> None:
    gutted = "9.1 Upon termination of the services the Processor reserves the right to delete all Personal Data."
    finding = _review(tmp_path, {"9.1": gutted})["art28-3g-deletion-return"]
    assert finding.status == STATUS.STATUS_CONTRADICTED
    assert "reserves the right to" in finding.explanation


def test_audits_that_are_not_permitted_are_contradicted(tmp_path: Path) -> None:
    findings = _review(
        tmp_path,
        {
            "10.1": "10.1 The Processor does not make available any information on its compliance with this DPA.",
            "10.2": "10.2 The Processor does not permit audits or inspections by the Controller or any auditor.",
        },
    )
    finding = findings["art28-3h-information-audits"]
    assert finding.status == STATUS.STATUS_CONTRADICTED
    assert {e.clause_id for e in finding.evidence} == {"cl-10.1", "cl-10.2"}


def test_a_negated_sentence_is_never_the_evidence_of_a_met_requirement(tmp_path: Path) -> None:
    negated = "10.2 The Processor does not permit audits or inspections by the Controller or any auditor."
    finding = _review(tmp_path, {"10.2": negated})["art28-3h-information-audits"]
    assert finding.status != STATUS.STATUS_PRESENT
    assert all(e.clause_id != "cl-10.2" for e in finding.evidence)


def test_returning_confidential_information_is_not_evidence_of_deleting_personal_data(tmp_path: Path) -> None:
    nda_clause = (
        "9.1 Upon termination of the Services Agreement, each party will return or destroy the other party's "
        "Confidential Information."
    )
    finding = _review(tmp_path, {"9.1": nda_clause})["art28-3g-deletion-return"]
    assert finding.status == STATUS.STATUS_MISSING


def test_a_heading_alone_is_not_evidence(tmp_path: Path) -> None:
    findings = _review(
        tmp_path, {"9.": "9. Deletion and return of personal data at the end of the services", "9.1": ""}
    )
    assert findings["art28-3g-deletion-return"].status == STATUS.STATUS_MISSING


def test_markdown_markup_is_not_quoted(tmp_path: Path) -> None:
    bold = (
        "9.1 **At the choice of the Controller**, the Processor shall delete or return all the Personal Data to the "
        "Controller after the end of the provision of the services."
    )
    finding = _review(tmp_path, {"9.1": bold})["art28-3g-deletion-return"]
    assert finding.status == STATUS.STATUS_PRESENT
    assert finding.evidence[0].excerpt.startswith("9.1 At the choice of the Controller, the Processor shall delete")


@needs_model
def test_transfer_safeguards_are_not_evidence_of_security_of_processing(tmp_path: Path) -> None:
    findings = _review(
        tmp_path,
        {
            "5.1": "5.1 The Processor must provide evidence of appropriate safeguards for any transfer.",
            "ANNEX 2": "",
            "Encryption": "",
        },
        semantic=True,
    )
    assert findings["art28-3c-security"].status == STATUS.STATUS_MISSING


def test_every_sentence_of_a_clause_that_opens_with_a_definition_is_a_definition(tmp_path: Path) -> None:
    defined = (
        '11.1 "Transfer Clauses" means the standard contractual clauses adopted by the European Commission. '
        "For the United Kingdom, the standard contractual clauses come with the International Data Transfer Addendum."
    )
    findings = _review(tmp_path, {"11.1": defined})
    assert findings["chapter-v-transfers"].status == STATUS.STATUS_MISSING


def _statuses(tmp_path: Path, text: str) -> dict[str, int]:
    result = lexical_analyzer().run(context(tmp_path, params("vendor_dpa", "EU"), text=text)).contract_review
    return {f.requirement_id: f.status for f in result.requirements}


def test_one_stray_element_of_the_processing_details_does_not_address_them(tmp_path: Path) -> None:
    """Processing details are decided by their elements: with the clauses describing the processing
    cut, the one element left ("the categories of Data Subjects are ...") is not the requirement met."""
    original = fixture_text("eu_dpa.txt")
    cut = edit(original, {"2.1": "", "2.2": "", "2.3": "", "2.4": ""})
    assert "2.5 The categories of Data Subjects" in cut
    assert _statuses(tmp_path, original)["art28-3-processing-details"] == STATUS.STATUS_PRESENT
    assert _statuses(tmp_path, cut)["art28-3-processing-details"] == STATUS.STATUS_MISSING


def test_inspections_by_the_supervisory_authority_are_not_audits_by_the_controller(tmp_path: Path) -> None:
    authority = (
        "10.2 The Processor shall inform the Controller without delay of any inspections conducted by the "
        "supervisory authority and shall allow the supervisory authority to audit its processing."
    )
    text = edit(fixture_text("eu_dpa.txt"), {"10.2": authority})
    result = lexical_analyzer().run(context(tmp_path, params("vendor_dpa", "EU"), text=text)).contract_review
    audits = next(f for f in result.requirements if f.requirement_id == "art28-3h-information-audits")
    assert audits.status != STATUS.STATUS_PRESENT
    assert {"audits", "inspections"} <= set(audits.missing_elements), audits


def test_the_items_of_a_negated_lead_in_do_not_affirm_it(tmp_path: Path) -> None:
    negated = (
        "11.1 The standard contractual clauses shall not be required to apply to transfers of Personal Data "
        "outside the European Economic Area, completed as follows:\n"
        "(a) the standard contractual clauses govern transfers of Personal Data to third countries under module two;\n"
        "(b) the standard contractual clauses for transfers of Personal Data are governed by the laws of Ireland."
    )
    finding = _review(tmp_path, {"11.1": negated})["chapter-v-transfers"]
    assert finding.status == STATUS.STATUS_CONTRADICTED
    assert "not be required to" in finding.explanation


@pytest.mark.parametrize(
    ("sentence", "operative", "cue"),
    [
        ("The Processor shall notify the Controller of a personal data breach when it considers it appropriate.",
         BREACH_NOTICE, "when it considers it appropriate"),
        ("The Processor may decline audits.", AUDITS, "may decline"),
        ("The Processor is entitled to refuse the deletion of the data.", DELETION, "is entitled to refuse"),
        ("The Processor shall delete the data where commercially reasonable, as determined by the Processor.",
         DELETION, "as determined by the Processor"),
        ("The Processor will notify the Controller of a personal data breach if it so elects.", BREACH_NOTICE,
         "if it so elects"),
        ("The Processor may, in its sole judgement, delete the data.", DELETION, "in its sole judgement"),
        ("The Processor can choose whether to delete or retain the data.", DELETION, "Processor can choose whether"),
        ("The Processor will notify the Controller of a personal data breach whenever it wishes.", BREACH_NOTICE,
         "whenever it wishes"),
        ("Audits take place at the Processor's option.", AUDITS, "at the Processor's option"),
    ],
)
def test_a_duty_left_to_the_processors_own_choice_is_contradicted(
    sentence: str, operative: list[re.Pattern[str]], cue: str
) -> None:
    found = contradiction(sentence, operative)
    assert found is not None and cue.lower() in found.cue.lower(), found


@pytest.mark.parametrize(
    ("sentence", "operative"),
    [
        ("The Processor may not refuse an audit by the Controller.", AUDITS),
        ("The Processor shall not unreasonably withhold its cooperation with audits.", AUDITS),
        ("The Controller may choose whether the Processor deletes or returns the data.", DELETION),
        ("The Processor shall immediately inform the Controller if, in its opinion, an instruction infringes the GDPR.",
         [re.compile(r"instruct", re.IGNORECASE), re.compile(r"inform", re.IGNORECASE)]),
        ("If the Service Provider concludes that it can no longer meet its obligations, it will notify the Business.",
         [re.compile(r"notif", re.IGNORECASE)]),
        # A prohibition with its exception is the duty itself, not a permission with a loophole (1.8.0).
        ("The Processor may not engage any sub-processor that stores data abroad without the Controller's prior "
         "written approval.", SUBPROCESSORS),
        ("The Processor can't appoint another processor without prior written authorisation.", SUBPROCESSORS),
        ("We may not transfer personal data to a third country without your written permission.", TRANSFERS),
        # A condition opened by "to the extent" (1.8.0).
        ("To the extent that the Controller does not otherwise have the information, the Processor will assist "
         "the Controller with impact assessments.", [re.compile(r"assist", re.IGNORECASE)]),
    ],
)
def test_a_refusal_negated_or_a_condition_is_no_contradiction(sentence: str, operative: list[re.Pattern[str]]) -> None:
    assert contradiction(sentence, operative) is None
