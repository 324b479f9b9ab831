"""financial_statements: locating, classifying, reading and checking statements in self-written fixtures."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest
from fixtures import financial as fx
from fixtures.contracts.docgen import write_scanned_pdf
from fixtures.scans import needs_tesseract, write_image_only_pdf

from assay.analysis.analyzers.financial_statements import ANALYZER
from assay.analysis.analyzers.financial_statements.amounts import parse_amount
from assay.analysis.analyzers.financial_statements.artifacts import JSON_NAME
from assay.analysis.analyzers.financial_statements.workbook import XLSX_NAME
from assay.analysis.plugin import AnalysisInputError, InputDocument
from assay.analysis.testing import LocalRunContext
from assay.common.csv_cells import neutralise, restore
from assay.v1 import financial_statements_pb2 as fs
from assay.v1 import job_pb2


def run(tmp_path: Path, path: Path, media_type: str,
        types: tuple[int, ...] = ()) -> tuple[fs.FinancialStatementsResult, LocalRunContext]:
    params = job_pb2.JobParams(financial_statements=fs.FinancialStatementsParams(statement_types=list(types)))
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    ctx = LocalRunContext(job_id="j", tenant_id="t", params=params, work_dir=work, inputs=[InputDocument(
        file_id="f", path=path, media_type=media_type, display_name=path.name, size_bytes=path.stat().st_size)])
    return ANALYZER.run(ctx).financial_statements, ctx


def statement(result: fs.FinancialStatementsResult, kind: int) -> fs.FinancialStatement:
    return next(s for s in result.statements if s.type == kind)


def values(st: fs.FinancialStatement, label: str) -> list[str]:
    item = next(i for i in st.line_items if i.label == label)
    return [v.value for v in item.values]


@pytest.mark.parametrize(("raw", "expected"), [
    ("(1,234)", Decimal("-1234")), ("$ 1,234.50", Decimal("1234.50")), ("-12", Decimal("-12")),
    ("$(7)", Decimal("-7")), ("0.40", Decimal("0.40")), ("—", None), ("-", None),
])
def test_amounts_are_exact_decimals_with_parentheses_negative_and_dashes_empty(raw: str,
                                                                                expected: Decimal | None) -> None:
    amount = parse_amount(raw)
    assert amount.value == expected
    assert not amount.unreadable


def test_a_cell_that_is_not_a_number_is_unreadable_not_guessed() -> None:
    amount = parse_amount("n/m")
    assert amount.unreadable and amount.value is None


def test_pdf_statements_are_found_on_their_pages_and_selected_data_is_not_one(tmp_path: Path) -> None:
    pdf = fx.annual_report_pdf(tmp_path / "report.pdf")
    result, ctx = run(tmp_path, pdf, "application/pdf")
    assert result.format == "pdf" and result.pages == 8
    assert result.entity == "ACME WIDGETS, INC."
    kinds = [(s.type, s.first_page) for s in result.statements]
    assert kinds == [(fs.STATEMENT_TYPE_BALANCE_SHEET, 6), (fs.STATEMENT_TYPE_INCOME, 7),
                     (fs.STATEMENT_TYPE_CASH_FLOW, 8)]
    assert set(result.not_found) == {fs.STATEMENT_TYPE_COMPREHENSIVE_INCOME, fs.STATEMENT_TYPE_CHANGES_IN_EQUITY}
    balance = statement(result, fs.STATEMENT_TYPE_BALANCE_SHEET)
    assert balance.title == "CONSOLIDATED BALANCE SHEETS"
    assert balance.unit_scale == 1000 and balance.currency == "USD"
    assert [p.fiscal_year for p in balance.periods] == [2024, 2023]
    assert [p.end_date for p in balance.periods] == ["2024-12-31", "2023-12-31"]
    assert values(balance, "Cash and cash equivalents") == ["1200", "900"]
    assert values(balance, "Accrued liabilities") == ["400", ""]
    total = next(i for i in balance.line_items if i.label == "Total assets")
    assert total.is_total and total.page == 6
    heading = next(i for i in balance.line_items if i.label == "Current assets:")
    assert heading.is_heading and not heading.values
    assert next(i for i in balance.line_items if i.label == "Accounts receivable").depth > heading.depth
    identity = [c for c in balance.checks if c.name.startswith("total assets")]
    assert identity and all(c.passed for c in identity)
    assert any(c.name == "Total current assets = sum of its lines" and c.passed for c in balance.checks)
    income = statement(result, fs.STATEMENT_TYPE_INCOME)
    assert values(income, "Cost of sales") == ["-6000", "-5500"]
    eps = next(i for i in income.line_items if i.label.startswith("Earnings per share"))
    assert eps.scale == 1 and values(income, "Earnings per share - basic") == ["1.40", "0.90"]
    assert [p.duration_months for p in income.periods] == [12, 12]
    cash = statement(result, fs.STATEMENT_TYPE_CASH_FLOW)
    assert any(c.name.startswith("net change in cash") and c.passed for c in cash.checks)
    assert result.checks_failed == 0 and result.checks_passed >= 4
    assert ctx.progress[-1] == 100 and ctx.progress == sorted(ctx.progress)


def test_artifacts_are_one_csv_per_statement_and_the_whole_result_as_json(tmp_path: Path) -> None:
    result, ctx = run(tmp_path, fx.annual_report_pdf(tmp_path / "report.pdf"), "application/pdf")
    names = {a.name: a for a in ctx.artifacts}
    assert set(names) == {"balance_sheet.csv", "income_statement.csv", "cash_flow.csv", JSON_NAME, XLSX_NAME}
    rows = list(csv.reader(names["balance_sheet.csv"].path.open(encoding="utf-8")))
    assert rows[0][:2] == ["label", "normalized_label"] and rows[0][6:] == ["2024", "2023"]  # headers as printed
    assert rows[[r[0] for r in rows].index("Total assets")][:2] == ["Total assets", "total assets"]
    whole = json.loads(names[JSON_NAME].path.read_text(encoding="utf-8"))
    assert len(whole["statements"]) == 3 and whole["json_artifact_name"] == JSON_NAME
    assert statement(result, fs.STATEMENT_TYPE_BALANCE_SHEET).artifact_name == "balance_sheet.csv"


def test_a_page_with_no_text_layer_and_no_tesseract_is_a_clear_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ASSAY_OCR_TESSERACT_CMD", "no-such-tesseract")
    scanned = write_scanned_pdf(tmp_path / "scan.pdf", pages=2)
    with pytest.raises(AnalysisInputError) as caught:
        run(tmp_path, scanned, "application/pdf")
    assert caught.value.code == "OCR_UNAVAILABLE" and "page(s) 1, 2 of 2" in caught.value.message


@needs_tesseract
def test_an_image_only_report_is_read_by_ocr_with_every_value_and_check(tmp_path: Path) -> None:
    text_pdf = fx.annual_report_pdf(tmp_path / "report.pdf", filler_pages=0)
    result, _ = run(tmp_path, write_image_only_pdf(tmp_path / "scan.pdf", text_pdf), "application/pdf")
    assert [(s.type, s.first_page) for s in result.statements] == [
        (fs.STATEMENT_TYPE_BALANCE_SHEET, 3), (fs.STATEMENT_TYPE_INCOME, 4), (fs.STATEMENT_TYPE_CASH_FLOW, 5)]
    read = {i.label.replace("\u2019", "'"): [v.value for v in i.values]  # OCR reads some apostrophes curly
            for i in statement(result, fs.STATEMENT_TYPE_BALANCE_SHEET).line_items}
    assert read == {label: [c.replace("$ ", "").replace(",", "").replace("\x97", "") for c in cells]
                    for label, cells, _ in fx.BALANCE_ROWS}
    assert values(statement(result, fs.STATEMENT_TYPE_INCOME), "Cost of sales") == ["-6000", "-5500"]
    assert values(statement(result, fs.STATEMENT_TYPE_INCOME), "Earnings per share - basic") == ["1.40", "0.90"]
    assert result.checks_failed == 0 and result.checks_passed >= 16
    assert list(result.ocr.pages) == [1, 2, 3, 4, 5] and not result.ocr.unread_pages
    assert result.entity == "ACME WIDGETS, INC."


@needs_tesseract
def test_a_scan_with_nothing_to_read_is_no_statements_once_ocr_read_it(tmp_path: Path) -> None:
    with pytest.raises(AnalysisInputError) as caught:
        run(tmp_path, write_scanned_pdf(tmp_path / "scan.pdf", pages=2), "application/pdf")
    assert caught.value.code == "NO_STATEMENTS"


def test_a_pdf_without_statements_is_refused_as_such(tmp_path: Path) -> None:
    pdf = fx.write_pdf(tmp_path / "letter.pdf", [fx.text_page(["Dear shareholder,", "A fine year."])])
    with pytest.raises(AnalysisInputError) as caught:
        run(tmp_path, pdf, "application/pdf")
    assert caught.value.code == "NO_STATEMENTS"


def test_html_split_cells_and_spacer_columns_line_up_and_a_failed_check_lowers_confidence(tmp_path: Path) -> None:
    path = tmp_path / "filing.html"
    path.write_text(fx.HTML_CASH_FLOW, encoding="utf-8")
    result, _ = run(tmp_path, path, "text/plain")
    assert result.format == "html"
    assert [s.type for s in result.statements] == [fs.STATEMENT_TYPE_CASH_FLOW]
    cash = result.statements[0]
    assert cash.condensed and cash.unit_scale == 1_000_000
    assert [p.end_date for p in cash.periods] == ["2023-06-30", "2024-06-30"]  # oldest first, as printed
    assert [p.duration_months for p in cash.periods] == [6, 6]
    assert values(cash, "Net cash used in investing activities") == ["-40", "-45"]
    assert values(cash, "Net cash used in financing activities") == ["-30", ""]
    checks = [c for c in cash.checks if c.name.startswith("net change in cash")]
    assert [c.passed for c in checks] == [True, False]  # 130 - 45 + 0 (dash) + 1 = 86, not 99
    assert checks[1].expected == "99" and checks[1].actual == "86"
    assert cash.confidence < 0.9
    assert [(u.label, u.raw) for u in result.unreadable_cells] == [("Cash at end of period", "n/m")]
    assert result.checks_failed == 1


def test_markdown_pipe_table_with_its_unit_and_per_share_scale(tmp_path: Path) -> None:
    path = tmp_path / "filing.md"
    path.write_text(fx.MARKDOWN_INCOME, encoding="utf-8")
    result, _ = run(tmp_path, path, "text/plain")
    income = statement(result, fs.STATEMENT_TYPE_INCOME)
    assert income.title == "Consolidated Statement of Profit or Loss"
    assert income.currency == "EUR" and income.unit_scale == 1000
    assert [p.end_date for p in income.periods] == ["2024-12-31", "2023-12-31"]
    assert values(income, "Cost of sales") == ["-3000", "-2500"]
    assert next(i for i in income.line_items if i.label.startswith("Basic")).scale == 1
    assert next(i for i in income.line_items if i.label == "Gross profit").is_total


def test_csv_statement_oldest_first_checks_and_formula_cells_neutralised(tmp_path: Path) -> None:
    path = tmp_path / "balance_sheet.csv"
    path.write_text(fx.CSV_BALANCE_OLDEST_FIRST, encoding="utf-8")
    result, ctx = run(tmp_path, path, "text/csv")
    balance = statement(result, fs.STATEMENT_TYPE_BALANCE_SHEET)
    assert [p.fiscal_year for p in balance.periods] == [2022, 2023]
    assert values(balance, "Total assets") == ["1000", "1200"]
    assert all(c.passed for c in balance.checks) and len(balance.checks) == 2
    artifact = next(a for a in ctx.artifacts if a.name == "balance_sheet.csv")
    labels = [row[0] for row in csv.reader(artifact.path.open(encoding="utf-8"))]
    assert "'=HYPERLINK(\"http://evil.example\")" in labels


def test_formula_neutralising_keeps_plain_negative_numbers() -> None:
    assert neutralise("-1234.5") == "-1234.5"
    assert neutralise("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise("+1 (555)") == "'+1 (555)"


def test_statement_csv_cells_are_the_shared_neutraliser_s_so_every_label_reads_back_exactly(tmp_path: Path) -> None:
    # A label already quoted before a trigger gets one more quote (assay.common.csv_cells), so
    # restore() gives it back; a private neutraliser that leaves "'=x" alone loses the quote.
    quoted = "'=HYPERLINK(\"http://evil.example\")"
    path = tmp_path / "balance_sheet.csv"
    path.write_text(fx.CSV_BALANCE_OLDEST_FIRST + '"' + quoted.replace('"', '""') + '",3,4\n', encoding="utf-8")
    _, ctx = run(tmp_path, path, "text/csv")
    artifact = next(a for a in ctx.artifacts if a.name == "balance_sheet.csv")
    restored = {restore(row[0]) for row in csv.reader(artifact.path.open(encoding="utf-8"))}
    assert {quoted, '=HYPERLINK("http://evil.example")'} <= restored


def test_an_empty_csv_is_input_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("label,2024\n", encoding="utf-8")
    with pytest.raises(AnalysisInputError) as caught:
        run(tmp_path, path, "text/csv")
    assert caught.value.code == "INPUT_EMPTY"


def test_statement_types_param_limits_the_search(tmp_path: Path) -> None:
    result, _ = run(tmp_path, fx.annual_report_pdf(tmp_path / "r.pdf"), "application/pdf",
                    types=(fs.STATEMENT_TYPE_CASH_FLOW,))
    assert [s.type for s in result.statements] == [fs.STATEMENT_TYPE_CASH_FLOW]
    assert list(result.not_found) == []


def test_ratio_columns_are_dropped_and_a_combined_title_yields_both_statements(tmp_path: Path) -> None:
    path = tmp_path / "quarter.html"
    path.write_text(fx.HTML_EARNINGS_WITH_RATIOS_AND_CONTINUATION, encoding="utf-8")
    result, _ = run(tmp_path, path, "text/plain")
    income = statement(result, fs.STATEMENT_TYPE_INCOME)
    assert [p.end_date for p in income.periods] == ["2023-08-04", "2022-07-29"]
    assert [p.duration_months for p in income.periods] == [3, 3]
    assert values(income, "Cost of sales") == ["600", "560"]  # the "% Sales" columns are not periods
    comprehensive = statement(result, fs.STATEMENT_TYPE_COMPREHENSIVE_INCOME)
    assert comprehensive.first_page == income.first_page == 1
    assert values(comprehensive, "Other comprehensive income") == ["2", "-1"]


def test_an_untitled_table_on_the_next_page_continues_the_statement_but_notes_do_not(tmp_path: Path) -> None:
    path = tmp_path / "quarter.html"
    path.write_text(fx.HTML_EARNINGS_WITH_RATIOS_AND_CONTINUATION, encoding="utf-8")
    result, _ = run(tmp_path, path, "text/plain")
    cash = statement(result, fs.STATEMENT_TYPE_CASH_FLOW)
    assert (cash.first_page, cash.last_page) == (2, 3)
    assert values(cash, "Net cash used in financing activities") == ["-100", "-90"]
    assert "Segment A" not in [i.label for i in cash.line_items]
    assert [c.passed for c in cash.checks if c.name.startswith("net change in cash")] == [True, True]


def test_an_encrypted_pdf_is_refused_as_encrypted(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    plain = fx.annual_report_pdf(tmp_path / "plain.pdf")
    writer = PdfWriter()
    for page in PdfReader(plain).pages:
        writer.add_page(page)
    writer.encrypt("secret", algorithm="AES-256")
    locked = tmp_path / "locked.pdf"
    with locked.open("wb") as handle:
        writer.write(handle)
    with pytest.raises(AnalysisInputError) as caught:
        run(tmp_path, locked, "application/pdf")
    assert caught.value.code == "INPUT_ENCRYPTED"


def test_a_workbook_of_formulas_without_saved_values_is_refused_naming_the_sheet(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Trends"
    sheet["A1"] = "=1+1"
    sheet["B2"] = "=SUM(A1:A1)"
    path = tmp_path / "formulas.xlsx"
    book.save(path)
    with pytest.raises(AnalysisInputError) as caught:
        run(tmp_path, path, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert caught.value.code == "FORMULAS_UNCALCULATED" and "Trends" in caught.value.message


def test_an_xlsx_statement_per_sheet_with_date_headers(tmp_path: Path) -> None:
    import datetime as dt

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "balance_sheet"
    sheet.append([None, "Balance Sheet"])
    sheet.append([None, None, dt.datetime(2025, 12, 31), dt.datetime(2024, 12, 31)])
    for label, a, b in (("Total Assets", 500, 450), ("Total Liabilities", 300, 280), ("Total Equity", 200, 170),
                        ("Cash And Cash Equivalents", 50, 40)):
        sheet.append([None, label, a, b])
    path = tmp_path / "statements.xlsx"
    book.save(path)
    result, _ = run(tmp_path, path, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    balance = statement(result, fs.STATEMENT_TYPE_BALANCE_SHEET)
    assert result.format == "xlsx" and balance.first_page == 1
    assert [p.end_date for p in balance.periods] == ["2025-12-31", "2024-12-31"]
    assert values(balance, "Total Assets") == ["500", "450"]
    assert [c.passed for c in balance.checks] == [True, True]


def test_net_income_and_closing_cash_are_reconciled_across_statements(tmp_path: Path) -> None:
    result, _ = run(tmp_path, fx.annual_report_pdf(tmp_path / "report.pdf"), "application/pdf")
    cash = statement(result, fs.STATEMENT_TYPE_CASH_FLOW)
    across = [(c.name.split(" ")[0], c.period_index, c.passed) for c in cash.checks
              if "income statement" in c.name or "balance sheet" in c.name]
    assert across == [("net", 0, True), ("net", 1, True), ("closing", 0, True), ("closing", 1, True)]


def test_a_cash_flow_whose_starting_line_disagrees_with_net_income_fails_and_loses_confidence(tmp_path: Path) -> None:
    rows = [("Net income", ("701", "450"), 0), *fx.CASH_ROWS[1:]]
    pages = [fx.statement_page(["CONSOLIDATED STATEMENTS OF OPERATIONS", "(In thousands)", "Years Ended December 31,"],
                               ["2024", "2023"], fx.INCOME_ROWS),
             fx.statement_page(["CONSOLIDATED STATEMENTS OF CASH FLOWS", "(In thousands)", "Years Ended December 31,"],
                               ["2024", "2023"], rows)]
    result, _ = run(tmp_path, fx.write_pdf(tmp_path / "r.pdf", pages), "application/pdf")
    cash = statement(result, fs.STATEMENT_TYPE_CASH_FLOW)
    failed = [c for c in cash.checks if not c.passed]
    assert [(c.expected, c.actual, c.period_index) for c in failed] == [("700", "701", 0)]
    assert cash.confidence < statement(result, fs.STATEMENT_TYPE_INCOME).confidence


def test_markdown_rows_shifted_by_a_dollar_cell_line_up_in_one_column(tmp_path: Path) -> None:
    path = tmp_path / "filing.md"
    path.write_text(fx.MARKDOWN_FROM_HTML_WITHOUT_COLSPANS, encoding="utf-8")
    result, _ = run(tmp_path, path, "text/plain")
    balance = statement(result, fs.STATEMENT_TYPE_BALANCE_SHEET)
    assert len(balance.periods) == 2
    assert values(balance, "Cash and cash equivalents") == ["921.7", "1139.0"]
    assert values(balance, "Receivables, net") == ["91.0", "153.9"]
    assert [c.passed for c in balance.checks] == [True, True]


def test_a_statement_with_years_down_the_rows_and_spanish_labels_is_turned_and_classified(tmp_path: Path) -> None:
    path = tmp_path / "estado.csv"  # the name says nothing: the lines decide
    path.write_text("year;Ingresos de actividades ordinarias;Costo de ventas;Ganancia bruta;Utilidad neta\n"
                    "2020;1000;-600;400;120\n2021;1100;-650;450;130\n", encoding="utf-8")
    result, _ = run(tmp_path, path, "text/csv")
    income = statement(result, fs.STATEMENT_TYPE_INCOME)
    assert [p.fiscal_year for p in income.periods] == [2020, 2021]
    assert values(income, "Costo de ventas") == ["-600", "-650"]
    assert income.confidence < 0.8  # no title: classified by its lines only


def test_an_ifrs_statement_with_a_notes_column_dotted_dates_and_euro_millions(tmp_path: Path) -> None:
    columns = (330.0, 420.0, 520.0)
    rows: list[fx.Row] = [
        ("Property, plant and equipment", ("12", "1,500", "1,400"), 0),
        ("Inventories", ("", "300", "280"), 0),
        ("Trade receivables", ("14", "200", "220"), 0),
        ("Total assets", ("", "2,000", "1,900"), 0),
        ("Total equity", ("18", "1,200", "1,100"), 0),
        ("Borrowings", ("20", "500", "520"), 0),
        ("Trade payables", ("", "300", "280"), 0),
        ("Total liabilities", ("", "800", "800"), 0),
        ("Total equity and liabilities", ("", "2,000", "1,900"), 0),
    ]
    page = fx.statement_page(["Example SE", "Consolidated statement of financial position", "EUR m"],
                             ["Note", "31.12.2024", "31.12.2023"], rows, columns)
    result, _ = run(tmp_path, fx.write_pdf(tmp_path / "ifrs.pdf", [page]), "application/pdf")
    balance = statement(result, fs.STATEMENT_TYPE_BALANCE_SHEET)
    assert balance.unit_scale == 1_000_000
    assert [p.end_date for p in balance.periods] == ["2024-12-31", "2023-12-31"]
    assert values(balance, "Property, plant and equipment") == ["1500", "1400"]  # the note "12" is not a value
    assert all(c.passed for c in balance.checks) and balance.checks


def test_a_pdf_drawn_column_by_column_still_reads_row_by_row(tmp_path: Path) -> None:
    page = fx.columnwise_page(["CONSOLIDATED BALANCE SHEETS", "(In thousands)", "December 31,"], ["2024", "2023"],
                              fx.BALANCE_ROWS)
    result, _ = run(tmp_path, fx.write_pdf(tmp_path / "columns.pdf", [page]), "application/pdf")
    balance = statement(result, fs.STATEMENT_TYPE_BALANCE_SHEET)
    assert values(balance, "Accounts payable") == ["600", "550"]
    assert values(balance, "Accrued liabilities") == ["400", ""]
    assert values(balance, "Total liabilities and shareholders' equity") == ["5000", "4700"]
    assert result.checks_failed == 0 and result.checks_passed >= 2


@pytest.mark.parametrize(("name", "data", "media_type", "code"), [
    ("blank.html", b"<html>   ", "text/plain", "NO_STATEMENTS"),
    ("spaces.html", b"   \n  ", "text/plain", "INPUT_UNPARSEABLE"),
    ("broken.pdf", b"%PDF-1.4 not really", "application/pdf", "INPUT_UNPARSEABLE"),
    ("broken.xlsx", b"PK\x03\x04 not a workbook", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
     "INPUT_UNPARSEABLE"),
    ("prose.md", b"# Letter\n\nNo tables here.\n", "text/plain", "NO_STATEMENTS"),
])
def test_malformed_inputs_are_job_errors_with_a_code_not_crashes(tmp_path: Path, name: str, data: bytes,
                                                                 media_type: str, code: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(AnalysisInputError) as caught:
        run(tmp_path, path, media_type)
    assert caught.value.code == code


def test_a_rendering_gap_inside_a_grouped_figure_is_read_but_two_figures_are_not_joined() -> None:
    assert parse_amount("3,51 1").value == Decimal("3511") and parse_amount("3,51 1").raw == "3,51 1"
    assert parse_amount("12 34").unreadable


def test_a_header_row_inside_a_table_is_not_reported_as_unreadable_figures(tmp_path: Path) -> None:
    path = tmp_path / "ci.html"
    path.write_text("""<html><body><p>Statement of Consolidated Comprehensive Income</p><p>(in millions)</p><table>
<tr><td></td><td>2018</td><td>2017</td></tr>
<tr><td>Net income</td><td>75</td><td>75</td></tr>
<tr><td>Other comprehensive loss</td><td>(437)</td><td>(3)</td></tr>
<tr><td>Comprehensive (loss) income</td><td>(362)</td><td>72</td></tr>
<tr><td>Six months ended June 30,</td><td>Six months ended June 30,</td><td></td></tr>
<tr><td>Net income</td><td>225</td><td>300</td></tr>
<tr><td>Comprehensive income</td><td>440</td><td>272</td></tr>
</table></body></html>""", encoding="utf-8")
    result, _ = run(tmp_path, path, "text/plain")
    assert list(result.unreadable_cells) == []
    comprehensive = statement(result, fs.STATEMENT_TYPE_COMPREHENSIVE_INCOME)
    row = next(i for i in comprehensive.line_items if i.label.startswith("Six months"))
    assert row.is_heading and not row.values


def test_the_parent_company_statements_are_kept_beside_the_consolidated_ones_and_checked_within_their_scope(
    tmp_path: Path,
) -> None:
    def scaled(rows: list[fx.Row], factor: int) -> list[fx.Row]:  # the parent's figures: the group's / factor
        def cell(text: str) -> str:
            digits = text.replace("$ ", "").replace(",", "").strip("()")
            if not digits.isdigit():
                return text
            value = f"{int(digits) // factor:,}"
            return ("$ " if text.startswith("$") else "") + (f"({value})" if text.startswith("(") else value)
        return [(label, tuple(cell(c) for c in cells), indent) for label, cells, indent in rows]

    years = ["2024", "2023"]
    pages = [fx.statement_page(["CONSOLIDATED BALANCE SHEETS", "(In thousands)", "December 31,"], years,
                               fx.BALANCE_ROWS),
             fx.statement_page(["CONSOLIDATED STATEMENTS OF CASH FLOWS", "(In thousands)", "Years Ended December 31,"],
                               years, fx.CASH_ROWS),
             fx.statement_page(["PARENT COMPANY BALANCE SHEETS", "(In thousands)", "December 31,"], years,
                               scaled(fx.BALANCE_ROWS, 100)),
             fx.statement_page(["PARENT COMPANY STATEMENTS OF CASH FLOWS", "(In thousands)",
                                "Years Ended December 31,"], years, scaled(fx.CASH_ROWS, 100))]
    result, ctx = run(tmp_path, fx.write_pdf(tmp_path / "r.pdf", pages), "application/pdf")
    assert [(s.type, s.scope, s.first_page) for s in result.statements] == [
        (fs.STATEMENT_TYPE_BALANCE_SHEET, "consolidated", 1), (fs.STATEMENT_TYPE_CASH_FLOW, "consolidated", 2),
        (fs.STATEMENT_TYPE_BALANCE_SHEET, "parent", 3), (fs.STATEMENT_TYPE_CASH_FLOW, "parent", 4)]
    assert values(result.statements[2], "Total assets") == ["50", "47"]
    for cash in (result.statements[1], result.statements[3]):  # closing cash against its own scope's balance sheet
        closing = [c for c in cash.checks if "balance sheet" in c.name]
        assert [c.passed for c in closing] == [True, True]
    assert {a.name for a in ctx.artifacts} >= {"balance_sheet.csv", "balance_sheet_2.csv", "cash_flow_2.csv"}


def test_a_statement_printed_without_indentation_takes_its_depths_from_headings_and_totals(tmp_path: Path) -> None:
    path = tmp_path / "balance_sheet.csv"
    path.write_text("Balance sheet (in thousands),2024,2023\nASSETS,,\nCurrent assets:,,\nCash,100,90\n"
                    "Receivables,50,40\nTotal current assets,150,130\nProperty,200,210\nTotal assets,350,340\n"
                    "LIABILITIES AND EQUITY,,\nLoans,100,110\nEquity,250,230\n"
                    "Total liabilities and equity,350,340\n", encoding="utf-8")
    result, _ = run(tmp_path, path, "text/csv")
    depths = [(i.label, i.depth) for i in statement(result, fs.STATEMENT_TYPE_BALANCE_SHEET).line_items]
    assert depths == [("Balance sheet (in thousands)", 0), ("ASSETS", 0), ("Current assets:", 1), ("Cash", 2),
                      ("Receivables", 2), ("Total current assets", 1), ("Property", 1), ("Total assets", 0),
                      ("LIABILITIES AND EQUITY", 0), ("Loans", 1), ("Equity", 1), ("Total liabilities and equity", 0)]
