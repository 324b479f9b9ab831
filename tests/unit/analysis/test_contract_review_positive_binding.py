"""Evidence of a processor's duty binds the processor: the positive reading (issue 15, analyzer 1.6.0).

A sentence is evidence of a duty only when the processor (or an alias, its people, every party) is
the subject of one of its verbs, it states a passive duty, it is a command or a list item under a
lead-in that binds the processor, or the controller authorises or instructs the processor to act.
Sentences and documents here were written for these tests (the EU DPA fixture with one clause
rewritten); none is taken from an evaluation document.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.contracts.support import STATUS, lexical_findings

from assay.analysis.analyzers.contract_review.binding import binds_processor


@pytest.mark.parametrize(
    "sentence",
    [
        # (a) the processor, an alias or every party as the subject, with a duty form
        "the Processor shall delete all Personal Data at the end of the services.",
        "the Processor, taking into account the nature of the processing, shall assist the Controller.",
        "the Service Provider agrees to notify the Customer of any breach.",
        "the Vendor undertakes to keep the data confidential.",
        "the Supplier is obliged to return the data on request.",
        "the Processor and the Customer shall implement appropriate security measures.",
        "Each party shall keep the other's data confidential.",
        "the Processor's personnel are bound by confidentiality undertakings.",
        "All personnel with access to personal data are bound by confidentiality agreements.",
        "Northwind will notify affected controllers without undue delay.",  # a name read as no role
        "that it has implemented the technical and organisational measures before processing;",
        "the Processor may retain the data for the legal retention period and must securely delete it afterwards.",
        "the parties acknowledge that the data importer may process the personal data only on behalf of the exporter.",
        # (a) the processor's practice in the present tense
        "We encrypt all data at rest and in transit.",
        "the Processor deletes the Customer Data within 30 days of termination.",
        "Our data centres are located within the European Economic Area.",
        "The App deletes End-User Data on the schedule the administrator configures.",
        # (b) a passive duty
        "Personal Data shall be deleted within 30 days of the end of the services.",
        "Sub-processors will only be engaged with the Controller's prior written consent.",
        "the Controller shall be notified without undue delay of any Personal Data Breach.",
        "Engaging subcontractors outside the EEA is only permitted with the prior consent of the client.",
        # (c) commands, infinitives and items under a lead-in
        "Notify the Controller of any Personal Data Breach within 24 hours.",
        "Immediately inform the Controller of any request of a Data Subject.",
        "(b) not disclose the Personal Data to any third party.",
        "b) The obligation to immediately report breaches of personal data to the Client.",
        "The measures include: Implementing and maintaining an access-control policy.",
        # the controller's authority given to the processor
        "the Customer instructs the Processor to process Personal Data to provide the Service.",
        "the Customer gives the Processor general authorisation to engage the sub-processors listed in Annex 3.",
        # transfer clauses made to apply
        "For transfers from the EEA, the Standard Contractual Clauses shall apply.",
    ],
)
def test_sentences_that_bind_the_processor(sentence: str) -> None:
    assert binds_processor(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        # the controller's duties, acknowledgements and rights
        "the Customer shall provide documented instructions for all processing.",
        "the Customer is solely responsible for the security of its own systems.",
        "the Customer shall be entitled to audit once a year.",
        "the Controller shall notify the Supervisory Authority of a Personal Data Breach.",
        # things, documents and the law as subjects
        "This Annex contains the Controller's instructions.",
        "Article 28(3)(g) of the GDPR requires processors to delete or return all the Personal Data.",
        "The deletion or return of all the Personal Data depends on the Controller's choice.",
        "Deletion and return of all the Personal Data is governed by Article 28(3)(g) GDPR.",
        "The parties acknowledge that the Standard Contractual Clauses are governed by Irish law.",
        # third parties
        "The Data Subjects may ask the Controller to delete their Personal Data.",
        "The Supervisory Authority must be notified by the Controller within 72 hours.",
        # a party after a preposition is no subject
        "the price of the Services depends on the number of users.",
    ],
)
def test_sentences_that_do_not_bind_the_processor(sentence: str) -> None:
    assert not binds_processor(sentence)


@pytest.mark.parametrize(
    ("item", "lead_in", "binds"),
    [
        ("maintain a record of all processing activities.", "the Processor shall:", True),
        ("the Customer shall pay the fees.", "the Processor shall:", False),
        ("maintain a record of all processing activities.", "the Customer shall:", True),  # a command binds alone
        ("Records of all processing activities.", "the Processor shall keep:", True),
        ("Records of all processing activities.", "The Annex lists:", False),
        (
            "that it has instructed the data importer to process the data.",
            "The data exporter agrees and warrants:",
            False,
        ),
        ("that it has implemented the security measures.", "The data importer agrees and warrants:", True),
    ],
)
def test_a_list_item_binds_whom_its_lead_in_binds(item: str, lead_in: str, binds: bool) -> None:
    assert binds_processor(item, lead_in) is binds


def test_a_later_part_of_a_long_sentence_has_the_sentences_subject() -> None:
    part = "including encryption of all backups and an annual penetration test."
    assert not binds_processor(part)
    assert binds_processor(part, sentence_so_far="the Processor shall implement appropriate measures, " + part)


@pytest.mark.parametrize(
    ("clause", "requirement"),
    [
        (
            "9.1 Article 28(3)(g) of the GDPR requires processors to delete or return all the Personal Data to the "
            "controller after the end of the provision of the services.",
            "art28-3g-deletion-return",
        ),
        (
            "9.1 The deletion or return of all the Personal Data to the Controller after the end of the provision of "
            "the services depends on the Controller's choice.",
            "art28-3g-deletion-return",
        ),
        (
            "9.1 The Data Subjects may ask the Controller to delete all the Personal Data after the end of the "
            "provision of the services.",
            "art28-3g-deletion-return",
        ),
        (
            "8.1 Article 33(2) of the GDPR obliges a processor to notify the controller without undue delay after "
            "becoming aware of a Personal Data Breach.",
            "art33-2-breach-notification",
        ),
        (
            "8.1 The Supervisory Authority must be notified by the Controller of a Personal Data Breach within 72 "
            "hours after the Controller becomes aware of it.",
            "art33-2-breach-notification",
        ),
    ],
)
def test_a_sentence_binding_no_processor_does_not_make_a_requirement_present(
    tmp_path: Path, clause: str, requirement: str
) -> None:
    assert _status(tmp_path, {}, requirement) == STATUS.STATUS_PRESENT
    assert _status(tmp_path, {clause.split(" ", 1)[0]: clause}, requirement) == STATUS.STATUS_MISSING


def test_the_processors_practice_in_the_present_tense_is_evidence(tmp_path: Path) -> None:
    clause = (
        "9.1 At the choice of the Controller, the Processor deletes or returns all the Personal Data to the Controller "
        "after the end of the provision of the services and deletes existing copies."
    )
    assert _status(tmp_path, {"9.1": clause}, "art28-3g-deletion-return") == STATUS.STATUS_PRESENT


def _status(tmp_path: Path, changes: dict[str, str], requirement: str) -> int:
    return int(lexical_findings(tmp_path, changes)[requirement].status)
