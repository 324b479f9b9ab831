"""Sentences that give no content of a requirement (analyzer 1.8.0, class D of issue 15's cut
variants): a pointer to the description of the processing is a reference, never the description
("... the categories of personal data and for the purposes set out in Appendix 1", "Annex 1
describes the subject matter ...", "... is governed by the Data Processing Agreement set out in
Schedule 1" name the processing details without giving them); a later part of the controller's
over-long sentence is still the controller's. Since 1.23.0 also a glossary under a numbered "Definitions"
heading, a sentence that only says who is controller and who processor, and the controller's duties said after
its assent or done to the data before it is sent.

Sentences and documents here were written for these tests (the EU DPA fixture with its details
rewritten); none is taken from an evaluation document.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.contracts.support import STATUS, edited_findings

from assay.analysis.analyzers.contract_review import matching
from assay.analysis.analyzers.contract_review.extract import extract_text
from assay.analysis.analyzers.contract_review.obligation import non_binding
from assay.analysis.analyzers.contract_review.playbook import builtin_playbooks
from assay.analysis.analyzers.contract_review.segment import segment
from assay.analysis.analyzers.contract_review.sentence_kind import describes_elsewhere, introduces_definitions

POSITIVE = {STATUS.STATUS_PRESENT, STATUS.STATUS_WEAK}
DETAILS = "art28-3-processing-details"


@pytest.mark.parametrize(
    "sentence",
    [
        "2.2 The Processor shall process the types of personal data and the categories of data subjects for the "
        "purposes set out in Appendix 1 to this Agreement.",
        "1. Processing Details. Annex 1 on the Order Form describes the subject matter, nature, purpose and "
        "duration of the Processing.",
        "Schedule 2 sets out the categories of data subjects and the types of personal data processed.",
        "Our processing of your personal data is governed by the Data Processing Agreement set out in Schedule 1.",
        "The Processor processes the personal data described in the **Cover Page** for the purposes stated there.",
    ],
)
def test_the_details_pointed_to_in_another_document_are_a_pointer(sentence: str) -> None:
    assert describes_elsewhere(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        # The details given, or pointed to in the text at hand, are no pointer.
        "The categories of data subjects are the Controller's customers and employees.",
        "The types of personal data are set out in this Annex: names, email addresses and order histories.",
        "The Processor processes the personal data of the data subjects listed below to provide the Services.",
        "The Controller may object within the period specified in this Schedule.",
    ],
)
def test_details_given_here_are_not_a_pointer(sentence: str) -> None:
    assert not describes_elsewhere(sentence)


@pytest.mark.parametrize(
    "pointer",
    [
        "2.1 The Processor shall process the types of Personal Data and the categories of Data Subjects, for "
        "the nature and purposes and for the duration set out in Appendix 1 to this DPA.",
        "2.1 Appendix 1 describes the subject matter, duration, nature and purpose of the processing, the types "
        "of Personal Data and the categories of Data Subjects.",
    ],
)
def test_with_the_details_cut_a_pointer_to_them_is_not_the_description(tmp_path: Path, pointer: str) -> None:
    changes = {"2.1": pointer, "2.2": "", "2.3": "", "2.4": "", "2.5": ""}
    for finding in edited_findings(tmp_path, changes, DETAILS):
        assert finding.status not in POSITIVE, finding


def test_the_details_themselves_are_still_found(tmp_path: Path) -> None:
    for finding in edited_findings(tmp_path, {}, DETAILS):
        assert finding.status in POSITIVE, finding


CONTROLLER_ACKNOWLEDGEMENT = (
    "5.1 For the purposes of this clause, the Controller is solely responsible for making an independent "
    "determination as to whether the measures described on the Processor's security page meet the "
    "Controller's requirements, and agrees that, taking into account the state of the art, the costs of "
    "implementation, the nature, scope, context and purposes of the processing, the categories of Personal Data "
    "concerned, the risks of varying likelihood and severity to the rights and freedoms of individuals, which "
    "the Controller has assessed for its own use of the services, and the guidance of the competent "
    "supervisory authorities, the technical and organisational measures implemented and maintained by the "
    "Processor (as described on its security page) provide a level of security appropriate to the risk with "
    "respect to the Personal Data."
)


def test_a_later_part_of_the_controllers_long_sentence_binds_no_processor(tmp_path: Path) -> None:
    """An over-long sentence is cut into parts; a later part of the controller's acknowledgement
    ("the Controller ... agrees that ... the measures implemented by the Processor provide a level of
    security appropriate") is still the controller's: with the security clause cut, it is no
    evidence of the processor's duty."""
    for finding in edited_findings(tmp_path, {"5.1": CONTROLLER_ACKNOWLEDGEMENT}, "art28-3c-security"):
        assert finding.status not in POSITIVE, finding


DEFINITIONS_LIST = (
    "11.1 In this clause, the following terms have the following meanings:\n\n"
    '- "GDPR" means Regulation (EU) 2016/679.\n\n'
    '- "Transfer Clauses" means the module of the standard contractual clauses for transfers to a processor, '
    "which shall be applied as follows:\n\n"
    "- for Restricted Transfers from the European Economic Area, the Transfer Clauses in the EU SCCs shall "
    "apply;\n\n"
    "- for Restricted Transfers from the United Kingdom, the Transfer Clauses in the UK Addendum shall apply."
)


@pytest.mark.parametrize(
    ("lead_in", "expected"),
    [
        ("In this DPA, the following terms have the following meanings:", True),
        ("For the purposes of this Agreement the following definitions apply:", True),
        ("In this DPA the following capitalised terms shall have the meanings set out below:", True),
        ("The following terms apply to Sub-processors:", False),
        ("The Processor shall do the following:", False),
    ],
)
def test_a_list_of_definitions_is_known_by_its_lead_in(lead_in: str, expected: bool) -> None:
    assert introduces_definitions(lead_in) is expected


def test_an_item_nested_in_a_definitions_list_is_no_transfer_term(tmp_path: Path) -> None:
    """With the transfer clause replaced by definitions, a nested item of a definition ("for
    Restricted Transfers from the EEA, the Transfer Clauses in the EU SCCs shall apply;") names the
    transfer terms, it does not make them."""
    changes = {"11.1": DEFINITIONS_LIST}
    for finding in edited_findings(tmp_path, changes, "chapter-v-transfers"):
        assert finding.status not in POSITIVE, finding


@pytest.mark.parametrize(
    "pointer",
    [
        "2.1 Appendix 1 describes the subject matter, duration, nature and purpose of the processing, the types "
        "of Personal Data and the categories of Data Subjects.",
        "2.1 The Processor shall process the types of Personal Data and the categories of Data Subjects, for "
        "the nature and purposes and for the duration set out in Appendix 1.",
    ],
)
def test_processing_details_left_to_another_document_are_by_reference_naming_it(tmp_path: Path, pointer: str) -> None:
    changes = {"2.1": pointer, "2.2": "", "2.3": "", "2.4": "", "2.5": ""}
    for finding in edited_findings(tmp_path, changes, DETAILS):
        assert finding.status == STATUS.STATUS_BY_REFERENCE, finding
        assert list(finding.referenced_documents) == ["Appendix 1"]
        assert [e.excerpt for e in finding.evidence] == [pointer]


@pytest.mark.parametrize(
    "heading", ["## 1. Definitions", "1. Definitions", "**Section 2. Definitions and Interpretation**"]
)
def test_a_numbered_definitions_heading_keeps_its_glossary_out_of_the_evidence(heading: str) -> None:
    # 1.23.0: only a heading reading "Definitions" from its first letter was known, so "## 1. Definitions" and its
    # "- **Personal Data:** Any information relating to ..." stood as the processing details of a cut document.
    text = (
        f"{heading}\n\n- **Personal Data:** Any information relating to an identified or identifiable natural "
        "person.\n\n## 2. Processing\n\nThe Processor shall process the personal data only on documented "
        "instructions."
    )
    units = matching.build_units(segment([extract_text(text)]), builtin_playbooks()["eu-gdpr-processor-terms"])
    in_context = {u.text: u.in_context for u in units}
    glossary = next(t for t in in_context if "Any information relating" in t)
    assert not in_context[glossary]
    assert in_context["The Processor shall process the personal data only on documented instructions."]


@pytest.mark.parametrize(
    ("sentence", "reason"),
    [
        # 1.23.0: who is controller and who processor, said with "in accordance with Controller's Instructions"
        # before it, stood as the documented instructions of a document whose instruction clauses were cut.
        (
            "When Processing European Data in accordance with the Controller's Instructions, the Parties acknowledge "
            "and agree that the Customer is the Controller of European Data and the Processor is the Processor.",
            "roles",
        ),
        ("The Processor is a processor and processes the personal data only on documented instructions.", ""),
        # 1.23.0: the controller's responsibilities introduced after a phrase and its assent, and what is done to the
        # data before it is sent to the processor.
        (
            "In particular but without prejudice to the generality of the foregoing, the Customer acknowledges and "
            "agrees that it will be solely responsible for: (c) agreeing that certain Instructions may result in the "
            "Processing of Data.",
            "controller duty",
        ),
        (
            "All Personal Data must be identified as such, using Instructions provided by the Processor, prior to "
            "transfer to the Processor for Processing.",
            "controller duty",
        ),
        ("All Personal Data must be deleted by the Processor within 30 days of termination.", ""),
    ],
)
def test_what_binds_no_processor_is_known(sentence: str, reason: str) -> None:
    assert non_binding(sentence) == reason
