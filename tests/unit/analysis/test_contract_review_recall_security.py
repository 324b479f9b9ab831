"""Security terms present but not found, and neighbours read as security or confidentiality (playbooks
1.14.0, analyzer 1.18.0).

Found: safeguards named by their kind ("the administrative, technical, and physical safeguards"), measures
named by Art. 32(1)(b)'s aims ("to ensure the confidentiality, integrity, availability"), measures named by
Art. 32's number, and a processor's statement ending in a colon ("We implement ... measures to protect
personal data:"), which is no field label. Not found: what force majeure excludes, and the auditors' own
confidentiality undertaking. The sentences were written for these tests; none is taken from an evaluation
document.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.contracts.support import assert_found_and_quoted, assert_not_quoted, eu_primary

from assay.analysis.analyzers.contract_review.obligation import controller_permission, non_binding

SECURITY = "art28-3c-security"
CONFIDENTIALITY = "art28-3b-confidentiality"

FOUND = {
    "safeguards named by their kind": {
        "5.1": "5.1 The Processor agrees to implement and maintain the administrative, technical, and physical "
        "safeguards of Personal Data stored using the platform."
    },
    "measures named by Art. 32's number": {
        "5.1": "5.1 The Processor implements the following measures under Article 32 of the GDPR: encryption of "
        "Personal Data in transit and at rest, role-based access control and daily backups."
    },
}


@pytest.mark.parametrize("case", sorted(FOUND))
def test_security_measures_in_other_words_are_found(tmp_path: Path, case: str) -> None:
    assert_found_and_quoted(tmp_path, FOUND[case], SECURITY)


@pytest.mark.parametrize(
    ("requirement", "changes"),
    [
        (
            SECURITY,
            {
                "12.1": "12.1 The following shall not be considered force majeure: ordinary technical failures, or "
                "any circumstance that could have been avoided through reasonable technical and organisational "
                "security measures.",
                "5.1": "",
            },
        ),
        (
            CONFIDENTIALITY,
            {
                "12.1": "12.1 Prior to the audit, the auditing persons must sign a confidentiality agreement with "
                "regard to the Processor's data and the personnel files they see.",
                "4.1": "",
            },
        ),
    ],
)
def test_a_neighbour_naming_the_measures_or_confidentiality_is_no_evidence(
    tmp_path: Path, requirement: str, changes: dict[str, str]
) -> None:
    assert_not_quoted(tmp_path, changes, requirement)


def test_measures_named_by_the_aims_of_art_32_1_b_are_security() -> None:
    sentence = (
        "They must take appropriate technical and organisational measures to ensure the confidentiality, integrity, "
        "availability and capacity of the systems and services."
    )
    assert any(p.search(sentence) for p in eu_primary(SECURITY).patterns)


@pytest.mark.parametrize(
    ("sentence", "why"),
    [
        # A processor's statement ending in a colon: its subject and verb make it no field label.
        ("We implement appropriate technical and organisational measures to protect personal data:", ""),
        ("We do not implement appropriate technical and organisational measures to protect personal data:", ""),
        ("5.1 The Processor maintains the following safeguards:", ""),
        # Field labels and headings still are.
        ("Technical measures:", "label"),
        ("The Processor Obligations:", "label"),
        ("The Processor's duties:", "label"),
        # The controller's duties introduced as its responsibility, read with their lead-in.
        (
            "It is the responsibility of the Controller: e) To supervise the processing of data, including carrying "
            "out inspections and audits.",
            "controller duty",
        ),
        # The controller named "Data Controller" is still the subject of its own duty.
        (
            "The Data Controller shall ensure that adequate technical and organisational measures are taken to "
            "secure the data it shares.",
            "controller duty",
        ),
    ],
)
def test_who_a_sentence_binds(sentence: str, why: str) -> None:
    assert non_binding(sentence) == why


@pytest.mark.parametrize(
    ("sentence", "controllers"),
    [
        # The controller's assent to the processor's act: the permission is the processor's, authorised.
        (
            "The Data Controller agrees the Processor may engage third-party Sub-processors to provide the Services.",
            False,
        ),
        ("The Customer agrees that we may engage sub-processors.", False),
        # The controller's own rights, and what it acknowledges may happen to its data.
        ("You agree and acknowledge that Customer Data may be irretrievably deleted if your account lapses.", True),
        ("The Customer may export its data at any time.", True),
        ("The Customer acknowledges it may audit the Processor once a year.", True),
    ],
)
def test_whose_permission_a_sentence_states(sentence: str, controllers: bool) -> None:
    assert controller_permission(sentence) is controllers
