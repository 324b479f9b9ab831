"""Cut requirements no longer held up by a neighbouring duty or a sentence that binds no processor
(analyzer 1.9.0). With a requirement's own clauses cut, what is left must not make it PRESENT or WEAK:

- class D, a sentence that binds no processor: the SCCs named only as the frame a sentence is said
  for ("For the purposes of Clause 8.6(c) of the Standard Contractual Clauses, ..."); an annex as the
  subject that lists ("Annex 3 lists the Sub-processors ..."); a pointer to a named policy ("... are
  described in the Processor's Security Policy"); a third party's right ("The data subject can enforce
  ..."); the controller's duty after the parties' agreement ("The parties agree that the Customer shall
  ..."); the controller's warranty of what the processor will do ("The data exporter warrants: (c) that
  the data importer will ...");
- class C, a neighbouring duty: the sub-processor's own liability limited (no processor answering for
  it), the processor checking its sub-processors (not the controller's audit), the controller's right
  to inspect a sub-processor, a party's Confidential Information kept from "any person" (the persons
  are recipients, not the processor's staff bound to confidentiality), access to the written measures
  (information, not security), a purpose set between commas ("shall, in order to assist ..., take
  measures": security, not assistance), a privacy notice to users (transparency, not security),
  data blocked where it cannot be deleted (deletion, not security).

Sentences and documents here were written for these tests (the EU DPA fixture with clauses
rewritten); none is taken from an evaluation document.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.contracts.support import STATUS, assert_carries_instead, carried_duties, edited_findings

from assay.analysis.analyzers.contract_review.duty import without_purpose_frame
from assay.analysis.analyzers.contract_review.obligation import controller_permission, non_binding

POSITIVE = {STATUS.STATUS_PRESENT, STATUS.STATUS_WEAK}
PLAYBOOKS = ("eu-gdpr-processor-terms", "uk-gdpr-processor-terms")

SCC_FRAME_BREACH = (
    "For the purposes of Clause 8.6(c) of the Standard Contractual Clauses, security incidents will be dealt "
    "with as provided in clause 8 of this DPA."
)
SCC_FRAME_INSTRUCTIONS = (
    "For the purposes of the Standard Contractual Clauses (where they apply), the following is deemed an "
    "instruction of the Controller: processing to provide the Services."
)
ANNEX_LISTS = "Annex 3 lists the Sub-processors (if any) that the Controller agrees may process Personal Data."
POLICY_POINTER = (
    "The technical and organisational measures the Processor applies to protect Personal Data are described in "
    "the Processor's Security Policy, available on its website."
)
DATA_SUBJECT_ENFORCES = (
    "The data subject can enforce this Clause against the sub-processor where both the data exporter and the "
    "data importer have ceased to exist in law."
)
PARTIES_AGREE_CUSTOMER_SHALL = (
    "The parties agree that the Customer shall, when carrying out an on-site audit, take all reasonable measures "
    "to limit any disruption to the Processor's business."
)
EXPORTER_WARRANTS = (
    "The data exporter agrees and warrants: (c) that the data importer will provide sufficient guarantees in "
    "respect of the technical and organisational security measures specified in Appendix 2;"
)
SUBPROCESSOR_LIABILITY_LIMITED = (
    "The liability of the sub-processor towards data subjects shall be limited to its own processing operations."
)
PROCESSOR_CHECKS_SUBPROCESSORS = (
    "The Processor shall verify compliance with these obligations by each Sub-processor through regular controls."
)
CONTROLLER_INSPECTS_SUBPROCESSOR = (
    "Where a Sub-processor is engaged, the Controller shall be granted the right to monitor and inspect the "
    "Sub-processor's activities."
)
SCC_CLAUSE_SUBPROCESSORS = (
    "Pursuant to Clause 9(a) of the Standard Contractual Clauses, the Controller agrees that the Processor may "
    "engage new Sub-processors as set out in clause 6."
)
WRITTEN_MEASURES_ACCESS = (
    "The Processor shall give the Controller access to its written technical and organisational security "
    "measures on request."
)
PURPOSE_BETWEEN_COMMAS = (
    "The Processor shall, in order to assist the Controller with its obligations regarding security and impact "
    "assessments, implement appropriate technical and organisational measures to protect the Personal Data."
)
PRIVACY_NOTICE_TO_USERS = (
    "The Processor shall provide users with a clear privacy notice explaining how their personal data is used "
    "and protected."
)
DATA_BLOCKED = (
    "If the Processor is unable to delete Personal Data for technical reasons, it will apply measures to ensure "
    "that the Personal Data is blocked from any further processing."
)
CONFIDENTIAL_INFORMATION_TO_ANY_PERSON = (
    "Non-Disclosure. Each party agrees that it will not disclose the other party's Confidential Information to "
    "any person, or use it for any other purpose, during or after the term of the Agreement."
)


def test_a_purpose_frame_is_read_apart_from_what_it_frames() -> None:
    assert without_purpose_frame(SCC_FRAME_BREACH) == (
        "security incidents will be dealt with as provided in clause 8 of this DPA."
    )
    framed = without_purpose_frame(SCC_FRAME_INSTRUCTIONS)
    assert framed is not None
    assert framed.startswith("the following is deemed")
    assert without_purpose_frame("The Processor shall apply the Standard Contractual Clauses.") is None


@pytest.mark.parametrize(
    ("sentence", "reason"),
    [
        (ANNEX_LISTS, "cross-reference"),
        (POLICY_POINTER, "cross-reference"),
        (DATA_SUBJECT_ENFORCES, "third-party right"),
        (PARTIES_AGREE_CUSTOMER_SHALL, "controller duty"),
        (EXPORTER_WARRANTS, "controller duty"),
    ],
)
def test_sentences_that_bind_no_processor(sentence: str, reason: str) -> None:
    assert non_binding(sentence) == reason


@pytest.mark.parametrize(
    "sentence",
    [
        # The processor's own warranty, duty or practice stays binding.
        "The data importer agrees and warrants: (a) to process the personal data only on behalf of the data "
        "exporter and in compliance with its instructions;",
        "The parties agree that the Processor shall notify the Customer of any Personal Data Breach.",
        "The Customer agrees that the Processor may engage the Sub-processors listed in Annex 3.",
        "The Processor shall implement the technical and organisational measures set out in Annex 2.",
        "Data subjects may exercise their rights against the Processor, and the Processor shall assist the "
        "Controller in responding to them.",
    ],
)
def test_the_processor_bound_is_still_bound(sentence: str) -> None:
    assert non_binding(sentence) == ""


def test_a_later_part_of_the_controllers_warranty_is_the_controllers() -> None:
    lead_in = "The data exporter agrees and warrants:"
    so_far = (
        "(d) that, after assessment, the security measures are appropriate to protect personal data and that "
        "these measures ensure a level of security appropriate to the risks"
    )
    assert non_binding(f"{lead_in} {so_far}") == "controller duty"
    assert non_binding(f"The data importer agrees and warrants: {so_far}") == ""


def test_a_command_about_customer_data_is_the_controllers() -> None:
    assert controller_permission(
        "Provide instructions to the Processor and determine the purposes of the Processor's processing of "
        "Customer Personal Data."
    )


@pytest.mark.parametrize("playbook", PLAYBOOKS)
@pytest.mark.parametrize(
    ("sentence", "carries", "not_evidence_of"),
    [
        (SUBPROCESSOR_LIABILITY_LIMITED, "liability-limits", "art28-2-4-subprocessors"),
        (PROCESSOR_CHECKS_SUBPROCESSORS, "art28-2-4-subprocessors", "art28-3h-information-audits"),
        (CONTROLLER_INSPECTS_SUBPROCESSOR, "art28-2-4-subprocessors", "art28-3h-information-audits"),
        (CONFIDENTIAL_INFORMATION_TO_ANY_PERSON, "business-secrets", "art28-3b-confidentiality"),
        (WRITTEN_MEASURES_ACCESS, "art28-3h-information-audits", "art28-3c-security"),
        (PURPOSE_BETWEEN_COMMAS, "art28-3c-security", "art28-3f-assistance-arts-32-36"),
        (PRIVACY_NOTICE_TO_USERS, "privacy-notice", "art28-3c-security"),
        (DATA_BLOCKED, "art28-3g-deletion-return", "art28-3c-security"),
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
            "The Processor shall remain fully liable to the Controller for each Sub-processor.",
            "art28-2-4-subprocessors",
        ),
        ("The Controller may audit the Processor and its Sub-processors.", "art28-3h-information-audits"),
        (
            "The Processor shall ensure that its personnel keep the Personal Data confidential and do not disclose "
            "it to any person.",
            "art28-3b-confidentiality",
        ),
        (
            "The Processor shall allow for and contribute to audits and inspections conducted by the Controller.",
            "art28-3h-information-audits",
        ),
        (
            "The Processor will provide the Controller with its most recent third-party audit reports or security "
            "certifications.",
            "art28-3h-information-audits",
        ),
        (
            "The Processor shall assist the Controller, in order to help it meet its obligations, with data "
            "protection impact assessments.",
            "art28-3f-assistance-arts-32-36",
        ),
    ],
)
def test_the_requirements_own_duty_is_still_carried(sentence: str, requirement: str, playbook: str) -> None:
    assert requirement in carried_duties(sentence, playbook)


@pytest.mark.parametrize(
    ("requirement", "changes"),
    [
        ("chapter-v-transfers", {"11.1": "11.1 " + SCC_FRAME_BREACH}),
        ("chapter-v-transfers", {"11.1": "11.1 " + SCC_FRAME_INSTRUCTIONS}),
        (
            "art28-2-4-subprocessors",
            {"6.1": "6.1 " + ANNEX_LISTS, "6.2": "6.2 " + SUBPROCESSOR_LIABILITY_LIMITED, "6.3": "", "6.4": ""},
        ),
        (
            "art28-2-4-subprocessors",
            {"6.1": "6.1 " + DATA_SUBJECT_ENFORCES, "6.2": "", "6.3": "", "6.4": ""},
        ),
        ("art28-3c-security", {"5.1": "5.1 " + POLICY_POINTER}),
        ("art28-3c-security", {"5.1": "5.1 " + EXPORTER_WARRANTS}),
        (
            "art28-3h-information-audits",
            {"10.1": "10.1 " + PARTIES_AGREE_CUSTOMER_SHALL, "10.2": "10.2 " + PROCESSOR_CHECKS_SUBPROCESSORS},
        ),
        ("art28-3h-information-audits", {"10.1": "10.1 " + CONTROLLER_INSPECTS_SUBPROCESSOR, "10.2": ""}),
        ("art28-3b-confidentiality", {"4.1": "4.1 " + CONFIDENTIAL_INFORMATION_TO_ANY_PERSON}),
        ("chapter-v-transfers", {"11.1": "11.1 " + SCC_CLAUSE_SUBPROCESSORS}),
        ("art28-3c-security", {"5.1": "5.1 " + DATA_BLOCKED}),
        ("art28-3c-security", {"5.1": "5.1 " + WRITTEN_MEASURES_ACCESS}),
        ("art28-3c-security", {"5.1": "5.1 " + PRIVACY_NOTICE_TO_USERS}),
        ("art28-3f-assistance-arts-32-36", {"7.2": "7.2 " + PURPOSE_BETWEEN_COMMAS}),
    ],
)
def test_with_the_clauses_cut_what_is_left_is_no_evidence(
    tmp_path: Path, requirement: str, changes: dict[str, str]
) -> None:
    for finding in edited_findings(tmp_path, changes, requirement):
        assert finding.status not in POSITIVE, finding
