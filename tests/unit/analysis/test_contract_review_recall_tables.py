"""Requirements present but not found, by class (analyzer 1.11.0: recall, class G).

(G) The processing details written as a Markdown table of "Label | value" rows, the layout of the
standard contractual clauses' Annex I ("| **Categories of data subjects:** | Customers of the
Controller |"). The rows of a table ran together into one paragraph, so no sentence carried one
detail with its label. A row whose first cell is a label (ending with ":" or "?") now starts a
paragraph of its own, as the same details written one per line would; rows of other tables (a list
of sub-processors, a security annex whose first column names a measure) still run together. The
sentences were written for these tests; none is taken from an evaluation document.
"""

from __future__ import annotations

from pathlib import Path

from fixtures.contracts.support import POSITIVE, lexical_findings, normalise

from assay.analysis.analyzers.contract_review.extract import extract_text
from assay.analysis.analyzers.contract_review.segment import Clause, segment

DETAILS_TABLE = """2.1 The details of the processing are described in the table below.

| Description | Details |
|-------------|---------|
| **Categories of data subjects:** | Employees and contractors of the Controller who log in to the platform |
| **Categories of personal data:** | Names, work email addresses, login records and device identifiers |
| **Are special categories of data processed?** | None |
| **Frequency of the processing:** | Continuous, for as long as the Services are provided. |
| **Nature and purpose of the processing:** | Cloudlane will host and analyse Personal Data to provide the Services. |
| **Retention period:** | For the term of the Services Agreement. |"""

SUBPROCESSOR_TABLE = """| Sub-processor | Purpose | Location |
|---------------|---------|----------|
| Harbour Hosting Ltd | Cloud hosting | Ireland |
| Mailwell Inc. | Transactional email | United States |"""

SECURITY_TABLE = """| Measure | Details |
|---------|---------|
| Measures of encryption of personal data | Data is encrypted in transit with TLS. |
| Measures for ensuring events logging | Cloudlane keeps central audit logs. |"""


def _clauses(text: str) -> list[Clause]:
    return segment([extract_text(text, file_id="f1", display_name="dpa.md")])


def test_a_labelled_table_row_is_a_paragraph_of_its_own() -> None:
    clauses = _clauses(DETAILS_TABLE)
    row = next(c for c in clauses if "Nature and purpose" in c.text)
    assert row.text.startswith("| **Nature and purpose of the processing:** |"), row.text
    assert "Retention period" not in row.text
    assert row.kind == "paragraph"
    # the header row and its rule stay together, apart from the first labelled row
    header = next(c for c in clauses if "| Description | Details |" in c.text)
    assert "Categories of data subjects" not in header.text


def test_the_rows_of_other_tables_still_run_together() -> None:
    for table, first, last in (
        (SUBPROCESSOR_TABLE, "Harbour Hosting", "Mailwell"),
        (SECURITY_TABLE, "Measures of encryption", "events logging"),
    ):
        clauses = _clauses(table)
        assert any(first in c.text and last in c.text for c in clauses), [c.text for c in clauses]


def test_processing_details_in_a_labelled_table_are_found_and_quoted(tmp_path: Path) -> None:
    changes = {"2.1": DETAILS_TABLE, "2.2": "", "2.3": "", "2.4": "", "2.5": ""}
    finding = lexical_findings(tmp_path, changes)["art28-3-processing-details"]
    assert finding.status in POSITIVE, finding.explanation
    quotes = [normalise(e.excerpt) for e in finding.evidence]
    assert any("host and analyse Personal Data" in q for q in quotes), quotes
    assert not any("Retention period" in q and "Nature and purpose" in q for q in quotes), quotes
