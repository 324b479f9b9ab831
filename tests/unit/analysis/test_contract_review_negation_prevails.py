"""contract_review 1.8.0: a negation in the main clause after a condition is read, and a
negation of the requirement's own duty outweighs a sentence that only touches the requirement.
When the requirement's statement is negated ("does not commit to implementing ... security
measures") and what still meets the requirement is a neighbouring sentence that states no such
duty, or reads less like the requirement than the negation, the finding is CONTRADICTED quoting
the negation, not WEAK quoting the neighbour. A narrow exception beside the requirement's own
statement ("need not delete copies held in backups") leaves it met.

Sentences here were written for these tests (the EU DPA fixture with clauses rewritten); none is
taken from an evaluation document.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.contracts.support import STATUS, edit, embedding_analyzer, findings, fixture_text, needs_model

from assay.analysis.analyzers.contract_review.duty import Duty
from assay.analysis.analyzers.contract_review.negation import contradiction, prevailing_negations
from assay.analysis.analyzers.contract_review.playbook import builtin_playbooks
from assay.v1 import contract_review_pb2


def _duty(requirement_id: str) -> Duty:
    playbook = builtin_playbooks()["eu-gdpr-processor-terms"]
    requirement = next(r for r in playbook.requirements if r.id == requirement_id)
    return Duty(requirement.id, requirement.duty)


DELETION = "art28-3g-deletion-return"
NEGATED = "The Processor shall not be required to delete or return the Personal Data at the end of the services."


@pytest.mark.parametrize(
    ("meeting", "prevails"),
    [
        # A neighbour that states no deletion duty: the negation prevails whatever the scores.
        (("Backups are encrypted and kept in the European Union.", 0.9), True),
        # A sentence carrying the duty that reads less like the requirement than the negation.
        (("Deleted Personal Data is purged from backups by rotation.", 0.5), True),
        # The requirement's own statement, reading more like it than the negation: still met.
        (("The Processor shall delete all Personal Data at the end of the services.", 0.8), False),
    ],
)
def test_a_negation_of_the_own_duty_prevails_over_what_only_touches_the_requirement(
    meeting: tuple[str, float], prevails: bool
) -> None:
    assert prevailing_negations(_duty(DELETION), [(NEGATED, 0.6, "not be required to")], [meeting]) == (
        [0] if prevails else []
    )


def test_a_negation_of_another_duty_prevails_over_nothing() -> None:
    other = "The Processor shall not be required to pay the costs of any audit."
    backups = [("Backups are encrypted.", 0.2)]
    assert prevailing_negations(_duty(DELETION), [(other, 0.9, "not be required to")], backups) == []
    assert prevailing_negations(None, [(NEGATED, 0.9, "not be required to")], backups) == []


@pytest.mark.parametrize(
    ("sentence", "cue"),
    [
        # A bare negation word restricts an act or describes a fact as well as it negates a duty.
        ("The Processor processes data only on instructions and does not modify or delete it.", "not modify or delete"),
        ("Data is not deleted from a country that does not provide adequate protection.", "not provide adequate"),
    ],
)
def test_a_bare_negation_word_prevails_over_nothing(sentence: str, cue: str) -> None:
    assert prevailing_negations(_duty(DELETION), [(sentence, 0.9, cue)], [("Backups are kept.", 0.2)]) == []


def test_only_the_negations_of_the_own_duty_are_quoted() -> None:
    other = ("The Processor may at its discretion choose the backup provider.", 0.7, "at its discretion")
    negated = (NEGATED, 0.6, "not be required to")
    assert prevailing_negations(_duty(DELETION), [other, negated], [("Backups are kept.", 0.5)]) == [1]


def _findings(tmp_path: Path, changes: dict[str, str]) -> dict[str, contract_review_pb2.ContractRequirementFinding]:
    return findings(embedding_analyzer(), tmp_path, edit(fixture_text("eu_dpa.txt"), changes))


@needs_model
@pytest.mark.parametrize(
    ("requirement", "negated", "neighbour"),
    [
        (
            "art28-3c-security",
            "5.1 The Processor does not commit to implementing appropriate technical and organisational measures to "
            "ensure a level of security appropriate to the risk.",
            # A neighbour that touches security (1.11.0: staff familiar with data protection rules carry the
            # confidentiality requirement's duty, so no longer touch security at all).
            "12.1 The Processor ensures that only its own trained employees, who are familiar with the information "
            "security policies, work on the platform.",
        ),
        (
            "art28-3a-documented-instructions",
            "3.1 The Processor shall not be required to process Personal Data only on the documented instructions "
            "of the Controller.",
            "12.1 Where the Processor sends Personal Data to a hosting provider on the Controller's instructions, "
            "only the data needed for the request is sent.",
        ),
    ],
)
def test_the_requirements_statement_negated_is_contradicted_though_a_neighbour_touches_it(
    tmp_path: Path, requirement: str, negated: str, neighbour: str
) -> None:
    clause = negated.split(" ", 1)[0]
    finding = _findings(tmp_path, {clause: negated, "12.1": neighbour})[requirement]
    assert finding.status == STATUS.STATUS_CONTRADICTED
    assert [e.excerpt for e in finding.evidence] == [negated]
    assert "elsewhere only touched on" in finding.explanation


@needs_model
def test_a_narrow_exception_beside_the_requirements_statement_leaves_it_met(tmp_path: Path) -> None:
    exception = (
        "12.1 The Processor need not delete copies held in encrypted backups before they are overwritten in the "
        "ordinary course of rotation."
    )
    finding = _findings(tmp_path, {"12.1": exception})[DELETION]
    assert finding.status == STATUS.STATUS_WEAK
    assert any(e.excerpt.startswith("9.1 At the choice of the Controller") for e in finding.evidence)


def _operative(requirement_id: str) -> tuple[object, ...]:
    playbook = builtin_playbooks()["eu-gdpr-processor-terms"]
    requirement = next(r for r in playbook.requirements if r.id == requirement_id)
    recogniser = requirement.primary or requirement.elements[0]
    return recogniser.operative, recogniser.restricts


@pytest.mark.parametrize(
    ("requirement", "sentence", "cue"),
    [
        (
            "art33-2-breach-notification",
            "If there is a suspicion of a breach of personal data security, or if events occur which indicate the "
            "same, this must not be notified immediately to the other party.",
            "not be notified immediately",
        ),
        (
            "art28-3e-data-subject-rights",
            "If data subjects assert their rights, the contractor will not support the client in "
            "responding to the requests.",
            "not support the client",
        ),
    ],
)
def test_a_negation_in_the_main_clause_after_a_condition_is_read(requirement: str, sentence: str, cue: str) -> None:
    found = contradiction(sentence, *_operative(requirement))  # type: ignore[arg-type]
    assert found is not None and found.cue == cue


@pytest.mark.parametrize(
    ("requirement", "sentence"),
    [
        ("art33-2-breach-notification", "If the Processor concludes it can no longer comply, it will notify the "
         "Controller of the breach."),
        ("art28-3h-information-audits", "The Processor shall allow audits, but only if the audit may not impose a "
         "threat to the rights of third parties."),
    ],
)
def test_a_negation_inside_the_condition_is_still_no_negation(requirement: str, sentence: str) -> None:
    assert contradiction(sentence, *_operative(requirement)) is None  # type: ignore[arg-type]


def test_a_duty_taken_away_with_a_long_inserted_phrase_is_read_and_prevails() -> None:
    sentence = (
        "Upon termination, the Processor shall not be required, upon the Controller's request, and subject to the "
        "limitations described in the Agreement, to return all Personal Data or destroy it."
    )
    found = contradiction(sentence, *_operative(DELETION))  # type: ignore[arg-type]
    assert found is not None and found.cue == "not be required, ... the Agreement, to"
    assert prevailing_negations(_duty(DELETION), [(sentence, 0.6, found.cue)], [("Backups are kept.", 0.5)]) == [0]
