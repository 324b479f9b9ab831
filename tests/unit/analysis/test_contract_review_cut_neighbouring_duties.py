"""Cut requirements no longer held up by a neighbouring duty that binds the processor (class C, analyzer
1.11.0). With a requirement's own clauses cut, a sentence that carries another requirement's duty is no
evidence for it:

- staff made to know or keep data protection law ("ensure that its employees are acquainted with the
  applicable data protection legislation") is the duty on the persons who process the data (Art. 28(3)(b)),
  not security;
- Art. 28(3)(a)'s notice of a legal requirement to process is the instructions duty, and an exception in
  brackets ("(except for keeping the data securely stored)") is what a duty leaves out, not a duty;
- Art. 28(4)'s guarantees that a sub-processor implements measures are the terms of engaging it, not the
  processor's own security (read only when the sentence names a sub-processor);
- information vouched for ("any answer supplied to the Controller's security questionnaires is accurate
  and complete") is the information duty (Art. 28(3)(h)), not security, though the questions are about
  security;
- the standard contractual clauses named as where another duty is described ("the certification of
  deletion ... described in Clauses 8.5 and 16(d) of the Standard Contractual Clauses") are a rulebook,
  not a transfer safeguard; the certification is of deletion.

Sentences here were written for these tests (the EU DPA fixture with clauses rewritten); none is taken
from an evaluation document.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.contracts.support import POSITIVE, assert_carries_instead, carried_duties, edited_findings

PLAYBOOKS = ("eu-gdpr-processor-terms", "uk-gdpr-processor-terms")

STAFF_ACQUAINTED = (
    "When assigning staff to the services, the Processor shall ensure that its employees are acquainted with the "
    "applicable data protection legislation and receive regular training on it."
)
STAFF_COMPLY = (
    "The Processor shall take steps to ensure that its personnel comply with the statutory provisions on data "
    "protection and do not pass on information originating from the Controller's business."
)
LEGAL_REQUIREMENT = (
    "Where Union or Member State law requires the Processor to process Personal Data otherwise, the Processor shall "
    "notify the Controller of that legal requirement before processing and shall suspend all Processing (except for "
    "keeping the Personal Data securely stored and protected) until the matter is resolved."
)
SUBPROCESSOR_GUARANTEES = (
    "Above all, sufficient guarantees shall be obtained that appropriate technical and organisational measures are "
    "implemented so that any processing by a sub-processor meets the requirements of the GDPR."
)
QUESTIONNAIRE_ACCURATE = (
    "The Processor confirms that any answers supplied to the Controller's security questionnaires are accurate and "
    "complete, and that the employee answering them knows the Processor's technical and organisational security "
    "measures."
)
SCC_DELETION_CERTIFICATE = (
    "The parties agree that the certification of deletion of Customer Personal Data described in Clauses 8.5 and "
    "16(d) of the Standard Contractual Clauses shall be provided by the Processor only upon the Controller's written "
    "request."
)


@pytest.mark.parametrize("playbook", PLAYBOOKS)
@pytest.mark.parametrize(
    ("sentence", "carries", "not_evidence_of"),
    [
        (STAFF_ACQUAINTED, "art28-3b-confidentiality", "art28-3c-security"),
        (STAFF_COMPLY, "art28-3b-confidentiality", "art28-3c-security"),
        (LEGAL_REQUIREMENT, "art28-3a-documented-instructions", "art28-3c-security"),
        (SUBPROCESSOR_GUARANTEES, "art28-2-4-subprocessors", "art28-3c-security"),
        (QUESTIONNAIRE_ACCURATE, "art28-3h-information-audits", "art28-3c-security"),
        (SCC_DELETION_CERTIFICATE, "art28-3g-deletion-return", "chapter-v-transfers"),
    ],
)
def test_a_neighbouring_duty_is_not_the_requirements(
    sentence: str, carries: str, not_evidence_of: str, playbook: str
) -> None:
    assert_carries_instead(sentence, carries, not_evidence_of, playbook)


@pytest.mark.parametrize("playbook", PLAYBOOKS)
@pytest.mark.parametrize(
    ("sentence", "requirement"),
    [
        (
            "The Processor shall ensure that its staff comply with the data protection laws and with the technical "
            "and organisational security measures set out in Annex 2.",
            "art28-3c-security",
        ),
        (
            "The Processor shall implement appropriate technical and organisational measures (other than those the "
            "Controller provides itself) and shall protect the Personal Data against unauthorised access.",
            "art28-3c-security",
        ),
        (
            "The Processor provides sufficient guarantees to implement appropriate technical and organisational "
            "measures.",
            "art28-3c-security",
        ),
        (
            "Any transfer of Personal Data to a third country shall be made under the safeguards described in "
            "Clause 8 of the Standard Contractual Clauses.",
            "chapter-v-transfers",
        ),
        (
            "The Processor shall keep its security measures up to date, and any information given about them on "
            "request will be accurate.",
            "art28-3c-security",
        ),
        (
            "The Processor shall process the Personal Data only on documented instructions from the Controller.",
            "art28-3a-documented-instructions",
        ),
    ],
)
def test_the_requirements_own_duty_is_still_carried(sentence: str, requirement: str, playbook: str) -> None:
    assert requirement in carried_duties(sentence, playbook)


@pytest.mark.parametrize(
    ("requirement", "changes"),
    [
        ("art28-3c-security", {"5.1": "5.1 " + STAFF_ACQUAINTED}),
        ("art28-3c-security", {"5.1": "5.1 " + STAFF_COMPLY}),
        ("art28-3c-security", {"5.1": "5.1 " + LEGAL_REQUIREMENT}),
        ("art28-3c-security", {"5.1": "5.1 " + SUBPROCESSOR_GUARANTEES}),
        ("art28-3c-security", {"5.1": "5.1 " + QUESTIONNAIRE_ACCURATE}),
        ("chapter-v-transfers", {"11.1": "11.1 " + SCC_DELETION_CERTIFICATE}),
    ],
)
def test_with_the_clauses_cut_what_is_left_is_no_evidence(
    tmp_path: Path, requirement: str, changes: dict[str, str]
) -> None:
    for finding in edited_findings(tmp_path, changes, requirement):
        assert finding.status not in POSITIVE, finding
