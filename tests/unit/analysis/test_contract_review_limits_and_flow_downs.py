"""contract_review 1.19.0: a limit on how often, fees already incurred and duties placed on sub-processors.

- "The Controller may not audit the Processor more than once annually" limits how often; the audits stay owed.
- "... or allow the Controller to terminate, subject to any fees incurred before the termination": fees already
  incurred are no price put on the duty.
- "All sub-processors must: - Implement appropriate security measures" states the terms the processor engages
  sub-processors on, not its own security.

Sentences written for these tests, after the readings holdout16's originals showed after its first run.
"""

from __future__ import annotations

import pytest
from fixtures.contracts.support import carried_duties, eu_contradictions

AUDITS = "art28-3h-information-audits"
SUBPROCESSORS = "art28-2-4-subprocessors"
SECURITY = "art28-3c-security"
BREACH = "art33-2-breach-notification"


def _negates(requirement: str, sentence: str) -> bool:
    return any(found.negates for found in eu_contradictions(requirement, sentence))


@pytest.mark.parametrize(
    ("requirement", "sentence", "negates"),
    [
        (AUDITS, "The Controller may not audit the Processor more than once annually.", False),
        (AUDITS, "The Controller may not audit the Processor more often than once in any twelve months.", False),
        (AUDITS, "The Controller may not audit the Processor.", True),
        # The limit "may audit no more than once a year" negated.
        (AUDITS, "The Controller may not audit the Processor no more than once per calendar year.", True),
        (
            SUBPROCESSORS,
            "If no resolution is achievable, the Processor may either not engage the proposed sub-processor or allow "
            "the Controller to terminate the Services, subject to any fees incurred before the termination.",
            False,
        ),
        (AUDITS, "The Processor shall allow audits only if the Controller pays the Processor's fees.", True),
    ],
)
def test_a_limit_on_how_often_or_fees_already_incurred_negate_nothing(
    requirement: str, sentence: str, negates: bool
) -> None:
    assert _negates(requirement, sentence) is negates


@pytest.mark.parametrize(
    ("sentence", "duties"),
    [
        ("All sub-processors must: Implement appropriate security measures", {SUBPROCESSORS}),
        ("Sub-processors shall notify the Processor of any personal data breach.", {SUBPROCESSORS}),
        ("The Processor shall implement appropriate security measures.", {SECURITY}),
        ("The Processor shall notify the Controller of any personal data breach.", {BREACH}),
    ],
)
def test_duties_placed_on_sub_processors_are_the_terms_of_engaging_them(sentence: str, duties: set[str]) -> None:
    assert carried_duties(sentence) == duties
