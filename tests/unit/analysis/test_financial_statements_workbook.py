"""financial_statements' XLSX artifact: every formula, recomputed by a formula engine, gives the analyzer's figure."""

from __future__ import annotations

import re
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from fixtures import financial as fx
from fixtures.workbook_formulas import Engine, close, formula_cells
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.workbook.workbook import Workbook
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from assay.analysis.analyzers.financial_statements import ANALYZER, workbook
from assay.analysis.analyzers.financial_statements.checks import CASH_FLOW_CHECK, SUBTOTAL_SUFFIX
from assay.analysis.analyzers.financial_statements.workbook import HEADER_ROW, SOURCES_SHEET, XLSX_NAME
from assay.analysis.plugin import InputDocument
from assay.analysis.testing import LocalRunContext
from assay.v1 import financial_statements_pb2 as fs
from assay.v1 import job_pb2

FIRST_ITEM_ROW = HEADER_ROW + 2
"""1-based worksheet row of a statement's first line item."""


def run(tmp_path: Path, path: Path, media_type: str) -> tuple[fs.FinancialStatementsResult, Workbook]:
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    ctx = LocalRunContext(job_id="j", tenant_id="t", params=job_pb2.JobParams(), work_dir=work, inputs=[
        InputDocument(file_id="f", path=path, media_type=media_type, display_name=path.name,
                      size_bytes=path.stat().st_size)])
    result = ANALYZER.run(ctx).financial_statements
    artifact = next(a for a in ctx.artifacts if a.name == XLSX_NAME)
    assert artifact.media_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return result, openpyxl.load_workbook(artifact.path)


def full(item: fs.FinancialLineItem, period: int) -> Decimal:
    """The analyzer's figure in full: the printed value (a dash is zero) times the row's scale."""
    value = next(v for v in item.values if v.period_index == period)
    return Decimal(value.value or 0) * item.scale


def check_every_formula(result: fs.FinancialStatementsResult, book: Workbook) -> int:
    """Recompute each statement sheet's formulas and compare them with the analyzer's figures; return how many."""
    checked = 0
    for statement in result.statements:
        sheet = next(s for s in book.worksheets if s.cell(1, 1).value == statement.title)
        headers = [sheet.cell(HEADER_ROW + 1, c).value for c in range(2, 2 + len(statement.periods))]
        period_of = {2 + position: [p.header for p in statement.periods].index(h)
                     for position, h in enumerate(headers)}
        engine = Engine(sheet)
        subtotals = {(c.name, c.period_index): c for c in statement.checks if c.name.endswith(SUBTOTAL_SUFFIX)}
        for ref, text in formula_cells(sheet):
            row, col = coordinate_to_tuple(ref)
            item = statement.line_items[row - FIRST_ITEM_ROW]
            computed = engine.value(ref)
            if col in period_of:  # a total: the check that added up its lines
                check = subtotals.get((item.label + SUBTOTAL_SUFFIX, period_of[col])) or next(
                    c for c in statement.checks if c.name == CASH_FLOW_CHECK and c.period_index == period_of[col])
                assert check.passed
                assert close(computed, Decimal(check.actual) * item.scale), (ref, text, computed, check)
            else:
                refs = re.findall(r"[A-Z]+\d+", text)  # =IF(old=0,"",(new-old)/ABS(old)) or =new-old
                old_ref, new_ref = (refs[0], refs[1]) if text.startswith("=IF(") else (refs[1], refs[0])
                old = full(item, period_of[coordinate_to_tuple(old_ref)[1]])
                new = full(item, period_of[coordinate_to_tuple(new_ref)[1]])
                if text.startswith("=IF("):
                    assert computed == "" if old == 0 else close(computed, (new - old) / abs(old)), (ref, computed)
                else:
                    assert close(computed, new - old), (ref, text, computed)
            checked += 1
    return checked


def test_every_formula_recomputes_to_the_analyzers_own_figures(tmp_path: Path) -> None:
    result, book = run(tmp_path, fx.annual_report_pdf(tmp_path / "report.pdf"), "application/pdf")
    assert [s.title for s in book.worksheets] == ["Balance sheet", "Income statement", "Cash flow", SOURCES_SHEET]
    balance = book["Balance sheet"]
    sums = [text for _, text in formula_cells(balance) if text.startswith("=SUM(")]
    assert sorted(sums) == sorted(["=SUM(B5:B6)", "=SUM(C5:C6)", "=SUM(B11:B12)", "=SUM(C11:C12)",
                                   "=SUM(B17:B18)", "=SUM(C17:C18)"])
    assert balance["D7"].value == "=C7-B7"
    cash = book["Cash flow"]
    assert cash["A8"].value == "Net increase in cash and cash equivalents"
    assert (cash["B8"].value, cash["C8"].value) == ("=SUM(B5:B7)", "=SUM(C5:C7)")  # operating + investing + financing
    # 3 subtotals and the cash-flow sum x 2 periods, then change and % change for each line with two figures
    assert check_every_formula(result, book) == 8 + 2 * (14 + 8 + 7)


def test_a_corrected_cell_flows_into_its_subtotal_and_the_changes(tmp_path: Path) -> None:
    _, book = run(tmp_path, fx.annual_report_pdf(tmp_path / "report.pdf"), "application/pdf")
    sheet = book["Balance sheet"]
    assert sheet["A5"].value == "Cash and cash equivalents" and sheet["A7"].value == "Total current assets"
    sheet["C5"].value = 1_300_000
    engine = Engine(sheet)
    assert engine.value("C7") == 2_100_000
    assert engine.value("D7") == 2_100_000 - 1_600_000
    assert engine.value("E7") == pytest.approx(500_000 / 1_600_000)


def test_layout_oldest_first_indented_bold_totals_scaled_formats_frozen_header_and_sources(tmp_path: Path) -> None:
    result, book = run(tmp_path, fx.annual_report_pdf(tmp_path / "report.pdf"), "application/pdf")
    balance = book["Balance sheet"]
    assert [balance.cell(HEADER_ROW + 1, c).value for c in range(1, 6)] == [
        "Line item", "2023", "2024", "Change 2024 vs 2023", "% change 2024 vs 2023"]
    assert balance.freeze_panes == "B4"
    assert balance["A5"].alignment.indent > balance["A4"].alignment.indent == 0
    assert balance["A7"].font.b and not balance["A5"].font.b
    assert balance["B5"].value == 900_000 and balance["B5"].number_format.startswith("#,##0,;")
    assert balance["E5"].number_format.startswith("0.0%")
    income = book["Income statement"]
    eps = next(r for r in range(FIRST_ITEM_ROW, income.max_row + 1) if income.cell(r, 1).value.startswith("Earnings"))
    assert income.cell(eps, 3).value == pytest.approx(1.40)
    assert income.cell(eps, 3).number_format.startswith("#,##0.00;")
    sources = book[SOURCES_SHEET]
    header = [c.value for c in sources[1]]
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in sources.iter_rows(min_row=2)]
    values = sum(len(i.values) for s in result.statements for i in s.line_items)
    assert len(rows) == values
    cash = next(r for r in rows if r["Sheet"] == "Balance sheet" and r["Cell"] == "C5")
    assert (cash["Line item"], cash["Period"], cash["As printed"], cash["Page"]) == (
        "Cash and cash equivalents", "2024", "$ 1,200", 6)
    total = next(r for r in rows if r["Sheet"] == "Balance sheet" and r["Cell"] == "C7")
    assert total["Formula"] == "=SUM(C5:C6)" and total["As printed"] == "2,000"


def test_a_total_whose_check_failed_stays_the_printed_figure_with_a_comment(tmp_path: Path) -> None:
    rows = [(label, ("2,100", "1,600") if label == "Total current assets" else cells, indent)
            for label, cells, indent in fx.BALANCE_ROWS]
    page = fx.statement_page(["CONSOLIDATED BALANCE SHEETS", "(In thousands)", "December 31,"], ["2024", "2023"],
                             rows)
    result, book = run(tmp_path, fx.write_pdf(tmp_path / "b.pdf", [page]), "application/pdf")
    sheet = book["Balance sheet"]
    assert sheet["C7"].value == 2_100_000 and sheet["C7"].comment is not None
    assert "2000" in sheet["C7"].comment.text
    assert sheet["B7"].value == "=SUM(B5:B6)"
    check_every_formula(result, book)


def test_a_label_that_looks_like_a_formula_is_text_in_the_workbook(tmp_path: Path) -> None:
    path = tmp_path / "balance.csv"
    path.write_text(fx.CSV_BALANCE_OLDEST_FIRST, encoding="utf-8")
    result, book = run(tmp_path, path, "text/csv")
    check_every_formula(result, book)
    work = next((tmp_path / "work").glob("*.xlsx"))
    with zipfile.ZipFile(work) as archive:
        xml = b"".join(archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/"))
    assert b"HYPERLINK" in xml and not re.search(rb"<f>[^<]*HYPERLINK", xml)
    label = book["Balance sheet"].cell(FIRST_ITEM_ROW + len(result.statements[0].line_items) - 1, 1)
    assert label.value.startswith("=HYPERLINK") and label.data_type == "s"


def test_the_export_is_one_span_with_its_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(workbook, "_tracer", provider.get_tracer("test"))
    run(tmp_path, fx.annual_report_pdf(tmp_path / "report.pdf"), "application/pdf")
    (span,) = [s for s in exporter.get_finished_spans() if s.name == "financial_statements.workbook"]
    assert span.attributes is not None
    assert span.attributes["assay.workbook.sheets"] == 4
    assert span.attributes["assay.workbook.subtotal_formulas"] == 8
    assert span.attributes["assay.workbook.values"] == 2 * (14 + 8 + 7)
    assert int(str(span.attributes["assay.workbook.bytes"])) > 0


def test_periods_of_different_durations_are_grouped_and_only_compared_within_a_group() -> None:
    def period(end: str, months: int) -> fs.FinancialPeriod:
        return fs.FinancialPeriod(header=f"{months}m {end}", end_date=end, duration_months=months)

    statement = fs.FinancialStatement(periods=[period("2024-09-30", 3), period("2023-09-30", 3),
                                               period("2024-09-30", 9), period("2023-09-30", 9)])
    assert workbook.period_groups(statement) == [[1, 0], [3, 2]]
    undated = fs.FinancialStatement(periods=[fs.FinancialPeriod(header="Current"),
                                             fs.FinancialPeriod(header="Prior")])
    assert workbook.period_groups(undated) == [[0, 1]]  # no dates: printed order kept


def test_a_dash_is_zero_and_an_unreadable_cell_is_its_text_with_no_change_formula(tmp_path: Path) -> None:
    path = tmp_path / "cash.html"
    path.write_text(fx.HTML_CASH_FLOW, encoding="utf-8")
    result, book = run(tmp_path, path, "text/html")
    sheet = book["Cash flow"]
    rows = {sheet.cell(r, 1).value: r for r in range(FIRST_ITEM_ROW, sheet.max_row + 1)}
    financing, closing = rows["Net cash used in financing activities"], rows["Cash at end of period"]
    assert sheet.cell(financing, 3).value == 0 and sheet.cell(financing, 4).value == f"=C{financing}-B{financing}"
    assert sheet.cell(closing, 3).value == "n/m" and sheet.cell(closing, 4).value is None
    assert sheet.cell(closing, 3).data_type == "s"
    change = rows["Net increase in cash and cash equivalents"]  # the cash-flow sum passed for 2023 only
    assert sheet.cell(change, 2).value == f"=SUM(B{financing - 2}:B{financing + 1})"  # FX below financing included
    assert sheet.cell(change, 3).value == 99_000_000 and "add up to 86" in sheet.cell(change, 3).comment.text
    check_every_formula(result, book)


def test_a_value_in_a_column_without_a_period_still_gets_a_column(tmp_path: Path) -> None:
    item = fs.FinancialLineItem(label="Revenue", normalized_label="revenue", scale=1, page=1, line=2, values=[
        fs.FinancialValue(period_index=0, value="5", raw="5"), fs.FinancialValue(period_index=1, value="7", raw="7")])
    result = fs.FinancialStatementsResult(statements=[fs.FinancialStatement(
        type=fs.STATEMENT_TYPE_INCOME, title="Income", periods=[fs.FinancialPeriod(header="2024")], line_items=[item])])
    workbook.write_workbook(result, tmp_path / "w.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "w.xlsx")["Income statement"]
    assert [c.value for c in sheet[FIRST_ITEM_ROW - 1]] == ["Line item", "2024", "column 2", "Change column 2 vs 2024",
                                                            "% change column 2 vs 2024"]
    assert [c.value for c in sheet[FIRST_ITEM_ROW]][:4] == ["Revenue", 5, 7, "=C4-B4"]
