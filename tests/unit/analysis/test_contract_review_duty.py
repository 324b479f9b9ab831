"""Evidence carries the requirement's own duty (issue 15, class C of the hold-out misses): a
sentence that binds the processor to a *neighbouring* duty — confidentiality of a sub-processor's
staff, answering data subjects, keeping records, notifying a breach, paying for an audit — is no
evidence of the requirement whose words it also names.

Sentences and documents here were written for these tests (the EU DPA fixture with clauses
rewritten); none is taken from an evaluation document.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.contracts.support import STATUS, assert_carries_instead, carried_duties, edited_findings, fixture_text

from assay.analysis.analyzers.contract_review.duty import main_clause
from assay.analysis.analyzers.contract_review.playbook import builtin_playbooks

POSITIVE = {STATUS.STATUS_PRESENT, STATUS.STATUS_WEAK}


def _duties(playbook: str = "eu-gdpr-processor-terms") -> frozenset[str]:
    return frozenset(d.name for d in builtin_playbooks()[playbook].duties)


@pytest.mark.parametrize(
    ("sentence", "main"),
    [
        (
            "If the Controller exercises its audit rights under clause 10, the Processor's costs will be charged at "
            "its hourly rates.",
            "the Processor's costs will be charged at its hourly rates.",
        ),
        (
            "Where a Data Subject, a regulator or a court asks for the data, the Processor shall inform the "
            "Controller.",
            "the Processor shall inform the Controller.",
        ),
        (
            "If the Controller must notify a breach, the amount of remuneration to be agreed upon will be based on "
            "the rates.",
            "the amount of remuneration to be agreed upon will be based on the rates.",
        ),
        # No condition: the whole sentence; a condition with no main clause after a comma: the whole too.
        ("The Processor shall, on request, delete the data.", "The Processor shall, on request, delete the data."),
        ("If requested the Processor shall delete the data.", "If requested the Processor shall delete the data."),
    ],
)
def test_the_main_clause_is_read_after_a_leading_condition(sentence: str, main: str) -> None:
    assert main_clause(sentence) == main


@pytest.mark.parametrize(
    ("sentence", "not_evidence_of", "duty"),
    [
        (
            "The Processor shall ensure that the staff of any Sub-processor are bound by a written duty of "
            "confidentiality.",
            "art28-2-4-subprocessors",
            "art28-3b-confidentiality",
        ),
        (
            "The Processor shall assist the Controller, through a secure portal, in answering requests from Data "
            "Subjects to exercise their rights.",
            "art28-3f-assistance-arts-32-36",
            "art28-3e-data-subject-rights",
        ),
        (
            "At the end of the services, the Processor shall return all equipment and access cards provided by the "
            "Controller and keep records of the processing for three years.",
            "art28-3g-deletion-return",
            "records",
        ),
        (
            "The Processor shall keep documentation proving that the data was processed in accordance with this DPA "
            "for three years after the end of the contract.",
            "art28-3h-information-audits",
            "records",
        ),
        (
            "The Processor shall notify the Controller without undue delay of any Personal Data Breach, including "
            "breaches found during its own internal audits.",
            "art28-3h-information-audits",
            "art33-2-breach-notification",
        ),
        (
            "If the Controller exercises its audit rights, the Controller shall reimburse the Processor's costs.",
            "art28-3h-information-audits",
            "payment",
        ),
        (
            "The Processor shall not respond to any request from a Data Subject except on the documented "
            "instructions of the Controller.",
            "art28-3a-documented-instructions",
            "art28-3e-data-subject-rights",
        ),
        (
            "The Processor shall not move the Personal Data to another data centre unless instructed to do so by "
            "the Controller.",
            "art28-3a-documented-instructions",
            "chapter-v-transfers",
        ),
        (
            "Each party shall keep the other party's Confidential Information secret and shall not disclose it "
            "without the other party's consent.",
            "art28-3b-confidentiality",
            "business-secrets",
        ),
        # the guarantees a subsequent processor offers are the terms of engaging it (1.20.0)
        (
            "The Processor guarantees that any subsequent processor it appoints offers sufficient guarantees to "
            "implement the appropriate technical and organisational measures.",
            "art28-3c-security",
            "art28-2-4-subprocessors",
        ),
        # supplementary measures are the transfer term since Schrems II, not Art. 32 security (1.20.0)
        (
            "The Processor shall implement supplementary measures where necessary to ensure the level of protection "
            "required by EU law.",
            "art28-3c-security",
            "chapter-v-transfers",
        ),
    ],
)
def test_a_neighbouring_duty_is_carried_instead_of_the_requirements(
    sentence: str, not_evidence_of: str, duty: str
) -> None:
    assert_carries_instead(sentence, duty, not_evidence_of)
    assert not_evidence_of in _duties()


@pytest.mark.parametrize(
    ("clause", "requirement"),
    [
        ("3.1", "art28-3a-documented-instructions"),
        ("3.2", "art28-3-infringing-instructions"),
        ("4.1", "art28-3b-confidentiality"),
        ("5.1", "art28-3c-security"),
        ("6.1", "art28-2-4-subprocessors"),
        ("6.2", "art28-2-4-subprocessors"),
        ("6.3", "art28-2-4-subprocessors"),
        ("6.4", "art28-2-4-subprocessors"),
        ("7.1", "art28-3e-data-subject-rights"),
        ("7.2", "art28-3f-assistance-arts-32-36"),
        ("8.1", "art33-2-breach-notification"),
        ("9.1", "art28-3g-deletion-return"),
        ("10.1", "art28-3h-information-audits"),
        ("10.2", "art28-3h-information-audits"),
        ("11.1", "chapter-v-transfers"),
    ],
)
@pytest.mark.parametrize("playbook", ["eu-gdpr-processor-terms", "uk-gdpr-processor-terms"])
def test_every_implementing_clause_carries_its_own_duty(clause: str, requirement: str, playbook: str) -> None:
    paragraph = next(p for p in fixture_text("eu_dpa.txt").split("\n\n") if p.startswith(clause + " "))
    assert requirement in carried_duties(paragraph, playbook)


@pytest.mark.parametrize(
    "sentence",
    [
        # Two duties in one sentence: evidence of both.
        "The Processor shall notify the Controller of any Personal Data Breach and allow the Controller to audit "
        "its handling of the breach.",
        "The Processor shall keep records of processing and make them available to the Controller on request to "
        "demonstrate compliance.",
        "At the Controller's choice, the Processor shall delete or return all Personal Data and keep records of the "
        "deletion.",
    ],
)
def test_a_sentence_carrying_two_duties_is_evidence_of_both(sentence: str) -> None:
    assert len(carried_duties(sentence) - {"records", "payment", "business-secrets"}) >= 1
    assert {"art28-3h-information-audits", "art28-3g-deletion-return", "art33-2-breach-notification"} & carried_duties(
        sentence
    )


def test_a_breach_notice_and_kept_documentation_are_not_the_audit_terms(tmp_path: Path) -> None:
    """With both audit clauses cut, a breach notice naming internal audits and a duty to keep
    documentation proving compliance remain: neither makes information or audits available."""
    changes = {
        "10.1": "10.1 The Processor shall notify the Controller without undue delay of any Personal Data Breach, "
        "including breaches found during its own internal audits or inspections.",
        "10.2": "10.2 The Processor shall keep documentation proving that the Personal Data was processed in "
        "accordance with this DPA for three years after the end of the services.",
    }
    for finding in edited_findings(tmp_path, changes, "art28-3h-information-audits"):
        assert finding.status not in POSITIVE, finding


@pytest.mark.parametrize(
    "neighbour",
    [
        "9.1 At the end of the services, the Processor shall return all equipment and access cards provided by the "
        "Controller and keep records of the processing for three years.",
        "9.1 After the end of the services the Processor shall keep records of the Personal Data processed and of "
        "its deletion for the period the law requires.",
    ],
)
def test_returning_equipment_or_keeping_records_is_not_deletion_at_the_end(tmp_path: Path, neighbour: str) -> None:
    for finding in edited_findings(tmp_path, {"9.1": neighbour}, "art28-3g-deletion-return"):
        assert finding.status not in POSITIVE, finding


def test_paying_for_a_breach_is_not_the_breach_notice(tmp_path: Path) -> None:
    neighbour = (
        "8.1 If the Controller must notify a Personal Data Breach, the Processor shall charge its reasonable "
        "costs of assistance at its standard hourly rates."
    )
    for finding in edited_findings(tmp_path, {"8.1": neighbour}, "art33-2-breach-notification"):
        assert finding.status not in POSITIVE, finding


def test_the_complete_fixture_keeps_every_requirement(tmp_path: Path) -> None:
    for requirement in ("art28-3h-information-audits", "art28-3g-deletion-return", "art33-2-breach-notification"):
        for finding in edited_findings(tmp_path, {}, requirement):
            assert finding.status == STATUS.STATUS_PRESENT, finding


def test_information_about_a_breach_is_the_breach_notice_whatever_it_lets_the_controller_fulfil() -> None:
    sentence = (
        "Upon becoming aware of a Security Incident, the Processor will inform the Controller without undue delay "
        "and will provide timely information relating to the Security Incident as it becomes known, to allow the "
        "Controller to fulfil its data breach reporting obligations."
    )
    assert "art33-2-breach-notification" in carried_duties(sentence)


def test_a_breach_named_in_the_condition_of_the_notice_is_the_breach_notice() -> None:
    """The breach is the notice's condition, and the main clause also gives information: the sentence still
    carries the breach notice (1.25.0)."""
    sentence = (
        "Where a Personal Data Breach is confirmed, the Processor will notify the Controller without undue delay and "
        "provide the information the Controller reasonably needs to meet its own notification obligations."
    )
    assert "art33-2-breach-notification" in carried_duties(sentence)
    assert "art33-2-breach-notification" in carried_duties(sentence, "uk-gdpr-processor-terms")


def test_a_transfer_named_in_the_condition_of_its_safeguards_is_the_transfer_term() -> None:
    """The transfer is the condition, the safeguards the main clause's act: the sentence carries the transfer
    terms as well as the protection it names (1.25.0)."""
    sentence = (
        "When such transfers take place, the Processor will ensure that appropriate safeguards are in place to "
        "protect the Personal Data in accordance with Data Protection Laws."
    )
    assert "chapter-v-transfers" in carried_duties(sentence)
    assert "chapter-v-transfers" in carried_duties(sentence, "uk-gdpr-processor-terms")
