"""A duty named but not stated is not carried (analyzer 1.8.0, issue 15's cut variants): what a
proof of compliance is about, a point in time ("until ... deletion"), audits *at* sub-processors,
sub-processors as co-agents of a transfer ban, the processor notifying the supervisory authority,
suspending an instruction. Each sentence binds
the processor to a neighbouring duty and names the requirement's words on the way; with the
requirement's own clauses cut it must not be reported PRESENT or WEAK.

Sentences and documents here were written for these tests (the EU DPA fixture with clauses
rewritten); none is taken from an evaluation document.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.contracts.support import STATUS, assert_carries_instead, carried_duties, edited_findings

from assay.analysis.analyzers.contract_review.duty import stated_duties

POSITIVE = {STATUS.STATUS_PRESENT, STATUS.STATUS_WEAK}
PLAYBOOKS = ("eu-gdpr-processor-terms", "uk-gdpr-processor-terms")

PROOF_OF_SECURITY = (
    "The Processor will provide the Controller with regular proof of the fulfilment of its obligations, in "
    "particular of the full implementation of the agreed technical and organisational security measures."
)
INFORMATION_TO_ENSURE = (
    "The Processor shall, at the Controller's request, provide sufficient information to enable the Controller "
    "to ensure that the technical and organisational security measures are implemented."
)
DURATION_UNTIL_DELETION = (
    "Processing begins on the effective date and shall continue until the end of the services and the "
    "subsequent deletion of all Personal Data."
)
INSPECTIONS_AT_SUBPROCESSORS = (
    "The Controller shall be entitled to carry out inspections at Sub-processors, or to have them carried out "
    "by an auditor it appoints."
)
NOTICE_TO_THE_AUTHORITY = (
    "In the event of a Personal Data Breach, the Processor notifies the competent supervisory authority within "
    "72 hours of becoming aware of it."
)
TRANSFER_BAN_FOR_SUBPROCESSORS = (
    "The Processor shall not transfer or allow its Sub-processors, if any, to transfer Personal Data to a third "
    "country without the Controller's prior written consent, unless the Processor or its Sub-processors are "
    "required to do so by Union law."
)
SUSPENDING_AN_INSTRUCTION = (
    "The Processor shall be entitled to suspend the execution of an instruction until it has been confirmed or "
    "changed by the Controller."
)


@pytest.mark.parametrize("playbook", PLAYBOOKS)
@pytest.mark.parametrize(
    ("sentence", "carries", "not_evidence_of"),
    [
        (PROOF_OF_SECURITY, "art28-3h-information-audits", "art28-3c-security"),
        (INFORMATION_TO_ENSURE, "art28-3h-information-audits", "art28-3c-security"),
        (DURATION_UNTIL_DELETION, "duration", "art28-3g-deletion-return"),
        (INSPECTIONS_AT_SUBPROCESSORS, "art28-2-4-subprocessors", "art28-3h-information-audits"),
        (NOTICE_TO_THE_AUTHORITY, "authority-notice", "art33-2-breach-notification"),
        (SUSPENDING_AN_INSTRUCTION, "art28-3-infringing-instructions", "art28-3a-documented-instructions"),
        (TRANSFER_BAN_FOR_SUBPROCESSORS, "chapter-v-transfers", "art28-2-4-subprocessors"),
    ],
)
def test_a_duty_named_on_the_way_is_not_carried(
    sentence: str, carries: str, not_evidence_of: str, playbook: str
) -> None:
    assert_carries_instead(sentence, carries, not_evidence_of, playbook)


@pytest.mark.parametrize("playbook", PLAYBOOKS)
@pytest.mark.parametrize(
    ("sentence", "requirement"),
    [
        # The duty itself beside such a phrase is still carried.
        (
            "The Processor shall implement appropriate technical and organisational measures and provide the "
            "Controller with information on them on request.",
            "art28-3c-security",
        ),
        (
            "The Processor shall notify the Controller and, where required, the supervisory authority of any "
            "Personal Data Breach without undue delay.",
            "art33-2-breach-notification",
        ),
        (
            "The Processor shall assist the Controller with the communication of a Personal Data Breach to the "
            "data subjects and the supervisory authority.",
            "art28-3f-assistance-arts-32-36",
        ),
        ("The Controller may audit the Processor and its Sub-processors.", "art28-3h-information-audits"),
        (
            "The Processor shall not allow any Sub-processor to process Personal Data without the Controller's "
            "prior written authorisation of that Sub-processor.",
            "art28-2-4-subprocessors",
        ),
        ("The Processor shall remain liable for its own acts and its Sub-processors' acts.", "art28-2-4-subprocessors"),
        (
            "Processing continues for the term of the Agreement, and the Processor shall delete all Personal Data "
            "at its end.",
            "art28-3g-deletion-return",
        ),
    ],
)
def test_the_duty_itself_is_still_carried(sentence: str, requirement: str, playbook: str) -> None:
    assert requirement in carried_duties(sentence, playbook)


def test_proof_of_compliance_is_read_as_what_it_is() -> None:
    assert stated_duties(PROOF_OF_SECURITY).endswith("regular proof of compliance")
    assert "until" not in stated_duties(DURATION_UNTIL_DELETION)


@pytest.mark.parametrize(
    ("requirement", "changes"),
    [
        ("art28-3c-security", {"5.1": "5.1 " + PROOF_OF_SECURITY}),
        ("art28-3c-security", {"5.1": "5.1 " + INFORMATION_TO_ENSURE}),
        ("art28-3g-deletion-return", {"9.1": "9.1 " + DURATION_UNTIL_DELETION}),
        (
            "art28-3h-information-audits",
            {"10.1": "10.1 " + INSPECTIONS_AT_SUBPROCESSORS, "10.2": "10.2 " + SUSPENDING_AN_INSTRUCTION},
        ),
        ("art33-2-breach-notification", {"8.1": "8.1 " + NOTICE_TO_THE_AUTHORITY}),
        (
            "art28-2-4-subprocessors",
            {"6.1": "6.1 " + TRANSFER_BAN_FOR_SUBPROCESSORS, "6.2": "", "6.3": "", "6.4": ""},
        ),
    ],
)
def test_with_the_clauses_cut_the_named_duty_is_no_evidence(
    tmp_path: Path, requirement: str, changes: dict[str, str]
) -> None:
    for finding in edited_findings(tmp_path, changes, requirement):
        assert finding.status not in POSITIVE, finding
