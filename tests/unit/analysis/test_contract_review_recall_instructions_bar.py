"""Requirements present but not found, by class (analyzer 1.11.0: recall, class G).

(G) The instructions duty worded as a bar with its exception: "may not otherwise process or use
personal data for purposes other than those set out in this DPA or as reasonably instructed by the
Customer in writing", "will not process it for other purposes unless the Controller instructs it to
in writing". The duty is the one of "process only on documented instructions", written the other way
round; no pattern of the EU or UK playbook read it, and its similarity stayed below the threshold.
A limit put as what the processor "may ... solely" (or "exclusively") do binds it, as "may ... only"
already did (``binding.py``).
The sentences were written for these tests; none is taken from an evaluation document.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.contracts.support import POSITIVE, lexical_findings, normalise

from assay.analysis.analyzers.contract_review.playbook import builtin_playbooks

INSTRUCTIONS = "art28-3a-documented-instructions"


@pytest.mark.parametrize(
    "clause",
    [
        "3.1 The Processor may not process or use Personal Data for purposes other than those set out "
        "in this DPA or as reasonably instructed by the Controller in writing.",
        "3.1 The Processor will process Personal Data solely to the extent needed to provide the Services, and "
        "will not process it for other purposes unless the Controller instructs it to in writing.",
        # a limit put as what the processor "may ... solely" do binds it, as "may ... only" does
        "3.1 The Processor may process Personal Data solely to the extent necessary to provide the Services, and "
        "may not otherwise process it for purposes other than as instructed by the Controller in writing.",
    ],
)
def test_the_instructions_duty_written_as_a_bar_with_its_exception_is_found(tmp_path: Path, clause: str) -> None:
    finding = lexical_findings(tmp_path, {"3.1": clause})[INSTRUCTIONS]
    assert finding.status in POSITIVE, finding.explanation
    body = normalise(clause.split(" ", 1)[1])
    assert any(body[:50] in normalise(e.excerpt) for e in finding.evidence), [e.excerpt for e in finding.evidence]


@pytest.mark.parametrize("playbook", ["eu-gdpr-processor-terms", "uk-gdpr-processor-terms"])
def test_both_playbooks_read_the_bar_with_its_exception(playbook: str) -> None:
    requirement = next(r for r in builtin_playbooks()[playbook].requirements if r.id == INSTRUCTIONS)
    assert requirement.primary is not None
    sentence = (
        "The Supplier shall not otherwise use Customer Personal Data for any purpose except as the Customer "
        "directs in writing."
    )
    assert any(p.search(sentence) for p in requirement.primary.patterns)
    # a bar with an exception that is no instruction is not this pattern's
    other = "The Supplier shall not use Customer Personal Data for any purpose other than providing the Services."
    assert not any(p.search(other) for p in requirement.primary.patterns)
