"""consolidate's workbook: every formula, recomputed by a formula engine (and by LibreOffice where installed), gives
the consolidation's own figure; the Sources sheet names each value's job, file, page and line."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fixtures import consolidation as cx
from fixtures.workbook_formulas import SOFFICE, Engine, formula_cells, recalculated_by_libreoffice
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.workbook.workbook import Workbook

from assay.analysis.analyzers.consolidate import ANALYZER
from assay.analysis.analyzers.consolidate.artifacts import XLSX_NAME
from assay.analysis.analyzers.financial_statements.workbook import HEADER_ROW, SOURCES_SHEET
from assay.analysis.testing import LocalRunContext
from assay.v1 import consolidate_pb2 as cpb
from assay.v1 import job_pb2

FIRST_ITEM_ROW = HEADER_ROW + 2


def run(tmp_path: Path) -> tuple[cpb.ConsolidateResult, Path]:
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    ctx = LocalRunContext(job_id="c", tenant_id="t", work_dir=work, dependencies=cx.three_filings(),
                          params=job_pb2.JobParams(consolidate=cpb.ConsolidateParams()))
    result = ANALYZER.run(ctx).consolidate
    return result, next(a.path for a in ctx.artifacts if a.name == XLSX_NAME)


def expected(statement: cpb.ConsolidatedStatement, item: cpb.ConsolidatedLine, header: str) -> Decimal | str:
    """The consolidation's figure for the workbook column titled ``header`` on ``item``'s row."""
    periods = {p.header: i for i, p in enumerate(statement.periods)}
    if header in periods:
        return Decimal(next(v.value for v in item.values if v.period_index == periods[header]))
    if header.startswith("CAGR "):
        return Decimal(item.cagr) if item.cagr else ""
    percent = header.startswith("% change ")
    later, earlier = header.removeprefix("% change " if percent else "Change ").split(" vs ")
    change = next(c for c in item.changes if (c.from_period, c.to_period) == (periods[earlier], periods[later]))
    if percent:
        return Decimal(change.percent) if change.percent else ""
    return Decimal(change.absolute)


def check_every_formula(result: cpb.ConsolidateResult, book: Workbook,
                        computed_in: Callable[[str, str], Any]) -> int:
    """Compare each formula's value (``computed_in(sheet, ref)``) with the consolidation's figure; return how many."""
    checked = 0
    for statement, sheet in zip(result.statements, book.worksheets, strict=False):
        assert sheet.cell(1, 1).value == statement.title
        for ref, _ in formula_cells(sheet):
            row, col = coordinate_to_tuple(ref)
            item = statement.lines[row - FIRST_ITEM_ROW]
            want = expected(statement, item, sheet.cell(HEADER_ROW + 1, col).value)
            got = computed_in(sheet.title, ref)
            if want == "":
                assert got in ("", None), (sheet.title, ref, got)  # no percentage over zero, no CAGR of a cost
            else:
                assert abs(Decimal(str(got)) - Decimal(want)) <= abs(Decimal(want)) * Decimal("1e-12") + Decimal(
                    "1e-6"), (sheet.title, ref, got, want)  # ratios are rounded to 6 places in the result
            checked += 1
    return checked


def test_every_formula_recomputes_to_the_consolidated_figures(tmp_path: Path) -> None:
    result, path = run(tmp_path)
    book = openpyxl.load_workbook(path)
    assert [s.title for s in book.worksheets] == ["Income statement", "Balance sheet", SOURCES_SHEET]
    engines = {sheet.title: Engine(sheet) for sheet in book.worksheets}
    checked = check_every_formula(result, book, lambda sheet, ref: engines[sheet].value(ref))
    income = book["Income statement"]
    headers = [income.cell(HEADER_ROW + 1, c).value for c in range(1, income.max_column + 1)]
    assert headers[1:6] == ["Year 2019", "Year 2020", "Year 2021", "Year 2022", "Year 2023"]
    assert headers[-1] == "CAGR Year 2019 to Year 2023"
    sums = [text for _, text in formula_cells(income) if text.startswith("=SUM(")]
    assert "=SUM(F8:F9)" in sums  # total operating expenses 2023 = R&D + SG&A
    assert income["O4"].value == '=IF(AND(B4>0,F4>0),(F4/B4)^(1/4)-1,"")'
    assert round(engines["Income statement"].value("O4"), 9) == 0.1
    assert checked >= 100


def test_a_corrected_figure_flows_into_its_total_and_the_growth(tmp_path: Path) -> None:
    _, path = run(tmp_path)
    sheet = openpyxl.load_workbook(path)["Income statement"]
    assert sheet["A8"].value == "Research & development costs" and sheet["A10"].value == "Total operating expenses"
    sheet["F8"].value = 30_000_000
    engine = Engine(sheet)
    assert engine.value("F10") == 42_000_000
    assert engine.value("M8") == 30_000_000 - 23_000_000  # change 2023 vs 2022


def test_the_sources_sheet_names_each_values_job_file_page_and_restatement(tmp_path: Path) -> None:
    result, path = run(tmp_path)
    sources = openpyxl.load_workbook(path)[SOURCES_SHEET]
    rows = list(sources.iter_rows(values_only=True))
    assert rows[0] == ("Sheet", "Cell", "Statement", "Line item", "Period", "As printed", "Value", "Page", "Line",
                       "Formula", "Source job", "Source file", "Label in source", "Note")
    by_cell = {(r[0], r[1]): r for r in rows[1:]}
    oldest_sales = by_cell[("Income statement", "B4")]
    assert oldest_sales[10:13] == ("j2021", "file-j2021", "Net sales") and oldest_sales[7] == 40
    restated = by_cell[("Income statement", "E8")]
    assert restated[10] == "j2023" and restated[13].startswith("restated")
    values = sum(len(line.values) for s in result.statements for line in s.lines)
    assert len(rows) - 1 >= values


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed: Debian libreoffice-calc-nogui")
def test_libreoffice_opens_and_recalculates_the_workbook_to_the_same_figures(tmp_path: Path) -> None:
    result, path = run(tmp_path)
    converted = recalculated_by_libreoffice(path, tmp_path)
    formulas_book = openpyxl.load_workbook(path)
    values = openpyxl.load_workbook(converted, data_only=True)
    assert check_every_formula(result, formulas_book, lambda sheet, ref: values[sheet][ref].value) >= 100


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed: Debian libreoffice-calc-nogui")
def test_libreoffice_recalculates_a_corrected_figure_into_its_total(tmp_path: Path) -> None:
    _, path = run(tmp_path)
    book = openpyxl.load_workbook(path)
    book["Income statement"]["F8"].value = 30_000_000
    edited = tmp_path / "edited.xlsx"
    book.save(edited)
    sheet = openpyxl.load_workbook(recalculated_by_libreoffice(edited, tmp_path), data_only=True)["Income statement"]
    assert (sheet["F10"].value, sheet["M8"].value) == (42_000_000, 7_000_000)
