"""Requirements present but not found, by class (analyzer 1.10.0: recall).

(R) A clause under a Markdown heading line that is no title: a bare clause number ("### 6.1") or a
heading in sentence case ("## 1. Nature and purpose of the processing") on the line right above the
clause, with no blank line between them. A Markdown (ATX) heading is one line, but the clause was
read into it, so its first sentence opened with "#" and counted as a heading (never evidence). The
sentences were written for these tests; none is taken from an evaluation document.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.contracts.support import POSITIVE, lexical_findings, normalise

from assay.analysis.analyzers.contract_review import matching
from assay.analysis.analyzers.contract_review.extract import extract_text
from assay.analysis.analyzers.contract_review.playbook import builtin_playbooks
from assay.analysis.analyzers.contract_review.segment import Clause, segment

MARKDOWN = """# Data Processing Agreement

This Data Processing Agreement is entered into between Northwind Retail GmbH ("Controller") and
Cloudlane Analytics Ltd ("Processor") for the processing of personal data.

## 6. Confidentiality and security
### 6.1
The Processor shall ensure that every person it authorises to process the data is bound by a duty of confidentiality.
### 6.2
The Processor shall implement appropriate technical and organisational measures to protect the personal data.
## 7. Sub-processing of the personal data
The Processor shall not engage another processor without the Controller's prior written authorisation.
"""


def _clauses() -> list[Clause]:
    return segment([extract_text(MARKDOWN, file_id="f1", display_name="dpa.md")])


def test_the_line_under_a_bare_numbered_markdown_heading_starts_its_clause() -> None:
    clauses = _clauses()
    body = next(c for c in clauses if "duty of confidentiality" in c.text)
    assert body.text.startswith("The Processor shall ensure that every person"), body.text
    security = next(c for c in clauses if "organisational measures" in c.text)
    assert security.text.startswith("The Processor shall implement"), security.text
    # the bare number stays a line of its own, never glued to what follows
    assert any(normalise(c.text) == "### 6.1" for c in clauses)


def test_the_line_under_a_markdown_heading_in_sentence_case_starts_its_clause() -> None:
    clauses = _clauses()
    body = next(c for c in clauses if "another processor" in c.text)
    assert body.text.startswith("The Processor shall not engage"), body.text


def test_the_clauses_under_bare_numbered_headings_are_evidence_in_context() -> None:
    clauses = _clauses()
    playbook = builtin_playbooks()["eu-gdpr-processor-terms"]
    units = matching.build_units(clauses, playbook)
    for words in ("duty of confidentiality", "organisational measures", "another processor"):
        unit = next(u for u in units if words in u.text)
        assert unit.in_context, unit.text
        assert not unit.text.startswith("#"), unit.text


@pytest.mark.parametrize(
    ("requirement", "number", "clause"),
    [
        (
            "art28-3b-confidentiality",
            "4.1",
            "## 4. Confidentiality\n### 4.1\nThe Processor shall ensure that its staff who handle Personal Data "
            "are bound by written confidentiality undertakings.",
        ),
        (
            "art28-3a-documented-instructions",
            "3.1",
            "## 3. Processing on the controller's instructions\nThe Processor shall process Personal Data only on "
            "the documented instructions of the Controller, including with regard to transfers to a third country.",
        ),
    ],
)
def test_the_clause_under_a_heading_that_is_no_title_is_quoted(
    tmp_path: Path, requirement: str, number: str, clause: str
) -> None:
    finding = lexical_findings(tmp_path, {number: clause})[requirement]
    assert finding.status in POSITIVE, finding.explanation
    body = normalise(clause.split("\n")[-1])
    assert any(normalise(e.excerpt).startswith(body[:60]) for e in finding.evidence), [
        e.excerpt for e in finding.evidence
    ]


def test_a_heading_that_runs_into_its_clause_on_one_line_stays_the_clause() -> None:
    text = "# Agreement\n\n## 8. Assistance The Processor shall assist the Controller with impact assessments.\n"
    clauses = segment([extract_text(text, file_id="f1", display_name="dpa.md")])
    clause = next(c for c in clauses if "impact assessments" in c.text)
    assert clause.kind == "paragraph"
    assert clause.text.startswith("## 8. Assistance The Processor")
