"""Wording around a duty that negates none of it (analyzers 1.18.0 and 1.23.0): a noun read as a duty verb, a relative
clause opened by a preposition, discretion over which remedy, serving compliance or the controller's, Art. 22's
right named alone, a ban on keeping the data.

Sentences written for these tests, after the readings holdout14's originals showed; the operative concepts
are the EU processor-terms playbook's.
"""

from __future__ import annotations

import pytest
from fixtures.contracts.support import eu_contradictions

INSTRUCTIONS = "art28-3a-documented-instructions"
SUBPROCESSORS = "art28-2-4-subprocessors"
DATA_SUBJECTS = "art28-3e-data-subject-rights"
TRANSFERS = "chapter-v-transfers"
BREACH = "art33-2-breach-notification"
DELETION = "art28-3g-deletion-return"


def _negations(requirement: str, sentence: str) -> list[str]:
    """The cues that negate the requirement in the sentence, for each recogniser naming its concept."""
    return [found.cue for found in eu_contradictions(requirement, sentence) if found.negates]


@pytest.mark.parametrize(
    ("requirement", "sentence"),
    [
        # "Information" and "Provider" are nouns, not the duty verbs "inform" and "provide".
        (
            INSTRUCTIONS,
            "The Parties agree that the Customer does not sell California Personal Information to Acme because, "
            "as a Service Provider, Acme may only use it for the purposes of providing the Services.",
        ),
        # A relative clause opened by a preposition describes the rights; the main clause is the duty.
        (
            DATA_SUBJECTS,
            "Should a data subject exercise any of its rights with the Processor, in respect of which the "
            "Controller's obligations to the data subject are not performed by the Processor, the Processor shall "
            "immediately notify the Controller and assist it in responding to the request.",
        ),
        # Art. 22's right named alone, as an item of the rights the assistance is for.
        (
            DATA_SUBJECTS,
            "The Processor will assist the Controller in responding to requests of data subjects exercising the "
            "rights of: 4. Not to be subject to automated individual decisions (including profiling)",
        ),
        # The controller's discretion over its own duty, after two introductory phrases, is its own (1.26.0).
        (
            TRANSFERS,
            "In particular, if applicable, Customer shall, at its own discretion and expense, register its "
            "databases and obtain all approvals for the transfer of Customer Data to the Processor.",
        ),
        # The choice in a purpose clause whose subject is the controller is the controller's.
        (
            TRANSFERS,
            "If legally required to transfer data to public authorities of third countries, the Processor will "
            "inform the Controller in advance, so that the Controller can take such actions as they deem "
            "appropriate.",
        ),
        # Keeping the data banned is what the deletion duty owes, also when worded as no entitlement.
        (
            "art28-3g-deletion-return",
            "The Processor is not entitled to retain a copy of Personal Data in any format after termination, and "
            "all copies shall be deleted.",
        ),
        # Discretion over which of two remedies, each of which meets the duty.
        (
            SUBPROCESSORS,
            "If no resolution can be reached, the Processor will, at its sole discretion, either not appoint the new "
            "sub-processor or permit the Controller to terminate the affected Service without penalty.",
        ),
        # Discretion whose stated purpose is compliance.
        (
            TRANSFERS,
            "In the event that replacement standard contractual clauses are approved by the European Commission, "
            "the Processor reserves the right to amend this DPA by replacing the standard contractual clauses in "
            "order to ensure continued compliance with data protection laws.",
        ),
        # 1.23.0: the controller's remedy after "or", a list "without limitation", another provision's scope.
        (
            SUBPROCESSORS,
            "If the Customer objects to the engagement of a new Sub-Processor, the Processor will propose a reasonable "
            "alternative or the Customer may elect to terminate the affected Services without liability to either "
            "party.",
        ),
        (
            TRANSFERS,
            "Such measures may include (without limitation) transferring such data to a recipient that is covered "
            "by a suitable framework or other legally adequate transfer mechanism.",
        ),
        (
            TRANSFERS,
            "This provision shall not apply to data transferred (copied) to Receiving Controllers that are no longer "
            "subject to the Sending Controller's control.",
        ),
        # A use banned for a purpose, whatever else the sentence names.
        (
            SUBPROCESSORS,
            "The Processor does not use Customer Personal Data or prompts to train, fine-tune or otherwise improve any "
            "general-purpose AI model owned by the Processor or any AI Sub-processor.",
        ),
        (
            INSTRUCTIONS,
            "No CCPA Sale. The Parties agree that the Customer does not sell California Personal Information to the "
            "Processor in connection with the Agreement, and the Processor processes it only on the Customer's "
            "documented instructions.",
        ),
        # The purpose alone after the cue (1.24.0).
        (
            INSTRUCTIONS,
            "We process the controller's data only on its documented instruction, and never for our own purposes.",
        ),
        # 1.25.0: a change allowed so that transfers go on lawfully; nothing kept, so nothing to give back.
        (
            TRANSFERS,
            "The Processor may, on 60 days' notice, amend these terms where a change in the law requires it, so that "
            "transfers of Personal Data can continue without breach of Data Protection Laws.",
        ),
        (
            DELETION,
            "As uploaded files are discarded once converted, there is no data to return or delete when the Services "
            "end.",
        ),
    ],
)
def test_wording_beside_the_duty_is_no_negation_of_it(requirement: str, sentence: str) -> None:
    assert _negations(requirement, sentence) == []


@pytest.mark.parametrize(
    ("requirement", "sentence"),
    [
        (
            INSTRUCTIONS,
            "The Processor does not process Personal Data only on the documented instructions of the Controller.",
        ),
        (TRANSFERS, "The Processor reserves the right to replace the standard contractual clauses at any time."),
        (BREACH, "The Processor will, at its sole discretion, notify the Controller of a Personal Data Breach."),
        (
            "art28-3b-confidentiality",
            "The Processor shall not be required to maintain the Personal Data processed on behalf of the Controller "
            "in confidence.",
        ),
        (TRANSFERS, "The Processor may transfer the Personal Data to any country without any safeguards."),
        (
            DATA_SUBJECTS,
            "Should a data subject exercise any of its rights with the Processor, the Processor shall not be "
            "required to notify the Controller or assist it in responding to the request.",
        ),
        # A statutory duty is the law's exception to the duty, no condition of its negation (1.24.0).
        (
            "art28-3g-deletion-return",
            "Upon termination, the Processor does not delete the personal data without undue delay, unless a "
            "statutory retention obligation applies.",
        ),
        # The data made available for export is returned (1.25.0).
        (
            DELETION,
            "On termination of the services, the Processor will not be required to make the Personal Data available "
            "for export for 30 days.",
        ),
    ],
)
def test_the_duty_negated_or_left_to_discretion_is_still_read(requirement: str, sentence: str) -> None:
    assert _negations(requirement, sentence)
