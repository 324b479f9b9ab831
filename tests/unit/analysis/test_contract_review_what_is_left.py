"""What is left once a requirement's clauses are cut must not hold it up (analyzer 1.27.0, playbooks 1.23.0): one
sentence limiting the processing to a purpose is no description of it; the description left to the principal
agreement is BY_REFERENCE; the controller's warranties in roman items under a lettered lead-in are the
controller's; the measures sub-processors are made to take are a sub-processing term; the document described is
no passive duty; how an audit is run and paid for grants none; data kept until the controller deletes it is a
retention period. And where the data stays is a transfer term.

Sentences written for these tests (the EU DPA fixture with clauses rewritten); none is taken from an
evaluation document.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.contracts.support import edit, edited_findings, embedding_analyzer, findings, fixture_text, needs_model
from google.protobuf.json_format import MessageToDict

from assay.analysis.analyzers.contract_review.binding import binds_processor
from assay.analysis.analyzers.contract_review.playbook import builtin_playbooks
from assay.v1 import contract_review_pb2

Status = contract_review_pb2.ContractRequirementFinding.Status
POSITIVE = (Status.STATUS_PRESENT, Status.STATUS_WEAK)
DETAILS = "art28-3-processing-details"
NO_DETAILS = {"2.2": "", "2.3": "", "2.4": "", "2.5": ""}


def test_one_sentence_limiting_the_processing_to_a_purpose_is_no_description(tmp_path: Path) -> None:
    limited = (
        "3.1 The Processor will use such Personal Data only for the commercial purposes of delivering the Services."
    )
    for finding in edited_findings(tmp_path, {"3.1": limited, "2.1": "", **NO_DETAILS}, DETAILS):
        assert finding.status not in POSITIVE, MessageToDict(finding)


@needs_model
def test_a_limiting_sentence_under_a_heading_naming_the_purpose_is_its_value(tmp_path: Path) -> None:
    purpose = (
        "2.1 Purpose of the Processing\n\n"
        "The Processor will use such Personal Data only for the commercial purposes of delivering the Services."
    )
    text = edit(fixture_text("eu_dpa.txt"), {"2.1": purpose, **NO_DETAILS})
    finding = findings(embedding_analyzer(), tmp_path, text)[DETAILS]
    assert finding.status in POSITIVE, MessageToDict(finding)


def test_that_sentence_with_another_of_the_description_counts(tmp_path: Path) -> None:
    limited = "2.1 The Processor will process the Personal Data solely for the purpose of providing the Services."
    kept_types = {k: v for k, v in NO_DETAILS.items() if k != "2.4"}
    for finding in edited_findings(tmp_path, {"2.1": limited, **kept_types}, DETAILS):
        assert finding.status in POSITIVE, MessageToDict(finding)
        assert len(finding.evidence) == 2


def test_a_description_left_to_the_principal_agreement_is_by_reference(tmp_path: Path) -> None:
    pointer = "2.1 The subject matter and the duration of the processing are described in the Principal Agreement."
    for finding in edited_findings(tmp_path, {"2.1": pointer, **NO_DETAILS}, DETAILS):
        assert finding.status == Status.STATUS_BY_REFERENCE, MessageToDict(finding)
        assert list(finding.referenced_documents) == ["Principal Agreement"]


def test_roman_items_under_a_lettered_lead_in_are_its_party(tmp_path: Path) -> None:
    warranties = (
        "12.1 This DPA is governed by the laws of Germany.\n\n"
        "(c) The Controller warrants that:\n\n"
        "(i) it has all necessary rights to provide the Personal Data to the Processor; and,\n\n"
        "(ii) it will inform the Processor without undue delay if, in its opinion, an instruction infringes the GDPR."
    )
    for finding in edited_findings(tmp_path, {"3.2": "", "12.1": warranties}, "art28-3-infringing-instructions"):
        assert finding.status not in POSITIVE, MessageToDict(finding)


def test_the_measures_sub_processors_are_made_to_take_are_no_security_of_the_processor(tmp_path: Path) -> None:
    flow_down = (
        "5.1 The Processor shall require each Sub-processor:\n\n"
        "1. to be bound by written data protection terms;\n\n"
        "2. to implement appropriate technical and organisational security measures."
    )
    for finding in edited_findings(tmp_path, {"5.1": flow_down, "Encryption": ""}, "art28-3c-security"):
        assert finding.status not in POSITIVE, MessageToDict(finding)


@pytest.mark.parametrize(
    ("sentence", "binds"),
    [
        (
            "This DPA reflects the obligations of the GDPR and is designed for use by enterprise customers "
            "assessing the Processor as a supplier.",
            False,
        ),
        ("The Personal Data is encrypted at rest and in transit.", True),
        ("This DPA shall be reviewed by the Processor once a year.", True),
    ],
)
def test_the_document_described_is_no_passive_duty(sentence: str, binds: bool) -> None:
    assert binds_processor(sentence) is binds


def test_how_an_audit_is_run_grants_none(tmp_path: Path) -> None:
    left = "10.2 Any audit shall be carried out during the Processor's business hours."
    for finding in edited_findings(tmp_path, {"10.1": "", "10.2": left}, "art28-3h-information-audits"):
        assert finding.status not in POSITIVE, MessageToDict(finding)


@pytest.mark.parametrize("playbook", ["eu-gdpr-processor-terms", "uk-gdpr-processor-terms"])
@pytest.mark.parametrize(
    ("sentence", "about_it"),
    [
        ("All audits shall be conducted at the Controller's expense.", False),
        ("Any audit shall be carried out during the Processor's business hours.", False),
        ("The Controller may audit the Processor; audits shall be conducted at the Controller's expense.", True),
        ("Audits may be conducted by the Controller at its own expense.", True),
    ],
)
def test_how_an_audit_is_paid_for_is_no_audit_term(playbook: str, sentence: str, about_it: bool) -> None:
    audits = next(r for r in builtin_playbooks()[playbook].requirements if r.id == "art28-3h-information-audits")
    for element in (e for e in audits.elements if e.id in ("audits", "inspections")):
        assert (not any(p.search(sentence) for p in element.not_about)) is about_it


def test_an_audit_right_with_its_hours_is_still_one(tmp_path: Path) -> None:
    right = "10.2 The Controller may audit the Processor once a year; audits shall be conducted during business hours."
    for finding in edited_findings(tmp_path, {"10.1": "", "10.2": right}, "art28-3h-information-audits"):
        assert finding.status in POSITIVE, MessageToDict(finding)


@pytest.mark.parametrize(
    ("left", "positive"),
    [
        (
            "9.1 Personal Data is kept until the Controller deletes it in the Services or the Services Agreement "
            "ends, whichever comes first.",
            False,
        ),
        (
            "9.1 Personal Data is kept until the Controller deletes it in the Services or the Services Agreement "
            "ends, after which the Processor deletes it within thirty days.",
            True,
        ),
    ],
)
def test_how_long_the_data_is_kept_until_the_controller_deletes_it_is_no_deletion_duty(
    tmp_path: Path, left: str, positive: bool
) -> None:
    for finding in edited_findings(tmp_path, {"9.1": left}, "art28-3g-deletion-return"):
        assert (finding.status in POSITIVE) is positive, MessageToDict(finding)


@pytest.mark.parametrize("playbook", ["eu-gdpr-processor-terms", "uk-gdpr-processor-terms"])
@pytest.mark.parametrize(
    ("sentence", "found"),
    [
        ("Customer data is hosted and processed within the European Union in Frankfurt.", True),
        ("The Processor does not transfer personal data outside the agreed hosting region.", True),
        ("No transfers of data outside the EEA take place.", True),
        ("Account data never leaves the EEA.", True),
        ("Our office is located in the EU.", False),
    ],
)
def test_where_the_data_stays_is_a_transfer_term(playbook: str, sentence: str, found: bool) -> None:
    transfers = next(r for r in builtin_playbooks()[playbook].requirements if r.id == "chapter-v-transfers")
    assert transfers.primary is not None
    assert any(p.search(sentence) for p in transfers.primary.patterns) is found
