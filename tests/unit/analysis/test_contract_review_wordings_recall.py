"""Requirements met in other ordinary wordings are found (issue 15, analyzer 1.8.0: recall).

Each case rewrites one clause of the EU DPA fixture in a wording of ordinary drafting that 1.7.0
did not read as meeting the requirement: a variant of the requirement's object ("data protection
breach", "subprocessing", "Art. 33"), the security measures named with other adjectives or by
Art. 32's purpose, a condition put first ("If a data subject exercises its rights ..., the
Processor shall support ..."), "non-compliant" for an infringing instruction, and the
controller's consent to sub-processors or advance notice of them. The sentences were written for
these tests; none is taken from an evaluation document.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.contracts.support import (
    POSITIVE,
    assert_found_and_quoted,
    assert_not_quoted,
    below_the_veto,
    edit,
    edited_findings,
    embedding_analyzer,
    eu_primary,
    findings,
    fixture_text,
    lexical_findings,
    needs_model,
    normalise,
    rewritten_sentence,
)

from assay.analysis.analyzers.contract_review.binding import binds_processor
from assay.analysis.analyzers.contract_review.negation import contradiction
from assay.analysis.analyzers.contract_review.obligation import non_binding

SUBPROCESSOR_CLAUSES = {"6.2": "", "6.3": "", "6.4": ""}
"""The fixture's other sub-processor clauses dropped, so the rewritten one alone decides."""

CASES = {
    "breach notice, 'data protection breach'": (
        "art33-2-breach-notification",
        {
            "8.1": "8.1 Data protection breaches that come to the Processor's knowledge are reported to the "
            "Controller at once."
        },
    ),
    "breach notice, 'privacy breaches'": (
        "art33-2-breach-notification",
        {
            "8.1": "8.1 The Processor shall report privacy breaches affecting the Personal Data to the Controller "
            "within 24 hours."
        },
    ),
    "Arts 32-36 assistance, 'Art. 33 and 34'": (
        "art28-3f-assistance-arts-32-36",
        {"7.2": "7.2 The Processor shall support the Controller in meeting its obligations under Art. 33 and 34 GDPR."},
    ),
    "sub-processors, 'subprocessing'": (
        "art28-2-4-subprocessors",
        {
            "6.1": "6.1 Subprocessing is permitted only with the prior written authorisation of the Controller.",
            **SUBPROCESSOR_CLAUSES,
        },
    ),
    "sub-processors, the controller agrees that the processor engages them": (
        "art28-2-4-subprocessors",
        {
            "6.1": "6.1 The Controller agrees that the Processor engages the sub-processors listed in Annex 3 for "
            "hosting and support.",
            **SUBPROCESSOR_CLAUSES,
        },
    ),
    "sub-processors, advance notice of new ones": (
        "art28-2-4-subprocessors",
        {
            "6.1": "6.1 New sub-processors are notified to the Controller in writing before they start processing "
            "the Personal Data.",
            **SUBPROCESSOR_CLAUSES,
        },
    ),
    "security, other adjectives and Art. 32's purpose": (
        "art28-3c-security",
        {
            "5.1": "5.1 The Processor maintains organisational, physical and IT technical measures that prevent the "
            "Personal Data from being accidentally or unlawfully destroyed, lost or disclosed."
        },
    ),
    "security, the data protected against Art. 32's harms": (
        "art28-3c-security",
        {
            "5.1": "5.1 The Processor shall protect the Personal Data against unauthorised disclosure, accidental "
            "loss and any threat to its integrity."
        },
    ),
    "audit information, 'sufficient information to enable' the controller to check": (
        "art28-3h-information-audits",
        {
            "10.1": "10.1 On request, the Processor gives the Controller sufficient information to enable the "
            "Controller to ascertain that the measures of Annex 2 are in place."
        },
    ),
    "documented instructions, 'only ... as directed'": (
        "art28-3a-documented-instructions",
        {
            "3.1": "3.1 Apart from what the law of a Member State requires of it, the Processor processes the "
            "Personal Data exclusively as the pricing schedule of the Services Agreement sets out or as directed by "
            "the Controller."
        },
    ),
    "audit information, 'proof' of compliance": (
        "art28-3h-information-audits",
        {
            "10.1": "10.1 Whenever the Controller asks, the Processor shall provide proof of its compliance with "
            "Article 28 of the GDPR."
        },
    ),
    "sub-processors, a written agreement with each of them (Art. 28(4) alone)": (
        "art28-2-4-subprocessors",
        {
            "6.1": "6.1 The Processor concludes a written agreement with each sub-processor that binds it to the "
            "data protection obligations of this DPA.",
            **SUBPROCESSOR_CLAUSES,
        },
    ),
    "data-subject assistance, the condition first": (
        "art28-3e-data-subject-rights",
        {
            "7.1": "7.1 Where Data Subjects assert their rights against the Controller, the Processor supports the "
            "Controller to the extent needed."
        },
    ),
    # 1.24.0
    "data-subject assistance, a request 'reported'": (
        "art28-3e-data-subject-rights",
        {
            "7.1": "7.1 The Processor will report to the Controller without undue delay any request, demand or order "
            "received by the Processor from a competent supervisory authority or a data subject relating to the "
            "processing of personal data on the Controller's behalf."
        },
    ),
    "breach notice, 'Security Event'": (
        "art33-2-breach-notification",
        {
            "8.1": "8.1 The Processor shall notify the Controller of any Security Event affecting the Personal Data "
            "without undue delay."
        },
    ),
    "infringing instruction, 'breaks'": (
        "art28-3-infringing-instructions",
        {"3.2": "3.2 The Processor will tell the Controller at once if it believes an instruction breaks the GDPR."},
    ),
    "infringing instruction, 'contrary to'": (
        "art28-3-infringing-instructions",
        {
            "3.2": "3.2 The Processor shall inform the Controller immediately where an instruction is, in its "
            "opinion, contrary to Data Protection Law."
        },
    ),
    "infringing instruction, 'may conflict with' the law": (
        "art28-3-infringing-instructions",
        {
            "3.2": "3.2 Should the Processor find that an instruction may conflict with the applicable data "
            "protection laws, it will notify the Controller promptly."
        },
    ),
    # 1.21.0
    "security, the measures kept in Art. 32's words": (
        "art28-3c-security",
        {"5.1": "5.1 The Processor keeps appropriate technical and organisational measures at all times."},
    ),
    "confidentiality, 'a duty of confidence'": (
        "art28-3b-confidentiality",
        {"4.1": "4.1 Everyone with access to the Personal Data is under a duty of confidence."},
    ),
    "deletion, 'removes'": (
        "art28-3g-deletion-return",
        {
            "9.1": "9.1 When the services end, the Processor removes all the Personal Data and existing copies from "
            "its systems, unless Union or Member State law requires storage."
        },
    ),
    "sub-processors, notice given before one is added": (
        "art28-2-4-subprocessors",
        {
            "6.1": "6.1 The Processor gives the Controller notice before adding or replacing a Sub-processor, and "
            "the Controller may object.",
            **SUBPROCESSOR_CLAUSES,
        },
    ),
    "sub-processors, their use covered by a contract": (
        "art28-2-4-subprocessors",
        {
            "6.1": "6.1 Any use of Sub-processors will be covered by a written contract between the Processor and "
            "the Sub-processor.",
            **SUBPROCESSOR_CLAUSES,
        },
    ),
    "infringing instruction, 'non-compliant'": (
        "art28-3-infringing-instructions",
        {
            "3.2": "3.2 If the Processor finds that an instruction for the processing of Personal Data is "
            "non-compliant with the GDPR, it shall notify the Controller without delay."
        },
    ),
    # 1.23.0
    "security, 'will use reasonable technical and organizational measures'": (
        "art28-3c-security",
        {
            "5.1": "5.1 The Processor will use reasonable technical and organizational measures appropriate to the "
            "limited processing described here."
        },
    ),
    # 1.24.0
    "security, 'keep the measures listed in Article 32'": (
        "art28-3c-security",
        {
            "5.1": "5.1 We keep the measures listed in Article 32 of the regulation: encryption in transit and "
            "encrypted nightly backups."
        },
    ),
    "breach notice, Art. 4(12)'s words without 'breach'": (
        "art33-2-breach-notification",
        {
            "8.1": "8.1 The Processor shall notify the Controller promptly upon becoming aware of and confirming any "
            "accidental, unauthorized, or unlawful processing of, disclosure of, or access to the Personal Data."
        },
    ),
    "confidentiality, the data maintained 'in confidence'": (
        "art28-3b-confidentiality",
        {
            "4.1": "4.1 The Processor shall maintain the Personal Data processed on behalf of the Controller in "
            "confidence."
        },
    ),
    # 1.22.0
    "infringing instruction, one that 'does not comply with' the law": (
        "art28-3-infringing-instructions",
        {
            "3.2": "3.2 The Processor will immediately notify the Controller if, in its opinion, an Instruction "
            "does not comply with the GDPR."
        },
    ),
    # 1.25.0
    "data-subject assistance, the rights listed after 'requests, including'": (
        "art28-3e-data-subject-rights",
        {
            "7.1": "7.1 The Processor provides reasonable assistance to the Controller in fulfilling valid requests, "
            "including access, rectification, erasure and objection."
        },
    ),
    "Arts 32-36 assistance, enabling the controller's 'notification obligations'": (
        "art28-3f-assistance-arts-32-36",
        {
            "7.2": "7.2 The Processor will provide reasonable assistance to enable the Controller to meet its "
            "notification obligations under the GDPR."
        },
    ),
    "breach notice, the breach named in the notice's condition": (
        "art33-2-breach-notification",
        {
            "8.1": "8.1 Where a Personal Data Breach is confirmed, the Processor will notify the Controller without "
            "undue delay and provide the information reasonably necessary to enable the Controller to meet its "
            "notification obligations."
        },
    ),
    "transfers, 'transferred overseas' with the protection kept": (
        "chapter-v-transfers",
        {
            "11.1": "11.1 Where Personal Data is transferred overseas, the Processor will take reasonable steps to "
            "ensure that the recipient protects it in a manner consistent with the GDPR."
        },
    ),
    "Arts 32-36 assistance, with 'security incidents' beside data subjects' requests": (
        "art28-3f-assistance-arts-32-36",
        {
            "7.2": "7.2 The Processor will reasonably assist the Controller with data subject requests, regulatory "
            "enquiries and security incidents relating to the Personal Data."
        },
    ),
    "Arts 32-36 assistance, hyphenated obligations": (
        "art28-3f-assistance-arts-32-36",
        {
            "7.2": "7.2 The Processor shall assist the Controller in ensuring compliance with its security, "
            "breach-notification and data-protection-impact-assessment obligations."
        },
    ),
    "transfers, the transfer named in the condition of the safeguards": (
        "chapter-v-transfers",
        {
            "11.1": "11.1 When Personal Data is transferred outside the European Economic Area, the Processor will "
            "ensure that appropriate safeguards are in place to protect the Personal Data in accordance with Data "
            "Protection Laws."
        },
    ),
    "infringing instruction, 'a conflict between the instructions and applicable law'": (
        "art28-3-infringing-instructions",
        {
            "3.2": "3.2 The Processor will inform the Controller in writing if it reasonably believes that there is a "
            "conflict between the Controller's instructions and applicable law."
        },
    ),
    # 1.26.0
    "Arts 32-36 assistance, notifying 'competent authorities'": (
        "art28-3f-assistance-arts-32-36",
        {
            "7.2": "7.2 At the Controller's request, the Processor will promptly provide all reasonable assistance "
            "necessary to enable the Controller to notify relevant Personal Data Breaches to competent authorities "
            "and affected Data Subjects."
        },
    ),
    "Arts 32-36 assistance, 'with' after an aside": (
        "art28-3f-assistance-arts-32-36",
        {
            "7.2": "7.2 The Processor will assist the Controller, as far as it is able, with personal data breaches "
            "affecting the Personal Data."
        },
    ),
    "Arts 32-36 assistance, 'impact assessments' without 'data protection'": (
        "art28-3f-assistance-arts-32-36",
        {
            "7.2": "7.2 The Processor will assist the Controller, to the extent it is able, with data subject "
            "requests, security, breach notification and impact assessments."
        },
    ),
    "Arts 32-36 assistance, a short plain sentence the requirement head doubts": (
        "art28-3f-assistance-arts-32-36",
        {"7.2": "7.2 We help with data subject requests, impact assessments, and regulator consultations."},
    ),
    "transfers, the measures a transfer to 'third countries' needs": (
        "chapter-v-transfers",
        {
            "11.1": "11.1 If the processing of Personal Data involves transfers of Personal Data to third countries, "
            "the Processor will take such measures as are necessary to ensure that the transfer complies with Data "
            "Protection Laws.",
            "3.1": "3.1 The Processor shall process Personal Data only on the documented instructions of the "
            "Controller.",
        },
    ),
    "deletion, 'when the Agreement ends'": (
        "art28-3g-deletion-return",
        {
            "9.1": "9.1 When the Agreement ends, the Processor deletes all Personal Data within 30 days, unless the "
            "law requires otherwise, and confirms the deletion on request."
        },
    ),
    "audits, 'you or your auditor may audit'": (
        "art28-3h-information-audits",
        {
            "10.2": "10.2 If that information is not enough, you or your auditor may audit the Processor once a year, "
            "at your cost, with 30 days' notice."
        },
    ),
    "documented instructions, under a run-in title naming the controller, the instructions named last": (
        "art28-3a-documented-instructions",
        {
            "3.1": "3.1 Customer's Instructions: Cloudlane shall only process Customer Data in accordance with its "
            "obligations as set out in this DPA, the Agreement and with the instructions described in Section 2, "
            "unless applicable law requires otherwise."
        },
    ),
}


BELOW_THE_VETO = {
    "data-subject assistance, the condition first",
    "confidentiality, 'a duty of confidence'",
    "confidentiality, the data maintained 'in confidence'",
}
"""Wordings the requirement head reads below its veto (``requirement_head.VETO``, 0.30 since analyzer
1.16.0): "the Processor supports the Controller to the extent needed" names no request or assistance
the head knows, nor "a duty of confidence" or the data kept "in confidence" a confidentiality it knows (the
lexical analyzer finds them: :func:`test_a_duty_of_confidence_is_read_by_the_patterns`); a negation of either
is read all the same (``test_contract_review_negation_beside.py``)."""


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            case,
            marks=[below_the_veto] if case in BELOW_THE_VETO else [],
        )
        for case in sorted(CASES)
    ],
)
def test_the_requirement_is_found_in_this_wording_and_quoted(tmp_path: Path, case: str) -> None:
    requirement, changes = CASES[case]
    assert_found_and_quoted(tmp_path, changes, requirement)


@pytest.mark.parametrize(
    "case", ["confidentiality, 'a duty of confidence'", "confidentiality, the data maintained 'in confidence'"]
)
def test_a_duty_of_confidence_is_read_by_the_patterns(tmp_path: Path, case: str) -> None:
    requirement, changes = CASES[case]
    finding = lexical_findings(tmp_path, changes)[requirement]
    assert finding.status in POSITIVE, finding.explanation
    assert any(rewritten_sentence(changes) in normalise(e.excerpt) for e in finding.evidence)


def test_the_measures_the_processor_implements_as_listed_are_its_security(tmp_path: Path) -> None:
    # 1.23.0: "implements the following technical and organisational measures:" before a list or table of them met
    # no security wording (only "appropriate", "adequate" ... measures did).
    changes = {
        "5.1": "5.1 The Processor implements the following technical and organisational measures:\n\n"
        "- TLS 1.3 for all communications\n- Role-based access with tenant isolation"
    }
    for finding in edited_findings(tmp_path, changes, "art28-3c-security"):
        assert finding.status in POSITIVE, finding.explanation
        quoted = [normalise(e.excerpt) for e in finding.evidence]
        assert any("implements the following technical and organisational measures" in q for q in quoted), quoted


@pytest.mark.parametrize(
    "changes,requirement",
    [
        # a contract's breach is no personal data breach; "breach of data protection law" is an infringement
        (
            {"8.1": "8.1 Each party shall notify the other of any breach of this Agreement within 30 days."},
            "art33-2-breach-notification",
        ),
        # an instruction that would lead to unlawful processing is no breach (1.24.0)
        (
            {
                "8.1": "8.1 The Processor shall inform the Controller without delay if, in its opinion, an instruction "
                "would lead to unlawful processing of the Personal Data."
            },
            "art33-2-breach-notification",
        ),
        # a conflict between the parties' documents is no instruction that infringes the law
        (
            {
                "3.2": "3.2 In the event of a conflict between an instruction of the Controller and this DPA, the "
                "Processor shall notify the Controller and this DPA shall prevail."
            },
            "art28-3-infringing-instructions",
        ),
        # "part 33" is no article
        (
            {"7.2": "7.2 The Processor shall support the Controller as described in part 33 of the price list."},
            "art28-3f-assistance-arts-32-36",
        ),
        # measures required of a sub-processor, with the GDPR named after them, are the flow-down term
        (
            {
                "5.1": "5.1 Each Sub-processor shall be bound by contract to implement technical and organisational "
                "measures in such a manner that the processing meets the requirements of the General Data "
                "Protection Regulation."
            },
            "art28-3c-security",
        ),
        # Art. 28(3)(e)'s measures for requests, kept in Art. 32's words, are no security (1.21.0)
        (
            {
                "5.1": "5.1 The Processor keeps appropriate technical and organisational measures to assist the "
                "Controller with data subject requests."
            },
            "art28-3c-security",
        ),
        (
            {
                "5.1": "5.1 The Processor shall implement the necessary technical and organisational measures enabling "
                "the Controller to respect the rights of the persons concerned, in particular the right of access."
            },
            "art28-3c-security",
        ),
        # measures of another purpose are no Art. 32 security
        (
            {
                "5.1": "5.1 The Processor shall maintain organisational measures that improve the usability of the "
                "dashboards."
            },
            "art28-3c-security",
        ),
    ],
)
def test_neighbouring_wordings_stay_unmet(tmp_path: Path, changes: dict[str, str], requirement: str) -> None:
    assert_not_quoted(tmp_path, changes, requirement)


def test_deletion_while_the_services_run_is_no_deletion_at_their_end(tmp_path: Path) -> None:
    # 1.26.0: the embedding analyzer found Art. 28(3)(g) met by the controller's own deletion "during the Term".
    changes = {
        "9.1": "9.1 Deletion during the Term: the Processor enables the Controller to delete Personal Data during the "
        "term of the Agreement in a manner consistent with the functionality of the Services."
    }
    for finding in edited_findings(tmp_path, changes, "art28-3g-deletion-return"):
        assert finding.status not in POSITIVE, finding.explanation


def test_an_instruction_the_processor_cannot_follow_is_no_instruction_that_does_not_comply(tmp_path: Path) -> None:
    # 1.22.0: "cannot comply with" held "not comply with", the wording of an instruction that infringes the law.
    changes = {"3.2": "3.2 If the Processor cannot comply with an instruction, it will notify the Controller."}
    for finding in edited_findings(tmp_path, changes, "art28-3-infringing-instructions"):
        assert finding.status not in POSITIVE, finding.explanation


def test_the_controller_assenting_to_what_a_named_party_does_is_no_duty_of_the_controller() -> None:
    said = "The Client also agrees that Acme shall engage further processors as needed to provide the Services."
    assert non_binding(said) == ""
    assert binds_processor(said)
    # the controller's own duty after its assent stays its own
    assert non_binding("The Customer agrees that it shall give all instructions in writing.") == "controller duty"
    assert non_binding("The Customer acknowledges that the Customer shall back up its data.") == "controller duty"


def test_the_controllers_acceptance_of_the_processors_subcontractor_binds_the_processor() -> None:
    assert binds_processor(
        "If the Customer chooses a hosting region outside the EEA, it thereby accepts the Supplier's subcontractor as "
        "the operator of that region."
    )
    assert not binds_processor("By choosing a hosting region, the Customer accepts the price list.")


DATA_SUBJECTS = "art28-3e-data-subject-rights"
INSTRUCTIONS = "art28-3a-documented-instructions"


@pytest.mark.parametrize(
    "requirement,sentence,negated",
    [
        # the condition first, the negation in the main clause: the wording found above, negated
        (
            DATA_SUBJECTS,
            "Where Data Subjects assert their rights against the Controller, the Processor will not support the "
            "Controller.",
            True,
        ),
        (DATA_SUBJECTS, "If a data subject exercises its rights, the processor does not assist the controller.", True),
        # a negation inside the condition is none
        (
            DATA_SUBJECTS,
            "If a data subject's request does not concern the Controller, the Processor shall forward it to the "
            "Controller.",
            False,
        ),
        # "only as instructed", found since 1.8.0, negated with the law's own exception after it
        (
            INSTRUCTIONS,
            "The Processor will not process the Personal Data exclusively as the Controller instructs, unless it "
            "is legally obliged to process it otherwise.",
            True,
        ),
        # the wordings found above (1.16.0), their duty taken away
        (
            "art28-3-infringing-instructions",
            "The Processor will not be required to tell the Controller if it believes an instruction breaks the GDPR.",
            True,
        ),
        (
            "art33-2-breach-notification",
            "The Processor shall not be required to notify the Controller of a Security Event.",
            True,
        ),
        # an instruction that does not comply is the warning's condition; the warning taken away is a negation
        (
            "art28-3-infringing-instructions",
            "The Processor will immediately notify the Controller if, in its opinion, an Instruction does not "
            "comply with the GDPR.",
            False,
        ),
        (
            "art28-3-infringing-instructions",
            "The Processor will not be required to notify the Controller if an Instruction does not comply with "
            "the GDPR.",
            True,
        ),
        # a restriction with the law's exception is the duty, not its negation
        (
            INSTRUCTIONS,
            "The Processor shall not process the Personal Data other than on the Controller's documented "
            "instructions, unless it is legally required to do so.",
            False,
        ),
    ],
)
def test_the_new_wordings_negated_are_read_as_negations(requirement: str, sentence: str, negated: bool) -> None:
    primary = eu_primary(requirement)
    found = contradiction(sentence, primary.operative, primary.restricts)
    assert (found is not None) is negated


def test_the_controllers_assent_to_something_else_is_no_sub_processor_term() -> None:
    primary = eu_primary("art28-2-4-subprocessors")
    said = "You agree to give us accurate billing details, which our sub-processors for payments will also see."
    assert not any(p.search(said) for p in primary.patterns)
    said = "The Customer agrees that the Processor uses the sub-processors listed in Annex 3."
    assert any(p.search(said) for p in primary.patterns)


@needs_model
@pytest.mark.parametrize("word", ["only", "strictly"])
def test_purpose_limitation_strictly_is_read_as_only(tmp_path: Path, word: str) -> None:
    """Processing "strictly for the purpose of providing the Services" is limited as "only for the purpose"
    is (1.20.0; the lexical analyzer reads neither without the word "instructions")."""
    clause = f"3.1 The Processor shall process the Personal Data {word} for the purpose of providing the Services."
    text = edit(fixture_text("eu_dpa.txt"), {"3.1": clause})
    finding = findings(embedding_analyzer(), tmp_path, text)["art28-3a-documented-instructions"]
    assert finding.status in POSITIVE
    assert any(f"{word} for the purpose" in e.excerpt for e in finding.evidence)
