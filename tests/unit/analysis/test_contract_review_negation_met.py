"""A duty met with the qualifiers contracts put around it is not read as negated or gutted (analyzer 1.9.0),
and the negations next to those qualifiers still are.

Sentences written for these tests in the style of processor terms; the operative concepts are the EU
processor-terms playbook's.
"""

from __future__ import annotations

import pytest

from assay.analysis.analyzers.contract_review.negation import Contradiction, contradiction
from assay.analysis.analyzers.contract_review.playbook import all_recognisers, builtin_playbooks

_PLAYBOOK = builtin_playbooks()["eu-gdpr-processor-terms"]

INSTRUCTIONS = "art28-3a-documented-instructions"
CONFIDENTIALITY = "art28-3b-confidentiality"
SECURITY = "art28-3c-security"
SUBPROCESSORS = "art28-2-4-subprocessors"
DATA_SUBJECTS = "art28-3e-data-subject-rights"
ASSISTANCE = "art28-3f-assistance-arts-32-36"
DELETION = "art28-3g-deletion-return"
AUDITS = "art28-3h-information-audits"
BREACH = "art33-2-breach-notification"
TRANSFERS = "chapter-v-transfers"


def _negation(requirement: str, sentence: str) -> Contradiction | None:
    """What negates the requirement in the sentence, read for each recogniser naming its concept."""
    [wanted] = [r for r in _PLAYBOOK.requirements if r.id == requirement]
    addressed = [r for r in all_recognisers(wanted) if r.operative and all(p.search(sentence) for p in r.operative)]
    assert addressed, f"{sentence!r} does not name the concept of {requirement}"
    found = (contradiction(sentence, r.operative, r.restricts) for r in addressed)
    return next((f for f in found if f is not None), None)


@pytest.mark.parametrize(
    ("requirement", "sentence"),
    [
        # The law's exception does not swallow the controller's say before it.
        (
            INSTRUCTIONS,
            "The Supplier shall not process the personal data except on the documented instructions of the "
            "Customer, unless required to do so by Union or Member State law.",
        ),
        (
            DELETION,
            "The Supplier does not modify or delete Customer Data unless instructed by the Customer or required "
            "by law.",
        ),
        # "in any other manner than", "for any other purposes": exceptions.
        (
            INSTRUCTIONS,
            "The Supplier shall not process personal data in any other manner than on the documented "
            "instructions of the Customer.",
        ),
        # An exception opening the sentence restricts the ban after it.
        (
            SUBPROCESSORS,
            "Unless the Customer has given its prior written consent, the Supplier will not engage any sub-processor.",
        ),
        (
            SUBPROCESSORS,
            "Except with the Customer's prior written authorisation, the Supplier: (a) will not subcontract any "
            "processing of personal data; and (b) will not appoint a sub-processor.",
        ),
        # A relative clause describes a noun.
        (
            DELETION,
            "Storage media that cannot be wiped securely shall be physically destroyed so that no personal data "
            "can be recovered.",
        ),
        (
            SUBPROCESSORS,
            "Engaging sub-processors who do not process personal data exclusively within the EEA requires the "
            "Customer's prior written consent.",
        ),
        # A third country's adequacy describes the destination.
        (
            TRANSFERS,
            "If the Supplier transfers personal data to a country for which the European Commission has not "
            "issued an adequacy decision, the Supplier will ensure appropriate safeguards for the transfer.",
        ),
        (
            SUBPROCESSORS,
            "Telecommunication and cleaning services that the Supplier uses from third parties are not "
            "considered subcontracting under this clause.",
        ),
        (
            SUBPROCESSORS,
            "Payment networks act as independent controllers, and the Supplier does not engage them as sub-processors.",
        ),
        # The duty's scope.
        (
            DELETION,
            "The Supplier shall delete all personal data after the end of the services; this does not apply to "
            "anonymised or aggregated data.",
        ),
        (
            BREACH,
            "The Supplier shall notify the Customer of any personal data breach without undue delay. This "
            "section does not apply to incidents caused by the Customer's own users.",
        ),
        (
            AUDITS,
            "The Customer's inspection rights do not extend to the Supplier's payroll records or to information "
            "of its other customers.",
        ),
        (
            DELETION,
            "The Supplier shall not retain any personal data after termination and shall delete all copies "
            "within thirty days.",
        ),
        # Liability disclaimed beside a duty.
        (
            SECURITY,
            "The Supplier shall implement appropriate technical and organisational measures to protect the "
            "personal data; the Supplier shall not be liable for any security incident caused by the Customer.",
        ),
        (
            DATA_SUBJECTS,
            "To the extent the Customer, in its use of the Services, does not have the ability to respond to a "
            "data subject request, the Supplier shall assist the Customer in responding.",
        ),
        (
            DELETION,
            "The obligation to delete the personal data applies as long as applicable law does not require the "
            "personal data to be stored.",
        ),
        # A duty to check taken away is not the duty the checked thing belongs to.
        (
            INSTRUCTIONS,
            "The Supplier shall not be obliged to verify whether instructions to process personal data comply "
            "with data protection law.",
        ),
        (
            AUDITS,
            "The Controller acknowledges that the Processor cannot control and has no obligation to verify what "
            "types of personal data the Controller transfers for processing.",
        ),
        # The controller's rights, with their own "without" and refusals.
        (
            BREACH,
            "The Customer may terminate the Agreement without notice if the Supplier commits a serious breach of "
            "its data protection obligations.",
        ),
        (
            SUBPROCESSORS,
            "The Supplier shall inform the Customer of any new sub-processor in advance. The Customer can reject "
            "sub-processors.",
        ),
        (
            AUDITS,
            "The Customer is entitled to verify, at its discretion, the Supplier's compliance with this agreement "
            "by audits.",
        ),
        (
            TRANSFERS,
            "The parties do not anticipate the transfer of special categories of personal data.",
        ),
        (
            TRANSFERS,
            "Where the law prevents the return of the data transferred, the data importer will not actively "
            "process the personal data transferred anymore.",
        ),
        (
            SUBPROCESSORS,
            "The Supplier may not rely on a breach by a sub-processor of its obligations to avoid its own liability.",
        ),
        # Read as the analyzer sees them, with the parties' names replaced by their roles.
        (
            BREACH,
            "Any notification of a security incident by the Processor will not be construed as an "
            "acknowledgement by the Processor of any fault with respect to the security incident.",
        ),
        (
            AUDITS,
            "The Controller's inspection rights do not extend to the Processor's payroll records or to "
            "information of its other customers.",
        ),
        (
            AUDITS,
            "The Processor shall provide its latest audit reports to the Controller on request. This provision "
            "does not apply where the Controller's auditor is a competitor of the Processor.",
        ),
    ],
)
def test_a_met_duty_with_its_qualifiers_is_not_negated(requirement: str, sentence: str) -> None:
    """Each of these is read as a negation by analyzer 1.8.0. A few are no evidence either: they stand
    beside the obligation (``negates`` False)."""
    found = _negation(requirement, sentence)
    assert found is None or not found.negates


@pytest.mark.parametrize(
    ("requirement", "sentence"),
    [
        (
            SUBPROCESSORS,
            "The Supplier will not use the personal data for any other purposes, nor pass it on to "
            "sub-processors without the Customer's written approval.",
        ),
        (
            TRANSFERS,
            "Where the transfer is not governed by an adequacy decision, the parties agree that the Standard "
            "Contractual Clauses apply to the transfer.",
        ),
        # How a statement is to be read; what something is not taken as.
        (
            BREACH,
            "The Supplier shall notify the Customer of a personal data breach without undue delay; such "
            "notification shall not be construed as an admission of fault or liability.",
        ),
        (
            BREACH,
            "Notification of a personal data breach is not an acknowledgement of fault by the Supplier, and the "
            "Supplier shall notify the Customer without undue delay.",
        ),
        (
            AUDITS,
            "The Supplier shall provide its latest audit reports to the Customer on request. This provision does "
            "not apply where the Customer is a competitor of the Supplier.",
        ),
        # Confidentiality bans and storage limits are duties, not their negation.
        (
            AUDITS,
            "Any auditor shall treat the information reviewed during an audit as confidential and shall not "
            "disclose any of the records reviewed.",
        ),
        (
            CONFIDENTIALITY,
            "The Supplier shall ensure that access credentials of its staff are kept confidential and are not "
            "shared among personnel.",
        ),
        (
            SUBPROCESSORS,
            "The Supplier will keep the personal data confidential and will not give any third party access to "
            "it without the prior written consent of the Customer, including by way of sub-processing.",
        ),
        # Examples and manners.
        (
            INSTRUCTIONS,
            "The Supplier shall process personal data only on the Customer's instructions, which particularly but "
            "not exclusively concern the deletion of data.",
        ),
        (
            AUDITS,
            "The Supplier shall allow for audits by the Customer, provided that audits do not unreasonably "
            "interfere with the Supplier's business operations.",
        ),
        # A condition, however long, and with an inserted phrase.
        (
            ASSISTANCE,
            "To the extent that the information is available to the Supplier and the Customer does not otherwise "
            "have access to it, the Supplier will assist the Customer with data protection impact assessments.",
        ),
        (
            AUDITS,
            "Audits shall be announced in advance; in urgent cases, such as a reportable incident, the audit may "
            "be conducted without prior notice.",
        ),
        # Something else than what is owed; what the parties do not expect; processing that stops.
        (
            TRANSFERS,
            "No special category data is to be transferred by the Customer to the Supplier.",
        ),
        (
            DATA_SUBJECTS,
            "The Supplier shall help the Customer answer data subject requests; information must not be provided "
            "to data subjects directly, but only through the Customer's contact persons.",
        ),
    ],
)
def test_qualifiers_already_read_as_no_negation_stay_so(requirement: str, sentence: str) -> None:
    """The same qualifiers in wordings 1.8.0 already read right: guards for the rules above."""
    found = _negation(requirement, sentence)
    assert found is None or not found.negates


@pytest.mark.parametrize(
    ("requirement", "sentence", "cue"),
    [
        (DELETION, "Unless required by law, the Supplier shall not delete the personal data.", "not delete"),
        (
            BREACH,
            "The Supplier will not notify the Customer of a personal data breach and has no obligation to verify "
            "whether one occurred.",
            "not notify",
        ),
        (AUDITS, "The Customer need not audit the Supplier's compliance with this agreement.", "need not"),
        (
            DATA_SUBJECTS,
            "Unless the Customer pays, the Supplier will not assist with data subject requests.",
            "",  # 1.8.0 quotes "not assist", 1.9.0 the payment ("Unless ... pays"): either is a negation
        ),
        (
            SUBPROCESSORS,
            "The Supplier may engage sub-processors without notice if it considers it necessary.",
            "may engage sub-processors without",
        ),
        (SUBPROCESSORS, "Sub-processors may be engaged without the Customer's consent.", "may be engaged without"),
        (
            TRANSFERS,
            "The Supplier will not implement appropriate safeguards for transfers to a country which is not "
            "subject to an adequacy decision.",
            "not implement",
        ),
        (SUBPROCESSORS, "The Supplier shall not be liable for the acts of its sub-processors.", "not be liable"),
        (
            SUBPROCESSORS,
            "The Supplier is not responsible for the acts or omissions of its sub-processors.",
            "not responsible",
        ),
        (
            AUDITS,
            "The Supplier will not make the information necessary to demonstrate compliance available to the Customer.",
            "not make",
        ),
        (
            DELETION,
            "The Customer agrees that the Supplier may, at its discretion, delete or retain the personal data.",
            "at its discretion",
        ),
        (AUDITS, "No audits or inspections of the Supplier will be permitted.", "no audits"),
        (
            AUDITS,
            "The Supplier shall make available all information necessary to demonstrate compliance; audits are "
            "limited to third-party reports, and no on-site audits will be permitted.",
            "",  # the inspections' concept ("on-site") is in what "no" denies
        ),
        (
            DELETION,
            "Other than to the extent required by law, the Supplier will not delete the personal data after "
            "termination.",
            "not delete",
        ),
        (
            SUBPROCESSORS,
            "The Customer agrees that the Supplier's affiliates may not be retained as sub-processors.",
            "not be retained",
        ),
        (BREACH, "The Supplier will give no notice of a personal data breach.", "no notice"),
        (TRANSFERS, "The Standard Contractual Clauses shall not apply to transfers to third countries.", "not apply"),
        (
            AUDITS,
            "The Supplier shall not be required to allow audits, including inspections, by the Customer.",
            "not be required to",
        ),
        (
            DATA_SUBJECTS,
            "The Supplier can refuse to assist the Customer with requests from data subjects.",
            "can refuse",
        ),
        (
            DELETION,
            "Personal data held by the Supplier will not be deleted upon termination.",
            "not be deleted",
        ),
        (
            BREACH,
            "If the Supplier suffers a personal data breach, it will not notify the Customer.",
            "not notify",
        ),
    ],
)
def test_negations_beside_those_qualifiers_stay_negations(requirement: str, sentence: str, cue: str) -> None:
    found = _negation(requirement, sentence)
    assert found is not None
    assert found.negates
    assert cue in found.cue.lower()


@pytest.mark.parametrize(
    ("requirement", "sentence"),
    [
        (
            INSTRUCTIONS,
            "The Supplier shall not be obliged to verify whether instructions to process personal data comply "
            "with data protection law.",
        ),
        (
            SUBPROCESSORS,
            "Payment networks act as independent controllers, and the Supplier does not engage them as sub-processors.",
        ),
    ],
)
def test_a_negation_beside_the_obligation_is_neither_evidence_nor_contradiction(
    requirement: str, sentence: str
) -> None:
    found = _negation(requirement, sentence)
    assert found is not None
    assert not found.negates
