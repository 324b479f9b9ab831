"""Rules that make contract_review's verdicts hold on drafting it was not written against: the
processor named by its name, duties as bullets under a lead-in, the controller's own abilities
left after a cut, neighbouring topics (the authority's audit, the controller's own breach notice)
and definitions spread over sub-clauses.

Sentences and documents here were written for these tests (the EU DPA fixture with clauses
rewritten or removed); none is taken from an evaluation document.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fixtures.contracts.support import STATUS, fixture_text, lexical_findings

from assay.analysis.analyzers.contract_review.negation import contradiction
from assay.analysis.analyzers.contract_review.obligation import controller_permission, non_binding
from assay.analysis.analyzers.contract_review.parties import PartyAliases
from assay.analysis.analyzers.contract_review.playbook import all_recognisers, select_playbook
from assay.v1 import contract_review_pb2

POSITIVE = {STATUS.STATUS_PRESENT, STATUS.STATUS_WEAK}


def _review(tmp_path: Path, changes: dict[str, str]) -> dict[str, contract_review_pb2.ContractRequirementFinding]:
    return lexical_findings(tmp_path, changes)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ('"Data Processor" means Skyline.', "Skyline"),
        ("“Processor” means Harbour Cloud AB.", "Harbour Cloud AB"),
        ("The Customer is the Controller and Lumen is the Processor of Customer Personal Data.", "Lumen"),
        ("“Relevant Data” means the personal data processed by Orbit on behalf of the Customer.", "Orbit"),
        ("This DPA applies whenever Quarry processes Personal Data on behalf of the Customer.", "Quarry"),
    ],
)
def test_the_party_a_contract_says_processes_for_the_other_reads_as_the_processor(text: str, name: str) -> None:
    parties = PartyAliases.from_texts([text])
    assert parties.normalise(f"{name} shall delete the data.") == "the Processor shall delete the data."


def test_a_controller_acting_as_processor_for_someone_else_is_not_read_as_the_processor() -> None:
    parties = PartyAliases.from_texts(["In that case the Customer acts as a data processor towards the End-Customer."])
    assert parties.aliases == ()


def test_a_defined_term_that_is_no_party_lends_its_first_words_to_nobody() -> None:
    parties = PartyAliases.from_texts(['Fees are listed in a Keboola Order Form (the "Order Form").'])
    assert parties.normalise("Keboola shall delete the data.") == "Keboola shall delete the data."


@pytest.mark.parametrize(
    ("sentence", "permission"),
    [
        ("Customers can also delete the data of an end user themselves through the dashboard.", True),
        ("The Customer may export its data at any time.", True),
        ("The Customer may audit the Processor once a year.", True),  # a permission; it counts for audits only
        ("The Customer may request a copy, and the Processor shall provide it within ten days.", False),
        ("The Customer may not instruct the Processor to process unlawfully.", False),
        ("The Processor may delete the data after thirty days.", False),
    ],
)
def test_the_controllers_permissions(sentence: str, permission: bool) -> None:
    assert controller_permission(sentence) is permission


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("Stored encrypted.", "description"),
        ("The Customer is fully responsible for ensuring that all data transferred to the Processor is lawful.",
         "controller duty"),
    ],
)
def test_descriptions_and_the_controllers_duties_naming_the_processor_bind_no_processor(
    sentence: str, kind: str
) -> None:
    assert non_binding(sentence) == kind


@pytest.mark.parametrize(
    "sentence",
    [
        "Maintain appropriate technical and organisational measures.",
        "to notify the Controller of any Personal Data Breach.",
        "The Processor encrypts the Personal Data at rest.",
    ],
)
def test_commands_and_finite_duties_are_no_descriptions(sentence: str) -> None:
    assert non_binding(sentence) == ""


def test_a_cut_deletion_clause_is_not_replaced_by_the_controllers_own_ability_to_delete(tmp_path: Path) -> None:
    ability = (
        "9.1 The Controller can delete all Personal Data itself at the end of the services with the "
        "platform's deletion tools."
    )
    assert _review(tmp_path, {})["art28-3g-deletion-return"].status == STATUS.STATUS_PRESENT
    assert _review(tmp_path, {"9.1": ability})["art28-3g-deletion-return"].status == STATUS.STATUS_MISSING


def test_the_controllers_permission_still_counts_as_its_audit_right(tmp_path: Path) -> None:
    audit = "10.2 The Controller may audit the Processor's compliance, including by inspections of its premises."
    finding = _review(tmp_path, {"10.2": audit})["art28-3h-information-audits"]
    assert finding.status == STATUS.STATUS_PRESENT


def test_duties_as_bullets_under_an_assistance_lead_in(tmp_path: Path) -> None:
    bullets = (
        "7.2 The Processor shall provide reasonable assistance to the Controller with regard to:\n\n"
        "- the notification of Personal Data Breaches to the Supervisory Authority and to Data Subjects;\n\n"
        "- data protection impact assessments and prior consultations of the Supervisory Authority."
    )
    findings = _review(tmp_path, {"7.2": bullets})
    assert findings["art28-3f-assistance-arts-32-36"].status == STATUS.STATUS_PRESENT
    quoted = " ".join(e.excerpt for e in findings["art28-3f-assistance-arts-32-36"].evidence)
    assert "notification of Personal Data Breaches" in quoted


def test_the_controllers_own_breach_notice_is_not_the_processors_notice_to_it(tmp_path: Path) -> None:
    bullets = (
        "7.2 The Processor shall provide reasonable assistance to the Controller with regard to:\n\n"
        "- the notification of Personal Data Breaches to the Supervisory Authority and to Data Subjects."
    )
    finding = _review(tmp_path, {"7.2": bullets, "8.1": ""})["art33-2-breach-notification"]
    assert finding.status not in POSITIVE


def test_bullets_under_the_controllers_lead_in_bind_the_controller(tmp_path: Path) -> None:
    bullets = (
        "3.1 The Controller agrees to:\n\n"
        "- give the Processor documented instructions for the processing of Personal Data only in writing."
    )
    finding = _review(tmp_path, {"3.1": bullets})["art28-3a-documented-instructions"]
    assert finding.status not in POSITIVE


def test_an_audit_the_supervisory_authority_requires_is_not_the_controllers_audit(tmp_path: Path) -> None:
    authority = (
        "10.2 If a Supervisory Authority requires an audit of the processing facilities, the Processor shall "
        "cooperate with that audit."
    )
    finding = _review(tmp_path, {"10.2": authority})["art28-3h-information-audits"]
    assert "audits" in finding.missing_elements


def test_sub_clauses_of_a_definition_are_definitions(tmp_path: Path) -> None:
    definition = (
        '1.2 "Onward Transfer" means:\n\n'
        "1.2.1 a transfer of Personal Data by the Processor to a Sub-processor engaged with the prior written "
        "authorisation of the Controller; or\n\n"
        "1.2.2 a transfer between two establishments of the Processor."
    )
    findings = _review(tmp_path, {"1.1": fixture_text("eu_dpa.txt").split("\n\n")[4] + "\n\n" + definition,
                                  "6.1": "", "6.2": "", "6.3": "", "6.4": ""})
    assert findings["art28-2-4-subprocessors"].status not in POSITIVE


def test_documented_instructions_with_words_between(tmp_path: Path) -> None:
    instructions = (
        "3.1 The Processor shall process the Personal Data in accordance with the Controller's documented "
        "processing instructions."
    )
    finding = _review(tmp_path, {"3.1": instructions})["art28-3a-documented-instructions"]
    assert finding.status in POSITIVE


def _operative(recogniser_id: str) -> tuple[re.Pattern[str], ...]:
    playbook = select_playbook("vendor_dpa", "EU")
    for requirement in playbook.requirements:
        for recogniser in all_recognisers(requirement):
            if recogniser.id == recogniser_id:
                return recogniser.operative
    raise KeyError(recogniser_id)


@pytest.mark.parametrize(
    ("recogniser", "sentence", "cue"),
    [
        ("art28-3g-deletion-return",
         "The Processor shall delete all Personal Data at the end of the services, except where it decides to keep "
         "copies.", "except where it decides"),
        ("art28-3g-deletion-return", "The Processor will delete or return the Personal Data at its discretion.",
         "at its discretion"),
        ("art28-3a-documented-instructions",
         "The Processor shall process the Personal Data on the documented instructions of the Controller, except "
         "where the Processor decides otherwise.", "except where the Processor decides"),
        ("audits", "Audits are limited to the Processor providing its SOC 2 report.",
         "limited to the Processor providing its SOC 2 report"),
        ("audits", "The Processor will answer audit requests with its third-party audit reports only.", "reports only"),
        ("inspections", "The Controller may audit the Processor, except that no on-site inspections will be permitted.",
         "no on-site inspections will"),
        ("art33-2-breach-notification",
         "The Processor may notify the Controller of a Personal Data Breach as it sees fit.", "as it sees fit"),
    ],
)
def test_obligations_handed_back_to_the_processors_choice_are_contradicted(
    recogniser: str, sentence: str, cue: str
) -> None:
    found = contradiction(sentence, _operative(recogniser))
    assert found is not None and found.cue == cue


@pytest.mark.parametrize(
    ("recogniser", "sentence"),
    [
        ("art28-3g-deletion-return",
         "The Processor shall delete the Personal Data at the end of the services unless required by law to "
         "retain it."),
        ("art28-3a-documented-instructions",
         "The Processor shall process the Personal Data only on documented instructions, unless required to do so by "
         "Union law."),
        ("art33-2-breach-notification",
         "The Processor shall notify the Controller of a Personal Data Breach no later than 24 hours after becoming "
         "aware of it."),
        ("audits", "The Processor shall allow audits by the Controller, with no more than one audit per year."),
    ],
)
def test_exceptions_the_law_allows_and_deadlines_are_no_contradiction(recogniser: str, sentence: str) -> None:
    assert contradiction(sentence, _operative(recogniser)) is None


def test_a_negated_duty_quoted_as_the_contradiction(tmp_path: Path) -> None:
    negated = (
        "9.1 At the choice of the Controller, the Processor will delete or return all the Personal Data after the end "
        "of the services at its discretion."
    )
    finding = _review(tmp_path, {"9.1": negated})["art28-3g-deletion-return"]
    assert finding.status == STATUS.STATUS_CONTRADICTED
    assert "at its discretion" in " ".join(e.excerpt for e in finding.evidence)


def test_a_passive_duty_is_evidence(tmp_path: Path) -> None:
    passive = (
        "9.1 At the end of the services, all Personal Data shall be deleted or returned to the Controller by the "
        "Processor, at the Controller's choice, and existing copies shall be deleted."
    )
    assert _review(tmp_path, {"9.1": passive})["art28-3g-deletion-return"].status == STATUS.STATUS_PRESENT


def test_a_bullet_is_negated_with_its_lead_in(tmp_path: Path) -> None:
    lead_in = "7.1 The Processor shall provide reasonable assistance to the Controller with regard to:\n\n"
    kept = lead_in + "- requests from Data Subjects to exercise their rights under Chapter III of the GDPR."
    gutted = lead_in + (
        "- requests from Data Subjects to exercise their rights under Chapter III of the GDPR, except where the "
        "Processor decides otherwise."
    )
    assert _review(tmp_path, {"7.1": kept})["art28-3e-data-subject-rights"].status == STATUS.STATUS_PRESENT
    finding = _review(tmp_path, {"7.1": gutted})["art28-3e-data-subject-rights"]
    assert finding.status == STATUS.STATUS_CONTRADICTED
    assert "except where the Processor decides" in finding.explanation
