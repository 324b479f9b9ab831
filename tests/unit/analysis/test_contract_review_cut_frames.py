"""Cut requirements no longer held up by boilerplate around the duties (analyzer 1.10.0). With a
requirement's own clauses cut, what is left must not make it PRESENT or WEAK:

- class D, a sentence that binds no processor: a definition written as a glossary entry, the quoted
  term and a colon ("“Sub-processor”: an entity engaged by the Processor ..."); an attitude with no
  duty ("The Processor takes the security of personal data very seriously");
- class C, a neighbouring duty or formula: the contract's governing law and courts (no requirement's
  duty, though it names countries: not a transfer safeguard); Art. 32(1)'s risk formula ("the risk ...
  for the rights and freedoms of natural persons") names persons, but not persons bound to
  confidentiality: measures protecting "the security, confidentiality and integrity" of the data are
  security, not the confidentiality of the processor's staff; measures described or documented ("shall
  prepare and keep updated a description of its technical and organisational measures") are records
  kept, not measures taken.

Sentences here were written for these tests (the EU DPA fixture with clauses rewritten); none is
taken from an evaluation document.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.contracts.support import STATUS, assert_carries_instead, carried_duties, edited_findings

from assay.analysis.analyzers.contract_review.obligation import non_binding
from assay.analysis.analyzers.contract_review.sentence_kind import is_definition

POSITIVE = {STATUS.STATUS_PRESENT, STATUS.STATUS_WEAK}
PLAYBOOKS = ("eu-gdpr-processor-terms", "uk-gdpr-processor-terms")

GLOSSARY_SUBPROCESSOR = (
    "“Sub-processor”: any third party engaged by the Processor to carry out specific processing activities on "
    "behalf of the Controller and under its documented instructions."
)
GLOSSARY_BREACH = (
    '"Security Incident": a breach of security leading to the accidental or unlawful destruction, loss or '
    "alteration of, or unauthorised access to, Personal Data processed by the Processor."
)
ATTITUDE_SECURITY = "The Processor takes the security and integrity of the Controller's data extremely seriously."
ATTITUDE_IMPORTANCE = "The Processor places the highest importance on protecting the Personal Data it processes."
GOVERNING_LAW_DESIGNATED = (
    "The laws governing this DPA, and any dispute arising from it, are those of the country or territory named "
    "for that purpose in the Services Agreement."
)
GOVERNING_LAW_COURTS = (
    "This DPA is governed by the laws of Ireland, and each party submits to the exclusive jurisdiction of the "
    "courts of Dublin for any dispute arising in any country."
)
RISK_FORMULA_SECURITY = (
    "Having regard to the state of the art, the costs of implementation and the risk of varying likelihood and "
    "severity for the rights and freedoms of natural persons, the Processor will implement appropriate technical "
    "and organisational measures to protect the security, confidentiality and integrity of the Personal Data."
)

MEASURES_DESCRIBED = (
    "The Processor shall prepare and keep up to date a written description of its technical and organisational "
    "measures to remain compliant with the Data Protection Laws."
)
MEASURES_DOCUMENTED = (
    "The Processor shall document the procedures and other measures it relies on to meet these requirements for its "
    "information systems and security measures."
)


@pytest.mark.parametrize(
    "sentence",
    [
        GLOSSARY_SUBPROCESSOR,
        GLOSSARY_BREACH,
        # an unquoted term ending with a colon, and "refers to" (1.20.0)
        "3. Customer Data: means all data, including all text, sound, video or image files, provided by Client.",
        "2. Processor: refers to the company that Processes Personal Data on behalf of the Data Controller;",
    ],
)
def test_a_glossary_entry_is_a_definition(sentence: str) -> None:
    assert is_definition(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        # A quoted heading that opens a duty, and a quotation inside a duty, are no definitions.
        '"Audits": the Processor shall allow for and contribute to audits conducted by the Controller.',
        'The Processor shall label the data "confidential": no other marking is needed.',
        "The Processor shall refer to the Controller any request it receives from a Data Subject.",
    ],
)
def test_a_quoted_heading_with_its_duty_is_no_definition(sentence: str) -> None:
    assert not is_definition(sentence)


@pytest.mark.parametrize("sentence", [ATTITUDE_SECURITY, ATTITUDE_IMPORTANCE])
def test_an_attitude_binds_no_processor(sentence: str) -> None:
    assert non_binding(sentence) == "attitude"


def test_an_attitude_with_its_duty_still_binds() -> None:
    assert (
        non_binding(
            "The Processor takes security seriously and shall implement appropriate technical and organisational "
            "measures."
        )
        == ""
    )


@pytest.mark.parametrize("playbook", PLAYBOOKS)
@pytest.mark.parametrize(
    ("sentence", "carries", "not_evidence_of"),
    [
        (GOVERNING_LAW_DESIGNATED, "governing-law", "chapter-v-transfers"),
        (GOVERNING_LAW_COURTS, "governing-law", "chapter-v-transfers"),
        (RISK_FORMULA_SECURITY, "art28-3c-security", "art28-3b-confidentiality"),
        (MEASURES_DESCRIBED, "records", "art28-3c-security"),
        (MEASURES_DOCUMENTED, "records", "art28-3c-security"),
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
            "The Standard Contractual Clauses shall be governed by the laws of Ireland, and any transfer of "
            "Personal Data to a third country shall be made under them.",
            "chapter-v-transfers",
        ),
        (
            "The Processor shall ensure that persons authorised to process the Personal Data, having regard to the "
            "rights and freedoms of data subjects, have committed themselves to confidentiality.",
            "art28-3b-confidentiality",
        ),
        (
            "The Processor shall implement and document appropriate technical and organisational measures to "
            "protect the Personal Data.",
            "art28-3c-security",
        ),
        (
            "The Processor shall process the Personal Data only on documented instructions and shall maintain "
            "appropriate technical and organisational measures.",
            "art28-3c-security",
        ),
    ],
)
def test_the_requirements_own_duty_is_still_carried(sentence: str, requirement: str, playbook: str) -> None:
    assert requirement in carried_duties(sentence, playbook)


@pytest.mark.parametrize(
    ("requirement", "changes"),
    [
        (
            "art28-2-4-subprocessors",
            {"1.1": "1.1 " + GLOSSARY_SUBPROCESSOR, "6.1": "", "6.2": "", "6.3": "", "6.4": ""},
        ),
        ("art28-3c-security", {"5.1": "5.1 " + ATTITUDE_SECURITY}),
        ("chapter-v-transfers", {"11.1": "11.1 " + GOVERNING_LAW_DESIGNATED}),
        ("chapter-v-transfers", {"11.1": "11.1 " + GOVERNING_LAW_COURTS}),
        ("art28-3b-confidentiality", {"4.1": "4.1 " + RISK_FORMULA_SECURITY}),
        ("art28-3c-security", {"5.1": "5.1 " + MEASURES_DESCRIBED}),
        ("art28-3c-security", {"5.1": "5.1 " + MEASURES_DOCUMENTED}),
    ],
)
def test_with_the_clauses_cut_what_is_left_is_no_evidence(
    tmp_path: Path, requirement: str, changes: dict[str, str]
) -> None:
    for finding in edited_findings(tmp_path, changes, requirement):
        assert finding.status not in POSITIVE, finding
