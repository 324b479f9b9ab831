"""One CSV per statement, a JSON of the whole result (CSV cells safe from formula injection) and an XLSX workbook."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from google.protobuf import json_format

from assay.analysis.analyzers.financial_statements.classify import SHORT_NAMES
from assay.analysis.analyzers.financial_statements.workbook import XLSX_MEDIA_TYPE, XLSX_NAME, write_workbook
from assay.common.csv_cells import SpreadsheetSafeWriter
from assay.v1 import financial_statements_pb2 as fs

JSON_NAME = "financial_statements.json"


def statement_rows(statement: fs.FinancialStatement) -> list[list[str]]:
    header = ["label", "normalized_label", "depth", "is_total", "page", "scale"]
    header += [p.header or p.end_date or f"period {i + 1}" for i, p in enumerate(statement.periods)]
    rows = [header]
    for item in statement.line_items:
        values = {v.period_index: v.value if not v.unreadable else v.raw for v in item.values}
        rows.append([item.label, item.normalized_label, str(item.depth), "true" if item.is_total else "false",
                     str(item.page), str(item.scale),
                     *(values.get(i, "") for i in range(len(statement.periods)))])
    return rows


def write_artifacts(result: fs.FinancialStatementsResult, artifact_path: Callable[[str, str], Path]) -> None:
    used: set[str] = set()
    for statement in result.statements:
        base = SHORT_NAMES.get(statement.type, "statement")
        name = f"{base}.csv"
        suffix = 2
        while name in used:
            name = f"{base}_{suffix}.csv"
            suffix += 1
        used.add(name)
        statement.artifact_name = name
        with artifact_path(name, "text/csv").open("w", encoding="utf-8", newline="") as handle:
            SpreadsheetSafeWriter(handle).writerows(statement_rows(statement))
    result.json_artifact_name = JSON_NAME
    artifact_path(JSON_NAME, "application/json").write_text(
        json_format.MessageToJson(result, preserving_proto_field_name=True), encoding="utf-8")
    write_workbook(result, artifact_path(XLSX_NAME, XLSX_MEDIA_TYPE))
