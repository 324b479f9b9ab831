"""contract_review 1.10.0: a clear negation of a requirement's duty is weighed against what the
sentences left beside it bind the processor to (``weighing.py``).

A sentence that carries the duty without committing anyone to it (a statement of attitude, a row
of an annex table, a list item of a lead-in that sets the safeguard aside, a definition) no longer
outweighs a negation of the duty, whatever its score; a bare "not" standing on the duty's own words
prevails when nothing left commits the processor to the duty, and never against a sentence that
does. Sentences here were written for these tests (the EU DPA fixture with clauses rewritten); none
is taken from an evaluation document.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.contracts.support import STATUS, edit, embedding_analyzer, findings, fixture_text, needs_model

from assay.analysis.analyzers.contract_review.duty import Duty, carried
from assay.analysis.analyzers.contract_review.negation import prevailing_negations
from assay.analysis.analyzers.contract_review.playbook import builtin_playbooks
from assay.analysis.analyzers.contract_review.weighing import commits, prevailing, stands_on_duty
from assay.v1 import contract_review_pb2

PLAYBOOK = builtin_playbooks()["eu-gdpr-processor-terms"]
SECURITY = "art28-3c-security"
SUBPROCESSORS = "art28-2-4-subprocessors"
TRANSFERS = "chapter-v-transfers"
DELETION = "art28-3g-deletion-return"


def _duty(requirement_id: str) -> Duty:
    requirement = next(r for r in PLAYBOOK.requirements if r.id == requirement_id)
    return Duty(requirement.id, requirement.duty)


@pytest.mark.parametrize(
    ("requirement", "sentence"),
    [
        # A statement of attitude.
        (SECURITY, "The Supplier takes the security and privacy of customer data very seriously."),
        # A row of an annex table describing measures.
        (
            SECURITY,
            "| Data in storage | AES-256 encryption protects customer data against unauthorised access. |",
        ),
        # A list item under a lead-in that names the safeguard only as an exception.
        (
            TRANSFERS,
            "Save for the provisions of the Standard Contractual Clauses in Schedule 4: 14.2. the law governing this "
            "Addendum is determined by the Master Agreement.",
        ),
        # A definition.
        (
            SUBPROCESSORS,
            "'Sub-processor': any third party engaged by the Vendor to process Customer Data on its behalf.",
        ),
    ],
)
def test_a_sentence_that_commits_no_one_to_the_duty(requirement: str, sentence: str) -> None:
    duty = _duty(requirement)
    assert requirement in carried(sentence, PLAYBOOK.duties)
    assert not commits(sentence, duty)


@pytest.mark.parametrize(
    ("requirement", "sentence"),
    [
        (SECURITY, "The Supplier shall implement appropriate technical and organisational measures."),
        (SECURITY, "The Supplier maintains appropriate technical and organisational measures to protect the data."),
        (DELETION, "Customer data is deleted within 30 days after the end of the services."),
        (SUBPROCESSORS, "The Vendor may only engage a sub-processor with the Customer's prior written consent."),
    ],
)
def test_a_sentence_that_commits_the_processor(requirement: str, sentence: str) -> None:
    assert commits(sentence, _duty(requirement))


def test_a_bare_negation_stands_on_the_duty_only_where_its_cue_is_on_the_duty_s_words() -> None:
    security = _duty(SECURITY)
    negated = "The Supplier does not maintain appropriate technical and organisational measures for the data."
    assert stands_on_duty(negated, "not maintain appropriate technical", security)
    elsewhere = (
        "The Supplier shall maintain appropriate technical and organisational measures, which do not cover "
        "the Customer's own systems."
    )
    assert not stands_on_duty(elsewhere, "not cover the", security)
    assert stands_on_duty("Upon termination, the data will not be destroyed.", "not be destroyed.", _duty(DELETION))


ATTITUDE = ("The Supplier takes the security and privacy of customer data very seriously.", 0.75)


def test_a_bare_negation_of_the_duty_prevails_over_a_statement_of_attitude() -> None:
    negated = (
        "The Supplier does not maintain appropriate technical and organisational measures to protect the data.",
        0.9,
        "not maintain appropriate technical",
    )
    assert prevailing_negations(_duty(SECURITY), [negated], [ATTITUDE]) == []  # 1.9.0: WEAK on the attitude
    assert prevailing(_duty(SECURITY), PLAYBOOK.duties, [negated], [ATTITUDE]) == [0]


def test_a_duty_taken_away_prevails_over_an_annex_row_that_reads_more_like_the_requirement() -> None:
    negated = (
        "The Supplier shall not be required to implement the technical and organisational measures in Annex 2.",
        0.45,
        "not be required to",
    )
    row = ("| Access control | Role-based access and multi-factor login protect customer data from misuse. |", 0.8)
    assert carried(row[0], PLAYBOOK.duties) == {SECURITY}
    assert prevailing_negations(_duty(SECURITY), [negated], [row]) == []
    assert prevailing(_duty(SECURITY), PLAYBOOK.duties, [negated], [row]) == [0]


def test_a_list_of_sub_processors_not_kept_prevails_over_a_definition() -> None:
    negated = (
        "The Vendor does not maintain a list of its sub-processors available on request.",
        0.55,
        "not maintain a list",
    )
    definition = (
        "'Sub-processor': any third party engaged by the Vendor to process Customer Data on its behalf.",
        0.65,
    )
    assert carried(negated[0], PLAYBOOK.duties) == {SUBPROCESSORS}
    assert prevailing(_duty(SUBPROCESSORS), PLAYBOOK.duties, [negated], [definition]) == [0]


def test_international_data_transfers_named_as_such_carry_the_transfer_duty() -> None:
    sentence = (
        "The Customer authorises the Vendor to make international data transfers of Customer Data under this DPA."
    )
    assert TRANSFERS in carried(sentence, PLAYBOOK.duties)


@pytest.mark.parametrize(
    "meeting",
    [
        # The duty itself, however little it reads like the requirement: a bare "not" never outweighs it.
        ("At the end of the services the Supplier shall delete all customer data.", 0.5),
        ("Customer data is deleted within 30 days after the end of the services.", 0.5),
    ],
)
def test_a_bare_negation_never_outweighs_a_sentence_that_commits_the_processor(meeting: tuple[str, float]) -> None:
    negated = ("Upon termination, the data will not be destroyed.", 0.9, "not be destroyed.")
    assert prevailing(_duty(DELETION), PLAYBOOK.duties, [negated], [meeting]) == []


def test_a_negation_that_carries_another_duty_too_is_not_weighed_anew() -> None:
    # Security named as the means of the data-subject assistance, at the controller's cost: no clear
    # negation of security.
    other = (
        "The Supplier reserves the right to decline to assist the Customer by implementing appropriate technical "
        "and organisational measures with requests from data subjects.",
        0.5,
        "reserves the right to",
    )
    assert len(carried(other[0], PLAYBOOK.duties)) > 1
    assert prevailing(_duty(SECURITY), PLAYBOOK.duties, [other], [ATTITUDE]) == []


def test_a_bare_negation_off_the_duty_s_words_prevails_over_nothing() -> None:
    sentence = "Data is not deleted from a country that does not provide adequate protection."
    assert prevailing(_duty(DELETION), PLAYBOOK.duties, [(sentence, 0.9, "not provide adequate")], [ATTITUDE]) == []


def _findings(tmp_path: Path, changes: dict[str, str]) -> dict[str, contract_review_pb2.ContractRequirementFinding]:
    return findings(embedding_analyzer(), tmp_path, edit(fixture_text("eu_dpa.txt"), changes))


@needs_model
def test_security_not_maintained_beside_a_statement_of_attitude_is_contradicted(tmp_path: Path) -> None:
    negated = (
        "5.1 The Processor does not maintain appropriate technical and organisational measures to protect the "
        "Personal Data against unauthorised access, loss or destruction."
    )
    attitude = "12.1 The Processor takes the security and confidentiality of the Personal Data very seriously."
    finding = _findings(tmp_path, {"5.1": negated, "12.1": attitude})[SECURITY]
    assert finding.status == STATUS.STATUS_CONTRADICTED
    assert [e.excerpt for e in finding.evidence] == [negated]


@needs_model
def test_an_incidental_bare_negation_beside_the_duty_leaves_it_met(tmp_path: Path) -> None:
    incidental = (
        "12.1 The Processor does not delete any Personal Data before the Controller has been able to export it."
    )
    finding = _findings(tmp_path, {"12.1": incidental})[DELETION]
    assert finding.status in (STATUS.STATUS_PRESENT, STATUS.STATUS_WEAK)


@pytest.mark.parametrize(
    "sentence",
    [
        "The parties agree that the copies of the sub-processor contracts that the Vendor must provide pursuant to "
        "Clause 9(c) of the Standard Contractual Clauses may have commercial terms removed beforehand.",
        "Audit reports owed under the applicable SCCs will be provided to the Customer once a year.",
    ],
)
def test_the_sccs_named_as_what_another_duty_is_owed_under_carry_no_transfer_duty(sentence: str) -> None:
    assert TRANSFERS not in carried(sentence, PLAYBOOK.duties)


@pytest.mark.parametrize(
    "sentence",
    [
        # A transfer named beside them: the clauses are the safeguard.
        "Any transfer of Customer Data to a third country shall be made under the Standard Contractual Clauses.",
        # The clauses as what applies or is entered into.
        "The Standard Contractual Clauses shall apply to the processing by the Vendor.",
    ],
)
def test_the_sccs_as_the_safeguard_still_carry_the_transfer_duty(sentence: str) -> None:
    assert TRANSFERS in carried(sentence, PLAYBOOK.duties)
