"""A negated obligation is CONTRADICTED whatever words negate or gut it, and a negation of another
duty in the same sentence does not negate it (analyzer 1.6.0).

Sentences written for these tests; the operative concepts are the EU processor-terms playbook's.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fixtures.contracts.support import (
    STATUS,
    context,
    edit,
    edited_findings,
    eu_contradictions,
    fixture_text,
    lexical_analyzer,
    lexical_findings,
    params,
)

from assay.analysis.analyzers.contract_review.negation import Contradiction, contradiction
from assay.analysis.analyzers.contract_review.playbook import all_recognisers, builtin_playbooks
from assay.v1 import contract_review_pb2

_PLAYBOOK = builtin_playbooks()["eu-gdpr-processor-terms"]


def _negation(requirement: str, sentence: str) -> Contradiction | None:
    """What negates the requirement in the sentence, read for each recogniser naming its concept."""
    return next(iter(eu_contradictions(requirement, sentence)), None)


DELETION = "art28-3g-deletion-return"
AUDITS = "art28-3h-information-audits"
SUBPROCESSORS = "art28-2-4-subprocessors"
BREACH = "art33-2-breach-notification"
DATA_SUBJECTS = "art28-3e-data-subject-rights"
SECURITY = "art28-3c-security"
CONFIDENTIALITY = "art28-3b-confidentiality"


@pytest.mark.parametrize(
    ("requirement", "sentence", "cue"),
    [
        # The duty taken away, in words the 1.5.0 rules did not read.
        (DELETION, "Nothing in this DPA requires the Processor to delete the personal data.", "requires"),
        (DELETION, "In no event shall the Processor be required to delete the personal data.", "in no event"),
        (DELETION, "The Processor is exempt from any obligation to delete the personal data.", "exempt from"),
        (DELETION, "The Processor is released from its obligation to delete the personal data.", "released from"),
        (DELETION, "The Processor's obligation to delete the personal data shall not apply.", "not apply"),
        # Bought, not owed.
        (
            DELETION,
            "The Processor will delete the personal data only if the Controller pays a deletion fee.",
            "only if the Controller pays",
        ),
        (
            DATA_SUBJECTS,
            "The Processor will not assist the Controller with data subject requests unless the Controller pays.",
            "unless the Controller pays",
        ),
        (
            DELETION,
            "The Processor will delete the personal data subject to payment of the Processor's fees.",
            "subject to payment",
        ),
        (
            DELETION,
            "The Processor will delete the personal data upon payment of an additional fee.",
            "upon payment of an additional",
        ),
        # The processor's convenience as the exception.
        (
            BREACH,
            "The Processor shall notify the Controller of a personal data breach without undue delay, unless "
            "prohibited by law or otherwise inconvenient for the Processor.",
            "inconvenient",
        ),
        # Efforts, and only where practicable.
        (
            DELETION,
            "The Processor will use reasonable efforts to delete the personal data where commercially practicable.",
            "where commercially practicable",
        ),
        (DELETION, "The Processor will endeavour to delete the personal data where feasible.", "where feasible"),
        (
            SECURITY,
            "The Supplier will use reasonable efforts to establish the security of the data in accordance with Art. 28 "
            "Para. 3 Sent. 2 lit. c, 32 GDPR, in particular by appropriate technical and organisational measures, "
            "where commercially practicable.",
            "reasonable efforts to ... where commercially practicable",
        ),
        # The controller gives the safeguard up; the duty made optional; a permission without limit.
        (SUBPROCESSORS, "The Customer waives its right to object to sub-processors.", "waives its right to"),
        (AUDITS, "The Controller waives any right to audit the Processor.", "waives any right to"),
        (DELETION, "Deletion of the personal data is optional for the Processor.", "is optional"),
        (AUDITS, "On-site audits are excluded.", "are excluded"),
        (SUBPROCESSORS, "The Processor may freely engage any sub-processor.", "may freely"),
        # Plain words for a duty taken away (1.15.0).
        (
            DELETION,
            "The Processor shall not be under any obligation to delete or return the personal data.",
            "under any obligation to",
        ),
        (AUDITS, "The Processor is entitled, but not obliged, to allow for audits.", "but not obliged"),
        (BREACH, "The Processor makes no commitment to notify the Controller of a breach.", "no commitment"),
        (
            CONFIDENTIALITY,
            "It is not the Processor's responsibility to bind its staff to confidentiality.",
            "responsibility to",
        ),
        (DELETION, "The Processor may choose not to delete the personal data after the services end.", "choose not to"),
        (DELETION, "The Processor reserves the right not to return the personal data.", "right not to"),
        # the transfer chapter named by its number (1.21.0)
        (
            "chapter-v-transfers",
            "Onward transfers will not be made in compliance with Chapter V of the GDPR.",
            "not be made in",
        ),
        (
            "chapter-v-transfers",
            "The Vendor does not ensure that its data exports meet Articles 44 to 49 GDPR.",
            "not ensure that",
        ),
        (DELETION, "When the services end, the Processor will not remove the personal data from its systems.", "not"),
        # a restriction broadened, the act as its subject (1.21.0)
        (
            "chapter-v-transfers",
            "Transfers to a third country may not only occur with the prior written consent of the Controller.",
            "may not only",
        ),
        # negated before a lead-in that ends in its condition: still the duty's negation (1.16.0)
        (
            "art28-3-infringing-instructions",
            "The Processor will not inform the Controller if: (a) an instruction infringes the GDPR; or (b) it "
            "cannot follow an instruction.",
            "not",
        ),
    ],
)
def test_a_duty_negated_or_gutted_in_other_words_is_a_contradiction(requirement: str, sentence: str, cue: str) -> None:
    found = _negation(requirement, sentence)
    assert found is not None and cue.lower() in found.cue.lower(), found


@pytest.mark.parametrize(
    ("requirement", "sentence"),
    [
        # An exception of a duty coordinated after the negated one restricts nothing of it.
        (
            BREACH,
            "The Processor will not notify the Controller without undue delay after becoming aware of a personal "
            "data breach, and will provide the information the Controller needs for its own notification duties.",
        ),
        # Nor one of a permission coordinated after it (1.15.0).
        (
            "art28-3-infringing-instructions",
            "If we believe an instruction infringes the GDPR, we will not tell you and may suspend that instruction "
            "until it is resolved.",
        ),
        # The law's own exception is no condition that makes the negation a restriction.
        (
            DELETION,
            "The Processor will not delete or return the personal data, unless further retention is prescribed by "
            "the law.",
        ),
        # ... also in Art. 28(3)(g)'s own words.
        (
            DELETION,
            "At the end of the services, the Processor will not delete or return the personal data unless Union or "
            "Member State law requires storage of the personal data.",
        ),
        (
            DELETION,
            "On termination of the services, the data processor shall not be under obligation to return all the "
            "personal data to the data controller and delete existing copies unless Union or Member State law "
            "requires storage of the personal data.",
        ),
        # "even beyond" extends, it does not restrict.
        (
            CONFIDENTIALITY,
            "The Processor will not bind its employees to confidentiality, even beyond the end of their employment.",
        ),
    ],
)
def test_a_negated_duty_is_no_restriction_because_of_a_distant_or_legal_exception(
    requirement: str, sentence: str
) -> None:
    assert _negation(requirement, sentence) is not None


@pytest.mark.parametrize(
    ("requirement", "sentence"),
    [
        (
            "art28-3a-documented-instructions",
            "The Processor shall not process personal data other than on documented instructions of the Controller, "
            "unless required to do so by Union law.",
        ),
        (
            SUBPROCESSORS,
            "The Processor shall not engage another processor without prior written authorisation of the Controller, "
            "and shall inform the Controller of any intended changes.",
        ),
    ],
)
def test_a_restriction_stays_a_restriction(requirement: str, sentence: str) -> None:
    assert _negation(requirement, sentence) is None


@pytest.mark.parametrize(
    ("requirement", "sentence"),
    [
        (
            BREACH,
            "The Processor shall notify the Controller of a personal data breach without undue delay, but is "
            "under no obligation to pay the Controller's costs of notification.",
        ),
        (
            BREACH,
            "The Processor shall notify the Controller of a personal data breach without undue delay and need "
            "not pay any fines of the Controller.",
        ),
        (
            DELETION,
            "The Processor shall delete the personal data after the end of the services and is not obliged "
            "to issue a certificate.",
        ),
        (
            DELETION,
            "The Processor shall delete the personal data after the end of the services, but need not "
            "provide a certificate of deletion.",
        ),
        (
            AUDITS,
            "The Processor shall allow for and contribute to audits, including inspections; the Processor is "
            "under no obligation to allow more than one audit per year.",
        ),
        (
            DATA_SUBJECTS,
            "The Processor shall assist the Controller in responding to requests from data subjects but "
            "shall not respond to such requests itself.",
        ),
        (
            DATA_SUBJECTS,
            "The Processor shall forward requests from data subjects to the Controller and is not "
            "required to respond to them directly.",
        ),
        (
            SECURITY,
            "The Processor shall implement appropriate technical and organisational measures and shall not "
            "be obliged to implement measures beyond the state of the art.",
        ),
        (
            CONFIDENTIALITY,
            "The Processor shall ensure that persons authorised to process personal data have "
            "committed themselves to confidentiality, but need not disclose their names.",
        ),
    ],
)
def test_a_negation_of_another_duty_in_the_same_sentence_is_no_contradiction(requirement: str, sentence: str) -> None:
    assert _negation(requirement, sentence) is None


@pytest.mark.parametrize(
    ("requirement", "sentence"),
    [
        # The same obligation stated again in the negated part is negated.
        (
            DELETION,
            "The Processor shall delete the personal data after the end of the services, but copies need "
            "not be deleted.",
        ),
        (
            BREACH,
            "The Processor shall notify the Controller of any personal data breach, but shall not be required "
            "to notify the Controller of a personal data breach affecting fewer than 100 data subjects.",
        ),
    ],
)
def test_a_negation_that_states_the_obligation_again_still_negates_it(requirement: str, sentence: str) -> None:
    assert _negation(requirement, sentence) is not None


@pytest.mark.parametrize(
    ("requirement", "sentence"),
    [
        (DELETION, "The Processor shall not be released from its obligation to delete the personal data."),
        (DELETION, "Nothing in this DPA relieves the Processor of its obligation to delete the personal data."),
        (
            DELETION,
            "The obligation to delete the personal data does not apply if Union law requires storage of the "
            "personal data.",
        ),
        (
            DELETION,
            "The Processor shall use commercially reasonable efforts to delete the personal data within 30 days.",
        ),
        (DELETION, "To the extent legally permissible and practicable, the Processor will delete the personal data."),
        (
            DELETION,
            "Upon expiry of the Agreement and payment of all fees, the Processor shall delete the personal data.",
        ),
        (
            AUDITS,
            "The Controller shall bear the costs of any audit, and the Processor shall allow for and "
            "contribute to audits.",
        ),
        (AUDITS, "The Processor may charge a reasonable fee for audits exceeding one per year."),
        (
            DELETION,
            "The Processor will use reasonable efforts to delete the personal data within 30 days. Where practicable, "
            "backups are overwritten.",
        ),
        (
            SUBPROCESSORS,
            "The Controller may object to a new sub-processor within 30 days; if the Controller does not "
            "object, the sub-processor is deemed approved.",
        ),
        # a negation in the items of a lead-in that ends in its condition is the condition's (1.16.0)
        (
            "art28-3-infringing-instructions",
            "The Processor shall notify the Controller promptly if it: (i) makes a determination that it can no "
            "longer comply with its obligations; or (ii) believes an instruction infringes the GDPR.",
        ),
        (
            "art28-3-infringing-instructions",
            "The Processor will inform the Controller where: (a) an instruction infringes the GDPR; or (b) it "
            "cannot follow an instruction.",
        ),
        # a role something does not have, and another customer's data kept out of an audit (1.21.0)
        (
            SUBPROCESSORS,
            "Payment providers the Customer chooses are the Customer's responsibility and are not sub-processors of "
            "the Processor.",
        ),
        (SUBPROCESSORS, "A hosting provider the Customer contracts directly is not a sub-processor."),
        (
            AUDITS,
            "The Processor shall allow audits, provided that: (a) the Controller gives 30 days' notice; and (b) the "
            "Processor shall not be obliged to provide access to customer data of other customers.",
        ),
        # what the law does not require (1.22.0)
        (
            "chapter-v-transfers",
            "The parties acknowledge that the GDPR does not require the Standard Contractual Clauses for transfers "
            "to a country with an adequacy decision.",
        ),
    ],
)
def test_ordinary_drafting_with_the_same_words_is_no_contradiction(requirement: str, sentence: str) -> None:
    assert _negation(requirement, sentence) is None


def _review(tmp_path: Path, changes: dict[str, str]) -> contract_review_pb2.ContractReviewResult:
    text = edit(fixture_text("eu_dpa.txt"), changes)
    return lexical_analyzer().run(context(tmp_path, params("vendor_dpa", "EU"), text=text)).contract_review


@pytest.mark.parametrize(
    ("clause", "gutted", "requirement", "cue"),
    [
        (
            "9.1",
            "9.1 After the end of the provision of the services, the Processor will use reasonable efforts to "
            "delete or return all the Personal Data to the Controller where commercially practicable.",
            DELETION,
            "where commercially practicable",
        ),
        (
            "8.1",
            "8.1 The Processor shall notify the Controller without undue delay after becoming aware of a "
            "Personal Data Breach, unless prohibited by law or otherwise inconvenient for the Processor.",
            BREACH,
            "inconvenient",
        ),
        (
            "9.1",
            "9.1 After the end of the provision of the services, the Processor shall delete or return all the "
            "Personal Data to the Controller, but only if the Controller pays the Processor's fees for doing so.",
            DELETION,
            "only if the Controller pays",
        ),
    ],
)
def test_a_gutted_clause_is_contradicted_quoting_it(
    tmp_path: Path, clause: str, gutted: str, requirement: str, cue: str
) -> None:
    finding = lexical_findings(tmp_path, {clause: gutted})[requirement]
    assert finding.status == STATUS.STATUS_CONTRADICTED
    assert [e.excerpt for e in finding.evidence] == [gutted]
    assert cue in finding.explanation


def test_a_duty_met_beside_another_duty_taken_away_stays_present(tmp_path: Path) -> None:
    sentence = (
        "8.1 The Processor shall notify the Controller without undue delay, and in any event within 24 hours, after "
        "becoming aware of a Personal Data Breach, but is under no obligation to pay the Controller's costs of "
        "notification."
    )
    finding = lexical_findings(tmp_path, {"8.1": sentence})[BREACH]
    assert finding.status == STATUS.STATUS_PRESENT
    assert [e.excerpt for e in finding.evidence] == [sentence]


def test_a_waived_right_to_object_does_not_exempt_sub_processors_added_without_notice(tmp_path: Path) -> None:
    loose = "6.1 The Processor may engage and replace Sub-processors at its sole discretion and without notice."
    waived = "6.2 The Controller waives any right to object to the engagement of Sub-processors."
    result = _review(tmp_path, {"6.1": loose, "6.2": waived})
    assert "subprocessor-changes-without-notice" in [r.risk_id for r in result.risks]
    # A right to object that stays (the 1.5.0 behaviour) still exempts the same wording.
    kept = "6.2 The Controller may object to the engagement of new Sub-processors on reasonable grounds."
    assert "subprocessor-changes-without-notice" not in [
        r.risk_id for r in _review(tmp_path, {"6.1": loose, "6.2": kept}).risks
    ]


def test_the_negating_wording_is_not_in_the_unmodified_dpa() -> None:
    # The fixture DPA meets every requirement: none of its sentences is read as negating one.
    text = fixture_text("eu_dpa.txt")
    for requirement in _PLAYBOOK.requirements:
        for recogniser in all_recognisers(requirement):
            if not recogniser.operative:
                continue
            for sentence in re.split(r"(?<=\.)\s+", text):
                if all(p.search(sentence) for p in recogniser.operative):
                    assert contradiction(sentence, recogniser.operative, recogniser.restricts) is None, sentence


@pytest.mark.parametrize(
    "clause",
    [
        "3.1 The Processor shall not be required to process Personal Data only in accordance with the Services "
        "Agreement and this DPA.",
        "3.1 The Processor does not process Personal Data solely for the purpose of providing the services.",
    ],
    ids=["agreement-as-the-instructions", "purpose-limitation"],
)
def test_documented_instructions_worded_as_purpose_limitation_negated_are_contradicted(
    tmp_path: Path, clause: str
) -> None:
    # Playbooks 1.13.0: processing "only in accordance with the Agreement" or "solely for the purpose of
    # providing the services" names the instructions duty's concept; before, a negation of it was not read
    # and the requirement was MISSING.
    for finding in edited_findings(tmp_path, {"3.1": clause}, "art28-3a-documented-instructions"):
        assert finding.status == STATUS.STATUS_CONTRADICTED, finding.explanation
        assert any(clause[4:40] in e.excerpt for e in finding.evidence), [e.excerpt for e in finding.evidence]
