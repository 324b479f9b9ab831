"""Every CSV Assay writes for users neutralises spreadsheet formulas (OWASP CSV injection)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from assay.analysis.analyzers.compare import ANALYZER as COMPARE
from assay.analysis.analyzers.sentiment import ANALYZER as SENTIMENT
from assay.analysis.analyzers.xml_to_csv import ANALYZER as XML_TO_CSV
from assay.analysis.analyzers.xml_to_csv.verify import document_values, table_values
from assay.analysis.testing import run_analyzer
from assay.common.csv_cells import neutralise, restore
from assay.v1 import compare_pb2, job_pb2

HOSTILE = ['=HYPERLINK("http://evil.example","click")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "\t=1"]
SAFE = ["-2", "+1.5", "plain text", "'quoted"]


def rows_of(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def test_cells_a_spreadsheet_would_evaluate_get_a_quote_and_nothing_else_changes() -> None:
    assert [neutralise(v) for v in HOSTILE] == ["'" + v for v in HOSTILE]
    assert [neutralise(v) for v in SAFE] == SAFE
    for value in [*HOSTILE, *SAFE, "'=already quoted", "''@twice"]:
        assert restore(neutralise(value)) == value


def test_the_scored_sentiment_csv_neutralises_formulas(tmp_path: Path) -> None:
    source = tmp_path / "reviews.csv"
    with source.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["text"], *([v] for v in HOSTILE + SAFE)])
    run = run_analyzer(SENTIMENT, tmp_path, files=[source])
    (artifact,) = run.artifacts
    assert [row["text"] for row in rows_of(artifact.path)] == [neutralise(v) for v in HOSTILE + SAFE]
    assert [row["text"] for row in rows_of(artifact.path)][:len(HOSTILE)] == ["'" + v for v in HOSTILE]


def test_xml_to_csv_tables_neutralise_formulas_and_stay_lossless(tmp_path: Path) -> None:
    source = tmp_path / "doc.xml"
    records = "".join(f'<row><value>{v.replace("&", "&amp;").replace("<", "&lt;")}</value></row>' for v in HOSTILE)
    source.write_text(f'<rows note="@SUM(2)">{records}<row><value>ok</value></row></rows>', encoding="utf-8")
    run = run_analyzer(XML_TO_CSV, tmp_path, files=[source])
    tables = [a.path for a in run.artifacts if a.name.endswith(".csv")]
    written = [cell for path in tables for row in csv.reader(path.open(encoding="utf-8", newline="")) for cell in row]
    assert all(not cell.startswith(("=", "+", "@", "\t")) for cell in written), written
    assert "'@SUM(2)" in written and "'" + HOSTILE[0] in written
    with source.open("rb") as raw:
        assert table_values(tables) == document_values(raw)


def test_the_compare_diff_neutralises_formulas(tmp_path: Path) -> None:
    old, new = tmp_path / "old.csv", tmp_path / "new.csv"
    old.write_text("id,value\n1,fine\n2,same\n", encoding="utf-8")
    new.write_text('id,value\n1,"=HYPERLINK(""http://evil.example"")"\n2,same\n3,@SUM(1)\n', encoding="utf-8")
    run = run_analyzer(COMPARE, tmp_path, files=[old, new],
                       params=job_pb2.JobParams(compare=compare_pb2.CompareParams(key_columns=["id"])))
    (artifact,) = run.artifacts
    diff = rows_of(artifact.path)
    changed = next(row for row in diff if row["change"] == "changed")
    assert changed["new_value"] == "'=HYPERLINK(\"http://evil.example\")"
    assert all(not cell.startswith(("=", "+", "@")) for row in diff for cell in row.values())
