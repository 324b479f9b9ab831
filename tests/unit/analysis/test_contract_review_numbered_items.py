"""Numbered clauses that complete a lead-in (1.13.0): "Acme will:" followed by "3.1 **Title.** Process
...", "3.2 ..." (the duties written as commands, each under a bold run-in title), and "8.1 ... the
Processor shall, without undue delay:" followed by "8.1.1 notify ..." in lower case. Before, the
numbered items were read as clauses of their own (a command binding no one, a sub-clause with no
subject) and the first line of a hard-wrapped item as a heading, so the requirement was MISSING.

The document is the EU DPA fixture with one clause rewritten in those forms; no evaluation document
is quoted.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.contracts.support import POSITIVE, edited_findings, normalise

ASSISTANCE_AS_COMMAND = (
    "The Processor will:\n\n"
    "7.2 **Assistance with compliance (Articles 32 to 36).** Assist the Controller in\n"
    "ensuring compliance with its obligations regarding security, breach notification,\n"
    "impact assessments and prior consultation, taking into account the nature of processing."
)
BREACH_IN_SUB_CLAUSES = (
    "8.1 In respect of any Personal Data Breach, the Processor shall, without undue delay and in any event "
    "within 24 hours:\n\n"
    "8.1.1 notify the Controller of the Personal Data Breach; and\n\n"
    "8.1.2 provide the Controller with details of the Personal Data Breach."
)


@pytest.mark.parametrize(
    ("requirement", "changes", "quoted"),
    [
        ("art28-3f-assistance-arts-32-36", {"7.2": ASSISTANCE_AS_COMMAND}, "Assist the Controller in ensuring"),
        ("art33-2-breach-notification", {"8.1": BREACH_IN_SUB_CLAUSES}, "notify the Controller of the Personal"),
    ],
    ids=["commands-under-a-lead-in", "sub-clauses-completing-their-clause"],
)
def test_a_numbered_item_of_a_lead_in_meets_the_requirement(
    tmp_path: Path, requirement: str, changes: dict[str, str], quoted: str
) -> None:
    for finding in edited_findings(tmp_path, changes, requirement):  # lexical, and embeddings when installed
        assert finding.status in POSITIVE, finding.explanation
        assert any(quoted in normalise(e.excerpt) for e in finding.evidence), [e.excerpt for e in finding.evidence]
