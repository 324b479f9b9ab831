"""Sentences that do bind the processor although no party is their subject (issue 15, analyzer 1.7.0).

The positive reading (:mod:`.binding`, 1.6.0) rejected three structures of ordinary drafting that
bind the processor: a restriction whose subject is the act ("Any transfer ... may only take place
with ..."), a duty named by its gerund as an item of a list of duties ("Assisting the Client with
..."), and the contract named as the controller's instructions. Sentences and documents here were
written for these tests (the EU DPA fixture with one clause rewritten); none is taken from an
evaluation document.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.contracts.support import STATUS, lexical_findings

from assay.analysis.analyzers.contract_review.binding import binds_processor


@pytest.mark.parametrize(
    "sentence",
    [
        # a restriction whose subject is the act
        "Any transfer of Personal Data to a third country may only take place with the prior consent of the "
        "Controller.",
        "Any onward transfer of the data outside the EEA shall only occur in compliance with Chapter V of the GDPR.",
        "The processing of Personal Data shall take place exclusively within the European Union.",
        "Any movement of the data to another country requires the prior written consent of the Customer.",
        "Each transfer to a third country shall require the prior approval of the Client and may only occur if the "
        "conditions of Article 44 are met.",
        "Any subcontracting may only take place with the prior written authorisation of the Controller.",
        # the act after the data it acts on (1.21.0)
        "Data transfers to a country outside the EEA may only occur with the Client's prior written approval.",
        "Personal data processing shall take place exclusively within the European Union.",
        "Disclosure of the data to third parties shall not take place without the Controller's instructions.",
        "Engaging further processors in a third country is subject to the prior written consent of the Customer.",
        # a duty named by its gerund, an item of a list of duties
        "Assisting the Controller with its data protection impact assessments.",
        "Implementing and maintaining procedures for regularly testing the effectiveness of the measures.",
        "Deleting all Personal Data at the end of the provision of the services.",
        # the contract as the controller's instructions
        "The Agreement and this DPA set out the Customer's complete documented instructions to the Processor.",
        "This DPA and the Agreement are the Controller's complete and final instructions for the processing.",
    ],
)
def test_sentences_that_bind_the_processor_without_a_party_as_subject(sentence: str) -> None:
    assert binds_processor(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Processing may take place outside the European Economic Area.",  # a permission restricts nothing
        "Audits may take place once a year.",
        "The Customer's use of the Service requires an account.",  # the controller's act
        "The use of the Services by the Customer is governed by the Agreement.",
        "Processing of personal data on behalf of the Controller.",  # a noun, not a duty's gerund
        "Engaging subcontractors outside the territory of the Union.",  # a gerund subject with no verb
        "Marketing and advertising.",
        "The Agreement is governed by the laws of Ireland.",
        "This Annex contains the technical and organisational measures.",
    ],
)
def test_sentences_that_still_bind_no_processor(sentence: str) -> None:
    assert not binds_processor(sentence)


def test_a_restriction_on_the_act_is_evidence_of_the_transfer_terms(tmp_path: Path) -> None:
    clause = (
        "11.1 Any transfer of Personal Data to a third country may only take place where the third country "
        "benefits from an adequacy decision of the Commission or under "
        "the standard contractual clauses adopted by the Commission."
    )
    assert _status(tmp_path, {"11.1": clause}, "chapter-v-transfers") == STATUS.STATUS_PRESENT


def test_the_contract_as_the_controllers_instructions_is_evidence(tmp_path: Path) -> None:
    clause = (
        "3.1 This DPA and the Agreement are the Controller's complete documented instructions for the processing of "
        "Personal Data, including with regard to transfers of Personal Data to a third country."
    )
    assert _status(tmp_path, {"3.1": clause}, "art28-3a-documented-instructions") == STATUS.STATUS_PRESENT


def _status(tmp_path: Path, changes: dict[str, str], requirement: str) -> int:
    return int(lexical_findings(tmp_path, changes)[requirement].status)
