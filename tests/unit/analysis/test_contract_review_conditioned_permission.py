"""A permission given on conditions listed after it is a term, not a bare permission (issue 15, analyzer 1.20.0).

"Starbox may engage sub-processors for data processing, subject to: - Written agreement imposing equivalent
data protection obligations - Right for Customer to object to sub-processor changes ..." is the sub-processor
term of a plain bulleted DPA; read as the processor's permission it bound no one, and the requirement was
MISSING. The sentences were written for these tests; none is taken from an evaluation document.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.contracts.support import POSITIVE, edit, embedding_analyzer, findings, fixture_text, needs_model

from assay.analysis.analyzers.contract_review.obligation import non_binding

CONDITIONED = (
    "6.1 The Processor may engage sub-processors for the processing, subject to:\n\n"
    "- Written agreement imposing equivalent data protection obligations\n\n"
    "- Right for the Controller to object to sub-processor changes\n\n"
    "- The Processor remains fully liable for sub-processor performance"
)


@pytest.mark.parametrize(
    "sentence",
    [
        "The Processor may engage sub-processors, subject to: a written agreement with each of them",
        "The Processor may engage sub-processors subject to the following conditions: prior notice to the Controller",
        "The Processor may engage sub-processors provided that: the Controller has been notified",
    ],
)
def test_a_permission_on_listed_conditions_is_no_bare_permission(sentence: str) -> None:
    assert non_binding(sentence) == ""


def test_a_bare_permission_stays_one() -> None:
    assert non_binding("The Processor may engage sub-processors at any time.") == "processor permission"


@needs_model
def test_the_conditions_of_engaging_sub_processors_meet_the_requirement(tmp_path: Path) -> None:
    text = edit(fixture_text("eu_dpa.txt"), {"6.1": CONDITIONED, "6.2": "", "6.3": "", "6.4": ""})
    finding = findings(embedding_analyzer(), tmp_path, text)["art28-2-4-subprocessors"]
    assert finding.status in POSITIVE
    assert any("object to sub-processor changes" in e.excerpt for e in finding.evidence)
