"""The JSON of the result and its workbook, written by financial_statements' workbook module with each figure's
source job, file, page and line on the Sources sheet and a CAGR column per annual group."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from google.protobuf import json_format

from assay.analysis.analyzers.consolidate.build import to_financial_statement
from assay.analysis.analyzers.financial_statements.workbook import (
    XLSX_MEDIA_TYPE,
    CellOrigin,
    Provenance,
    write_workbook,
)
from assay.v1 import consolidate_pb2 as cpb
from assay.v1 import financial_statements_pb2 as fs

XLSX_NAME = "consolidated.xlsx"
JSON_NAME = "consolidated.json"
SOURCE_COLUMNS = ("Source job", "Source file", "Label in source", "Note")


def provenance(result: cpb.ConsolidateResult) -> Provenance:
    """Each workbook value's origin: the source filing's page and line, job, file and label, and a restatement."""
    def origin(statement: int, line: int, period: int) -> CellOrigin | None:
        found = next((v for v in result.statements[statement].lines[line].values if v.period_index == period), None)
        if found is None:
            return None
        source = result.sources[found.source_index]
        note = "restated: an earlier filing gave another figure (see issues)" if found.restated else ""
        return CellOrigin(found.page, found.line, (source.job_id, source.file_id, found.label, note))

    return Provenance(SOURCE_COLUMNS, origin)


def write_artifacts(result: cpb.ConsolidateResult, artifact_path: Callable[[str, str], Path]) -> None:
    result.json_artifact_name = JSON_NAME
    result.xlsx_artifact_name = XLSX_NAME
    artifact_path(JSON_NAME, "application/json").write_text(
        json_format.MessageToJson(result, preserving_proto_field_name=True, indent=None), encoding="utf-8")
    shaped = fs.FinancialStatementsResult(entity=result.entity,
                                          statements=[to_financial_statement(s) for s in result.statements])
    for statement, consolidated in zip(shaped.statements, result.statements, strict=True):
        statement.checks.extend(c.check for c in consolidated.checks if c.source_index == -1)
    write_workbook(shaped, artifact_path(XLSX_NAME, XLSX_MEDIA_TYPE), provenance=provenance(result), growth=True,
                   span_name="consolidate.workbook")
