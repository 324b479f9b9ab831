"""Evidence of a processor obligation must bind the processor: pointers, continuations, the
processor's own permissions and the controller's duties only name the topic.

Sentences and documents here were written for these tests (the EU DPA fixture with clauses
rewritten or removed).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.contracts.support import STATUS, lexical_findings

from assay.analysis.analyzers.contract_review import matching
from assay.analysis.analyzers.contract_review.obligation import non_binding
from assay.v1 import contract_review_pb2


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("3. Annex II: Technical and organisational measures: TOMs are as set forth in Schedule B.", "cross-reference"),
        ("Annex I shall be deemed completed with the information set out in Schedule A.", "cross-reference"),
        ("This includes proof of the obligation of employees to confidentiality.", "continuation"),
        ("These cover encryption and access control of personal data.", "continuation"),
        ("Categories of personal data transferred and safeguards applied to them:", "label"),
        ("Authorised personnel may access personal data where necessary to ensure security.", "processor permission"),
        ("The Processor may suspend the execution of the instruction until it is confirmed.", "processor permission"),
        ("Customer is solely responsible for making appropriate use of the Service to ensure security.",
         "controller duty"),
        ("12.4. Furthermore, You warrant and represent that You are authorised to give the instructions.",
         "controller duty"),
    ],
)
def test_sentences_that_only_name_the_topic_bind_no_processor(sentence: str, kind: str) -> None:
    assert non_binding(sentence) == kind


@pytest.mark.parametrize(
    "sentence",
    [
        "The Processor shall implement the measures, which are set out in Annex II.",
        "This includes the Processor's duty to ensure that all copies are deleted, which it shall certify.",
        "The Processor may engage sub-processors only with the prior written consent of the Controller.",
        "The Processor may not delete the data without the Controller's instruction.",
        "The Controller may audit the Processor once a year.",
        "The customer may object to a new sub-processor within thirty days.",
        "Upon the Client's instruction, the Processor undertakes to delete all personal data.",
        "The Client acknowledges and consents that the Processor engages Amazon Web Services as a sub-processor.",
        "The notification to the Controller must include the nature of the breach.",
        "The Processor implements appropriate technical and organisational measures.",
        "The Processor shall, at the choice of the Controller:",
        # A plain-language contract's present tense: "we" before a word is a verb, so this is no verbless
        # description (1.24.0) ...
        "5. Breach notification. We tell the controller without undue delay after becoming aware of a personal data"
        " breach affecting its data, with what we know at the time.",
        # ... and a modal in a relative clause is no permission of the sentence (1.24.0).
        "We assist with security and any impact assessment, in proportion to what we can see from our side.",
        # A run-in title naming the controller is not the sentence's subject (1.26.0).
        "(d) Customer's Instructions: Cloudlane shall only process Customer Data in accordance with the instructions"
        " described in Section 2.",
    ],
)
def test_obligations_rights_and_restrictions_still_bind(sentence: str) -> None:
    assert non_binding(sentence) == ""


def _review(tmp_path: Path, changes: dict[str, str]) -> dict[str, contract_review_pb2.ContractRequirementFinding]:
    return lexical_findings(tmp_path, changes)


def test_a_pointer_to_a_cut_security_annex_is_not_evidence_of_security(tmp_path: Path) -> None:
    pointer = "5.1 The technical and organisational measures to ensure security are as set out in Annex 2."
    findings = _review(tmp_path, {"5.1": pointer, "ANNEX 2": "", "Encryption": ""})
    finding = findings["art28-3c-security"]
    assert finding.status != STATUS.STATUS_PRESENT and finding.status != STATUS.STATUS_WEAK
    assert finding.status == STATUS.STATUS_BY_REFERENCE  # the pointer names the annex to check


def test_the_processors_permission_and_the_controllers_duty_are_not_evidence(tmp_path: Path) -> None:
    permission = (
        "5.1 The Processor may implement appropriate technical and organisational measures to ensure the "
        "security of the Personal Data."
    )
    duty = "9.1 The Controller shall delete or return all the Personal Data after the end of the services."
    findings = _review(tmp_path, {"5.1": permission, "ANNEX 2": "", "Encryption": "", "9.1": duty})
    assert findings["art28-3c-security"].status == STATUS.STATUS_MISSING
    assert findings["art28-3g-deletion-return"].status == STATUS.STATUS_MISSING
    assert _review(tmp_path, {})["art28-3c-security"].status == STATUS.STATUS_PRESENT


def test_documentation_handed_over_is_not_the_information_that_demonstrates_compliance(tmp_path: Path) -> None:
    handed_over = (
        "10.1 The Processor shall keep records of all requests from authorities and make the information in "
        "those records available to the Controller."
    )
    findings = _review(tmp_path, {"10.1": handed_over, "10.2": ""})
    assert findings["art28-3h-information-audits"].status == STATUS.STATUS_MISSING


@pytest.mark.parametrize(
    ("main_clause", "acts"),
    [
        ("We help with data subject requests, impact assessments, and regulator consultations.", True),
        ("3. The Processor shall assist the Controller with impact assessments.", True),
        # A permission names the duty it presupposes, it does not perform it (1.26.0).
        ("The Processor shall be entitled to terminate the contract where, after having informed the Controller that"
         " its instructions infringe applicable legal requirements, the Controller insists on them.", False),
        ("EU SCCs adapted for Swiss transfers | Vercel, Inc. | Hosting", False),
    ],
)
def test_the_head_is_overruled_only_where_the_processor_acts(main_clause: str, acts: bool) -> None:
    """Where the requirement head doubts a pattern hit, the hit stands only in a sentence whose main clause
    opens with the processor acting (analyzer 1.26.0, ``matching._own_duty_carried``)."""
    assert (matching._PROCESSOR_ACTS.match(main_clause) is not None) == acts
