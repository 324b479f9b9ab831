"""Requirements present but not found, by class (analyzer 1.10.0: recall).

(R) A met duty read as negated: "provided that the Processor reserves the right to reimbursement for
the reasonable cost of such assistance" reserves money for the work, not a choice over it, so the
duty is still owed. "reserves the right to" before anything else (to decline, to decide, to modify)
is still the processor's discretion. The sentences were written for these tests; none is taken from
an evaluation document.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.contracts.support import assert_found_and_quoted, eu_primary

from assay.analysis.analyzers.contract_review.negation import contradiction

RIGHTS = "art28-3e-data-subject-rights"
ASSISTANCE = "art28-3f-assistance-arts-32-36"


@pytest.mark.parametrize(
    ("sentence", "negated"),
    [
        (
            "The Processor shall assist the Controller in responding to requests from data subjects, provided that "
            "the Processor reserves the right to reimbursement for the reasonable cost of such assistance.",
            False,
        ),
        (
            "The Processor shall assist the Controller with data subject requests and reserves the right to charge "
            "the Controller its standard rates for that assistance.",
            False,
        ),
        (
            "The Processor shall assist the Controller with data subject requests; it reserves the right to be "
            "compensated for any time spent.",
            False,
        ),
        (
            "The Processor shall assist the Controller with data subject requests but reserves the right to "
            "decide whether to assist in each case.",
            True,
        ),
        (
            "The Processor reserves the right to assist the Controller with data subject requests where it sees fit.",
            True,
        ),
    ],
)
def test_a_right_reserved_to_payment_is_no_discretion_over_the_duty(sentence: str, negated: bool) -> None:
    primary = eu_primary(RIGHTS)
    found = contradiction(sentence, primary.operative, primary.restricts)
    assert (found is not None) is negated, found


def test_the_duty_paid_for_is_found_and_quoted(tmp_path: Path) -> None:
    changes = {
        "7.1": "7.1 The Processor shall assist the Controller by appropriate technical and organisational measures in "
        "fulfilling the Controller's obligation to respond to requests for exercising the Data Subject's rights, "
        "provided that the Processor reserves the right to reimbursement of the reasonable costs of such assistance."
    }
    assert_found_and_quoted(tmp_path, changes, RIGHTS)


def test_assistance_with_articles_32_to_36_paid_for_is_found_and_quoted(tmp_path: Path) -> None:
    changes = {
        "7.2": "7.2 The Processor shall take reasonable steps to assist the Controller in meeting its obligations "
        "under Articles 32 to 36 of the GDPR, provided that the Processor reserves the right to be reimbursed for the "
        "reasonable cost of any time spent on such assistance."
    }
    assert_found_and_quoted(tmp_path, changes, ASSISTANCE)
