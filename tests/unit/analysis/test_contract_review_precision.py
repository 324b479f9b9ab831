"""Findings the document does not support, and met duties read as negated (analyzer 1.10.0).

Two classes, each a drafting pattern: (1) a text that meets no processor duty read as meeting one (a
privacy notice's "we will take appropriate measures", the controller assisted with its own breach
notifications); (2) wording around a met duty read as its negation (a price reserved for the duty, a
data subject's right named "not to be subject to", liability disclaimed for a third party's software).
Sentences written for these tests in the style of processor terms and privacy notices; the operative
concepts are the EU processor-terms playbook's.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.contracts.support import STATUS, context, lexical_analyzer, params

from assay.analysis.analyzers.contract_review.document_type import DocumentTypeVerdict, classify
from assay.analysis.analyzers.contract_review.matching import RequirementMatch
from assay.analysis.analyzers.contract_review.negation import Contradiction, contradiction
from assay.analysis.analyzers.contract_review.notice_scope import notice_findings
from assay.analysis.analyzers.contract_review.playbook import all_recognisers, builtin_playbooks

_PLAYBOOK = builtin_playbooks()["eu-gdpr-processor-terms"]

SECURITY = "art28-3c-security"
SUBPROCESSORS = "art28-2-4-subprocessors"
DATA_SUBJECTS = "art28-3e-data-subject-rights"
ASSISTANCE = "art28-3f-assistance-arts-32-36"
AUDITS = "art28-3h-information-audits"
BREACH = "art33-2-breach-notification"


def _requirement(requirement: str):  # type: ignore[no-untyped-def]
    [wanted] = [r for r in _PLAYBOOK.requirements if r.id == requirement]
    return wanted


def _negation(requirement: str, sentence: str) -> Contradiction | None:
    """What negates the requirement in the sentence, read for each recogniser naming its concept."""
    addressed = [
        r
        for r in all_recognisers(_requirement(requirement))
        if r.operative and all(p.search(sentence) for p in r.operative)
    ]
    assert addressed, f"{sentence!r} does not name the concept of {requirement}"
    found = (contradiction(sentence, r.operative, r.restricts) for r in addressed)
    return next((f for f in found if f is not None), None)


# Class 2: met duties with wording around them that negates nothing.
@pytest.mark.parametrize(
    ("requirement", "sentence"),
    [
        # A price reserved for the duty: the duty is owed and paid for.
        (
            DATA_SUBJECTS,
            "c) at the Customer's request, shall assist the Customer in responding to requests from data subjects "
            "to exercise their rights, provided that the Supplier reserves the right to reimbursement from the "
            "Customer for the reasonable costs of such assistance;",
        ),
        (
            ASSISTANCE,
            "The Processor shall take reasonable steps to assist the Controller in meeting its obligations under "
            "Articles 32 to 36 of the GDPR, and reserves the right to charge a reasonable fee for such assistance.",
        ),
        (
            ASSISTANCE,
            "The Vendor shall assist the Company with any data protection impact assessment, provided that the "
            "Vendor reserves the right to recover its reasonable expenses.",
        ),
        # A data subject's right named with "not".
        (
            DATA_SUBJECTS,
            "The Supplier shall notify Customer if it receives a request from a Data Subject to object to the "
            "Processing, or to assert its right not to be subject to an automated individual decision making process.",
        ),
        # Liability disclaimed for a third party's software the customer chooses, no processor engaged.
        (
            SUBPROCESSORS,
            "The Service may be used with third-party applications. We do not assume any liability for such "
            "third-party software or services, and you are responsible for any licences needed for their use.",
        ),
        (
            SUBPROCESSORS,
            "The Provider does not accept any responsibility for third-party websites linked from the Service.",
        ),
        # Measures updated at the processor's discretion, on condition that protection is not lowered.
        (
            SECURITY,
            "The Supplier may update or modify the Security Measures from time to time at its discretion, provided "
            "that such updates do not result in a material decrease of the overall security of the Services.",
        ),
        (
            SECURITY,
            "The technical and organisational measures are subject to technical progress; the Processor may change "
            "them at its own discretion, as long as the level of protection is not reduced.",
        ),
        # The audit kept away from other customers' data.
        (
            AUDITS,
            "Audits will be conducted during business hours and will not permit access to other customers' data or "
            "to the Processor's confidential information.",
        ),
        (
            AUDITS,
            "Any on-site inspection shall not give the auditor access to the personal data of other clients of "
            "the Vendor.",
        ),
    ],
)
def test_wording_around_a_met_duty_is_no_negation(requirement: str, sentence: str) -> None:
    assert _negation(requirement, sentence) is None


@pytest.mark.parametrize(
    ("requirement", "sentence", "cue"),
    [
        # A right reserved over the duty itself stays discretion.
        (
            DATA_SUBJECTS,
            "The Supplier reserves the right to decline to assist the Customer with requests from data subjects.",
            "decline",
        ),
        (
            AUDITS,
            "The Processor reserves the right to limit audits to its third-party reports.",
            "reserves the right to",
        ),
        # The duty bought, not owed, is still gutted.
        (
            ASSISTANCE,
            "The Processor shall assist the Controller with data protection impact assessments only if the "
            "Controller pays the Processor's fees.",
            "only if",
        ),
        # Measures changed at its discretion with no floor stay gutted; audits barred from the premises stay negated.
        (SECURITY, "The Processor may modify the security measures at its sole discretion.", "at its sole discretion"),
        (AUDITS, "The Processor will not permit access to its premises for audits or inspections.", "not permit"),
        # Liability for the processor's own sub-processors disclaimed stays a negation of that element.
        (SUBPROCESSORS, "The Processor does not assume any liability for the acts of its sub-processors.", "not"),
        (
            SUBPROCESSORS,
            "The Processor shall not be liable for any third-party service providers it engages to process "
            "Customer data.",
            "not",
        ),
        # A right taken away is still negated.
        (
            DATA_SUBJECTS,
            "The Processor shall not assist the Controller with requests from data subjects to exercise their rights.",
            "not",
        ),
    ],
)
def test_negations_beside_that_wording_stay_negations(requirement: str, sentence: str, cue: str) -> None:
    found = _negation(requirement, sentence)
    assert found is not None and found.negates
    assert cue in found.cue


# Class 1: a sentence that assists the controller with its own breach notifications is no notice to it.
def _not_about_breach(sentence: str) -> bool:
    primary = _requirement(BREACH).primary
    assert primary is not None
    return any(p.search(sentence) for p in primary.not_about)


@pytest.mark.parametrize(
    "sentence",
    [
        "The Processor shall, taking into account the nature of the processing and the information available to "
        "it, assist the Customer in complying with its obligations in connection with the security of the "
        "processing, any notifications of personal data breaches, and any data protection impact assessments.",
        "The Supplier will help the Client meet its own obligations regarding notification of a personal data "
        "breach under Articles 33 and 34 of the GDPR.",
    ],
)
def test_assisting_with_the_controllers_own_breach_notifications_is_no_notice(sentence: str) -> None:
    assert _not_about_breach(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "The Processor shall notify the Customer without undue delay after becoming aware of a personal data breach.",
        "The Processor shall assist the Customer with its obligations regarding notification of breaches and "
        "shall notify the Customer of any personal data breach within 48 hours.",
        "The Supplier will support the Client's compliance with its obligations on notification of a breach; the "
        "Client will be informed promptly of any breach.",
    ],
)
def test_a_notice_to_the_controller_stays_about_breach_notice(sentence: str) -> None:
    assert not _not_about_breach(sentence)


# Class 1: a privacy notice meets no processor duty.
_NOTICE = """Privacy Policy

This Privacy Policy explains how Example Ltd ("we", "us") collects, uses and shares your personal information when
you visit our website or use our services.

Information we collect. We collect your name, email address, billing information and the pages you visit.

How we use your information. We use your personal information to provide and improve our services, to process
payments and to send you updates.

Security. We implement and maintain appropriate technical and organisational measures to protect your personal
information against unauthorised access, loss or disclosure.

International transfers. When we transfer your personal information outside the EEA, we rely on the Standard
Contractual Clauses approved by the European Commission.

Your rights. You may ask us for access to, correction of or deletion of your personal information at any time by
writing to privacy@example.com.
"""


def test_a_privacy_notice_meets_no_processor_requirement(tmp_path: Path) -> None:
    result = lexical_analyzer().run(context(tmp_path, params("vendor_dpa", "EU"), text=_NOTICE)).contract_review
    assert classify(_NOTICE).type == "privacy_notice"
    met = [f.requirement_id for f in result.requirements if f.status in (STATUS.STATUS_PRESENT, STATUS.STATUS_WEAK)]
    assert met == []
    security = next(f for f in result.requirements if f.requirement_id == "art28-3c-security")
    assert security.status == STATUS.STATUS_MISSING and "privacy notice" in security.explanation


def _match(status: str) -> RequirementMatch:
    requirement = _requirement("art28-3c-security")
    return RequirementMatch(requirement, status, (), (), "Addressed in cl-1.")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("verdict", "playbook", "kept"),
    [
        # A privacy notice typed only from its body is a guess: its findings stay.
        (DocumentTypeVerdict("privacy_notice", 0.6, "no type named in its opening"), "eu-gdpr-processor-terms", True),
        (DocumentTypeVerdict("processor_terms", 0.95, "titled 'DPA'"), "eu-gdpr-processor-terms", True),
        # A privacy notice checked against a privacy-notice playbook is what that playbook is for.
        (DocumentTypeVerdict("privacy_notice", 0.9, "titled 'Privacy Policy'"), "eu-gdpr-privacy-notice", True),
        (DocumentTypeVerdict("privacy_notice", 0.9, "titled 'Privacy Policy'"), "eu-gdpr-processor-terms", False),
    ],
)
def test_only_a_privacy_notice_checked_as_processor_terms_loses_its_findings(
    verdict: DocumentTypeVerdict, playbook: str, kept: bool
) -> None:
    chosen = builtin_playbooks()[playbook]
    [weak, contradicted] = notice_findings(chosen, [_match("weak"), _match("contradicted")], verdict)
    assert (weak.status == "weak") is kept
    assert contradicted.status == "contradicted"
