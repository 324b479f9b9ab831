"""Sentences that give no content of a requirement (analyzer 1.8.0, class D of issue 15's cut
variants): a pointer to the description of the processing is a reference, never the description
("... the categories of personal data and for the purposes set out in Appendix 1", "Annex 1
describes the subject matter ...", "... is governed by the Data Processing Agreement set out in
Schedule 1" name the processing details without giving them); a later part of the controller's
over-long sentence is still the controller's.

Sentences and documents here were written for these tests (the EU DPA fixture with its details
rewritten); none is taken from an evaluation document.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.contracts.support import STATUS, edited_findings

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
