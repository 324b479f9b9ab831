"""What the processor is liable for is no duty it takes on (issue 15, analyzer 1.20.0).

A liability clause names the duties whose breach it answers for ("The Processor is liable for damages
caused by processing that: - fails to implement appropriate security measures"); read as evidence, it
stood for security after every security clause was cut. The sentences were written for these tests;
none is taken from an evaluation document.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.contracts.support import STATUS, assert_found_and_quoted, edited_findings

from assay.analysis.analyzers.contract_review.obligation import non_binding

SECURITY_CUT = {"5.1": ""}

LIABILITY = {
    "a list of what it answers for": (
        "12.1 The Processor is liable for damages caused by processing that:\n\n"
        "- fails to implement appropriate security measures;\n\n"
        "- violates the instructions of the Controller.\n\n"
        "12.2 This DPA is governed by the laws of Germany."
    ),
    "one sentence": (
        "12.1 The Processor is liable for damages caused by processing that fails to implement appropriate "
        "security measures or violates the instructions of the Controller.\n\n"
        "12.2 This DPA is governed by the laws of Germany."
    ),
    "an indemnity": (
        "12.1 The Processor shall indemnify the Controller against claims arising from:\n\n"
        "- its failure to implement appropriate security measures;\n\n"
        "- processing contrary to the instructions of the Controller.\n\n"
        "12.2 This DPA is governed by the laws of Germany."
    ),
}


@pytest.mark.parametrize("case", sorted(LIABILITY))
def test_liability_for_a_cut_duty_does_not_meet_it(tmp_path: Path, case: str) -> None:
    for finding in edited_findings(tmp_path, {**SECURITY_CUT, "12.1": LIABILITY[case]}, "art28-3c-security"):
        assert finding.status == STATUS.STATUS_MISSING, [e.excerpt for e in finding.evidence]


@pytest.mark.parametrize(
    "sentence",
    [
        "The Processor is liable for damages caused by processing that infringes the GDPR.",
        "Provider shall remain fully liable to the Customer for any loss caused by its Sub-processors.",
        "The Processor shall indemnify the Controller against any fines imposed for breaches of this DPA.",
    ],
)
def test_liability_binds_no_processor_to_a_duty(sentence: str) -> None:
    assert non_binding(sentence) == "liability"


def test_a_duty_worded_as_a_responsibility_still_meets_the_requirement(tmp_path: Path) -> None:
    changes = {
        "5.1": "5.1 The Processor is responsible for implementing appropriate technical and organisational measures "
        "to protect the Personal Data against unauthorised access, loss and disclosure."
    }
    assert_found_and_quoted(tmp_path, changes, "art28-3c-security")


def test_a_list_under_the_next_heading_is_not_what_the_processor_is_liable_for(tmp_path: Path) -> None:
    """A heading ends a lead-in's list: the bullets under "5. Security" were read as items of the liability
    lead-in that closed section 4, and the security they state was lost (1.26.0)."""
    changes = {
        "4.1": "4.1 The Processor shall ensure that persons authorised to process the Personal Data have committed "
        "themselves to confidentiality. The Processor is liable for any damage caused by:\n\n"
        "- processing that infringes this DPA;\n- processing outside the Controller's instructions.",
        "5.1": "- The Processor implements appropriate technical and organisational measures to protect the Personal "
        "Data against unauthorised or unlawful processing and accidental loss.",
    }
    for finding in edited_findings(tmp_path, changes, "art28-3c-security"):
        assert finding.status == STATUS.STATUS_PRESENT, finding.explanation
        assert any("The Processor implements appropriate" in e.excerpt for e in finding.evidence)
