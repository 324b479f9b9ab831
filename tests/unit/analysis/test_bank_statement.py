"""bank_statement: synthetic PDF and CSV statements with known figures, read back exactly."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
from decimal import Decimal
from pathlib import Path

import pytest
from fixtures import bankstatements as fx
from fixtures.scans import image_only_pdf, needs_tesseract

from assay.analysis.analyzers.bank_statement import ANALYZER
from assay.analysis.analyzers.bank_statement.numbers import DateReader, parse_amount
from assay.analysis.plugin import AnalysisInputError, InputDocument
from assay.analysis.testing import LocalRunContext
from assay.cli.params import parse_params
from assay.common.csv_cells import neutralise, restore
from assay.v1 import bank_statement_pb2 as pb
from assay.v1 import job_pb2


def context(tmp_path: Path, data: bytes, *, name: str = "statement.pdf", media_type: str = "application/pdf",
            password: str = "", hint: str = "", rules: tuple[str, ...] = ()) -> LocalRunContext:
    path = tmp_path / "input"
    path.write_bytes(data)
    params = job_pb2.JobParams(bank_statement=pb.BankStatementParams(password=password, bank_hint=hint,
                                                                      category_rules=list(rules)))
    return LocalRunContext(job_id="j", tenant_id="t", params=params, work_dir=tmp_path, inputs=[InputDocument(
        file_id="f", path=path, media_type=media_type, display_name=name, size_bytes=len(data))])


def run(tmp_path: Path, data: bytes, **kwargs: object) -> tuple[pb.BankStatementResult, LocalRunContext]:
    ctx = context(tmp_path, data, **kwargs)  # type: ignore[arg-type]
    return ANALYZER.run(ctx).bank_statement, ctx


def expected_rows(statement: fx.SyntheticStatement) -> list[tuple[str, str, str, str]]:
    return [(r.date.isoformat(), " ".join(r.description.split()), str(r.amount), str(r.balance))
            for r in statement.rows]


def read_rows(result: pb.BankStatementResult) -> list[tuple[str, str, str, str]]:
    return [(t.date, t.description, t.amount, t.balance) for t in result.transactions]


@pytest.mark.parametrize("layout", fx.LAYOUTS)
def test_every_transaction_of_a_multi_page_pdf_is_read_exactly_and_reconciles(tmp_path: Path, layout: str) -> None:
    statement = fx.make_statement(seed=7, transactions=70)
    result, ctx = run(tmp_path, fx.render_pdf(statement, layout, rows_per_page=25))
    assert result.pages == 3
    assert read_rows(result) == expected_rows(statement)
    assert (result.opening_balance, result.closing_balance) == (str(statement.opening), str(statement.closing))
    assert result.reconciliation.reconciled and result.reconciliation.total_ok
    assert result.reconciliation.running_checked == 70 == result.reconciliation.running_ok
    assert (result.period_start, result.period_end) == ("2024-03-01", "2024-03-31")
    assert result.currency == "GBP" and result.account_number_masked == "**********1234"
    assert result.account_holder == "Jane Q Example"
    if layout == "signed_amount":
        assert [t.value_date for t in result.transactions] == [r.value_date.isoformat()  # type: ignore[union-attr]
                                                               for r in statement.rows]
    assert [t.debit != "" for t in result.transactions] == [r.amount < 0 for r in statement.rows]
    assert ctx.progress[-1] == 100


def test_a_description_continued_after_a_page_break_is_joined_to_its_row(tmp_path: Path) -> None:
    base = fx.make_statement(seed=3, transactions=6)
    first = fx.Row(date=base.rows[0].date, description="TRANSFER TO SAVINGS\nREF 8827361 LONDON GB",
                   amount=Decimal("-10.00"), balance=base.opening - 10)
    rest = []
    balance = first.balance
    for row in base.rows[1:]:
        balance += row.amount
        rest.append(fx.Row(date=row.date, description=row.description, amount=row.amount, balance=balance))
    statement = fx.SyntheticStatement(holder=base.holder, account=base.account, currency="GBP", start=base.start,
                                      end=base.end, opening=base.opening, rows=(first, *rest))
    result, _ = run(tmp_path, fx.render_pdf_with_break_inside_row(statement))
    assert result.transactions[0].description == "TRANSFER TO SAVINGS REF 8827361 LONDON GB"
    assert read_rows(result) == expected_rows(statement)
    assert result.reconciliation.reconciled


def test_a_wrong_running_balance_is_reported_with_its_row_and_figures(tmp_path: Path) -> None:
    statement = fx.with_wrong_balance(fx.make_statement(seed=11, transactions=12), 4, Decimal("1.00"))
    result, _ = run(tmp_path, fx.render_pdf(statement))
    recon = result.reconciliation
    assert not recon.reconciled
    mismatch = recon.mismatches[0]
    assert mismatch.kind == pb.BANK_CHECK_KIND_RUNNING_BALANCE and mismatch.row == 5
    assert Decimal(mismatch.actual) - Decimal(mismatch.expected) == Decimal("1.00")
    assert "row 5" in mismatch.message
    # the row after it follows from the misprinted balance, so it is off the other way; the total still adds up
    assert recon.mismatches[1].row == 6 and recon.mismatches_total == 2 and recon.total_ok


def test_a_closing_balance_that_does_not_add_up_fails_the_total_check(tmp_path: Path) -> None:
    data = (b"Date,Description,Amount\n2024-03-01,Opening balance,100.00\n2024-03-02,Coffee,-2.50\n"
            b"2024-03-03,Salary ACME,1000.00\n2024-03-31,Closing balance,1097.00\n")
    result, _ = run(tmp_path, data, name="s.csv", media_type="text/csv")
    recon = result.reconciliation
    assert recon.total_checked and not recon.total_ok and not recon.reconciled
    assert (recon.mismatches[0].expected, recon.mismatches[0].actual) == ("1097.50", "1097.00")
    assert recon.sum_of_transactions == "997.50"


def test_a_password_protected_pdf_opens_with_its_password(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    statement = fx.make_statement(seed=5, transactions=10)
    data = fx.encrypt(fx.render_pdf(statement), "s3cret-PW")
    with caplog.at_level(logging.DEBUG):
        result, ctx = run(tmp_path, data, password="s3cret-PW")
    assert read_rows(result) == expected_rows(statement)
    assert "s3cret-PW" not in caplog.text
    assert "J*** Q E******" in caplog.text and "Jane" not in caplog.text  # the holder is masked in logs
    assert "12345678901234" not in caplog.text
    assert "s3cret-PW" not in str(result)
    for artifact in ctx.artifacts:
        assert b"s3cret-PW" not in artifact.path.read_bytes()


@pytest.mark.parametrize(("password", "code"), [("", "PDF_PASSWORD_REQUIRED"), ("wrong", "PDF_PASSWORD_INCORRECT")])
def test_an_encrypted_pdf_without_the_right_password_is_a_clear_input_error(
    tmp_path: Path, password: str, code: str,
) -> None:
    data = fx.encrypt(fx.render_pdf(fx.make_statement(seed=5, transactions=3)), "s3cret-PW")
    with pytest.raises(AnalysisInputError) as raised:
        run(tmp_path, data, password=password)
    assert raised.value.code == code
    assert "s3cret-PW" not in raised.value.message and (not password or password not in raised.value.message)


def test_an_xlsx_export_is_read_from_its_transactions_sheet_exactly(tmp_path: Path) -> None:
    statement = fx.make_statement(seed=11, transactions=30)
    result, _ = run(tmp_path, fx.render_xlsx(statement), name="export.xlsx",
                      media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert result.format == "xlsx"
    as_stored = [(d, text, Decimal(amount), Decimal(balance)) for d, text, amount, balance in read_rows(result)]
    # a spreadsheet keeps numbers, not their printed form: 372.70 is stored (and read) as 372.7
    assert as_stored == [(d, text, Decimal(a), Decimal(b)) for d, text, a, b in expected_rows(statement)]
    assert [t.value_date for t in result.transactions] == [r.value_date.isoformat() for r in statement.rows
                                                           if r.value_date is not None]
    assert result.reconciliation.running_checked == 29 == result.reconciliation.running_ok
    assert result.account_number_masked == "**********1234"


def test_an_xlsx_without_a_transactions_header_is_columns_not_found(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["name", "colour"])
    sheet.append(["foo", "red"])
    book.save(tmp_path / "other.xlsx")
    with pytest.raises(AnalysisInputError) as raised:
        run(tmp_path, (tmp_path / "other.xlsx").read_bytes(), name="other.xlsx",
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert raised.value.code == "COLUMNS_NOT_FOUND" and "no sheet of other.xlsx" in raised.value.message


@needs_tesseract
@pytest.mark.parametrize("layout", fx.LAYOUTS)
def test_a_scanned_statement_is_read_by_ocr_exactly_and_reconciles(tmp_path: Path, layout: str) -> None:
    statement = fx.make_statement(seed=7, transactions=35)
    result, _ = run(tmp_path, image_only_pdf(fx.render_pdf(statement, layout)))
    assert read_rows(result) == expected_rows(statement)
    assert (result.opening_balance, result.closing_balance) == (str(statement.opening), str(statement.closing))
    assert result.reconciliation.reconciled and result.reconciliation.running_ok == 35
    assert result.account_number_masked == "**********1234" and result.period_end == "2024-03-31"
    assert list(result.ocr.pages) == [1, 2] and result.ocr.engine.startswith("tesseract")


@needs_tesseract
def test_a_scanned_password_protected_statement_is_decrypted_then_read_by_ocr(tmp_path: Path) -> None:
    statement = fx.make_statement(seed=3, transactions=8)
    result, _ = run(tmp_path, fx.encrypt(image_only_pdf(fx.render_pdf(statement)), "s3cret-PW"), password="s3cret-PW")
    assert read_rows(result) == expected_rows(statement) and list(result.ocr.pages) == [1]


def test_a_scanned_statement_without_tesseract_is_ocr_unavailable_naming_the_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ASSAY_OCR_TESSERACT_CMD", "no-such-tesseract")
    with pytest.raises(AnalysisInputError) as raised:
        run(tmp_path, image_only_pdf(fx.render_pdf(fx.make_statement(seed=3, transactions=40), rows_per_page=25)))
    assert raised.value.code == "OCR_UNAVAILABLE" and "page(s) 1, 2 of 2" in raised.value.message


@pytest.mark.parametrize(("data", "name", "media_type", "code"), [
    (fx.blank_pdf("Dear customer, your statement is enclosed."), "letter.pdf", "application/pdf", "NO_TRANSACTIONS"),
    (fx.blank_pdf(), "scan.pdf", "application/pdf", "PDF_NO_TEXT_LAYER"),
    (b"Date,Description,Amount,Balance\n", "empty.csv", "text/csv", "INPUT_EMPTY"),
    (b"", "empty.csv", "text/csv", "INPUT_EMPTY"),
    (b"name,colour\nfoo,red\n", "other.csv", "text/csv", "COLUMNS_NOT_FOUND"),
    (b"Date,Description,Amount\n1111/11/11,XXXX,-11\n", "masked.csv", "text/csv", "NO_TRANSACTIONS"),
    (b"%PDF-1.7 truncated", "broken.pdf", "application/pdf", "INPUT_UNPARSEABLE"),
])
def test_bad_input_is_a_precise_non_retryable_error(
    tmp_path: Path, data: bytes, name: str, media_type: str, code: str,
) -> None:
    with pytest.raises(AnalysisInputError) as raised:
        run(tmp_path, data, name=name, media_type=media_type)
    assert raised.value.code == code


@pytest.mark.parametrize("layout", ["amount", "debit_credit", "semicolon"])
def test_csv_exports_of_common_layouts_are_read_exactly(tmp_path: Path, layout: str) -> None:
    statement = fx.make_statement(seed=21, transactions=30, currency="EUR")
    result, _ = run(tmp_path, fx.render_csv(statement, layout), name="export.csv", media_type="text/csv")
    assert result.format == "csv"
    assert read_rows(result) == expected_rows(statement)
    assert result.reconciliation.running_checked == 29 == result.reconciliation.running_ok
    assert result.reconciliation.reconciled
    if layout == "semicolon":
        assert result.currency == "EUR"
        assert [t.value_date for t in result.transactions] == [r.value_date.isoformat()  # type: ignore[union-attr]
                                                               for r in statement.rows]


def test_a_debit_credit_indicator_column_signs_the_amounts_and_balance_rows_are_not_transactions(
    tmp_path: Path,
) -> None:
    data = ('"Account No","Date","Details","Amount","Currency","D/K",\n'
            '"LT12000000000000009876","2014-10-01","Opening balance","100.00","LTL","K",\n'
            '"LT12000000000000009876","2014-10-01","PIRKINYS 2014.09.30 15.31 LTL MAXIMA","15.31","LTL","D",\n'
            '"LT12000000000000009876","2014-10-06","Darbo užmokestis","200.00","LTL","K",\n'
            '"LT12000000000000009876","2014-10-06","Turnover","15.31","LTL","D",\n'
            '"LT12000000000000009876","2014-10-06","Closing balance","284.69","LTL","K",\n').encode()
    result, _ = run(tmp_path, data, name="swed.csv", media_type="text/csv")
    assert [t.amount for t in result.transactions] == ["-15.31", "200.00"]
    assert (result.opening_balance, result.closing_balance) == ("100.00", "284.69")
    assert result.reconciliation.total_ok and result.account_number_masked.endswith("9876")
    assert result.account_number_masked.count("*") == 18 and result.currency == "LTL"
    assert [t.category for t in result.transactions] == ["card_payment", "salary"]


def test_month_first_dates_follow_the_bank_hint_when_the_dates_do_not_decide(tmp_path: Path) -> None:
    data = b"Date,Description,Amount\n03/04/2024,Coffee,-2.50\n04/05/2024,Tea,-1.50\n"
    day_first, _ = run(tmp_path, data, name="a.csv", media_type="text/csv")
    month_first, _ = run(tmp_path, data, name="a.csv", media_type="text/csv", hint="Chase")
    assert [t.date for t in day_first.transactions] == ["2024-04-03", "2024-05-04"]
    assert [t.date for t in month_first.transactions] == ["2024-03-04", "2024-04-05"]


def test_categories_follow_the_builtin_rules_and_a_jobs_own_rules_come_first(tmp_path: Path) -> None:
    data = (b"Date,Description,Amount\n2024-03-01,SALARY ACME LTD,2500.00\n2024-03-02,RENT MARCH LANDLORD,-900.00\n"
            b"2024-03-03,CARD PAYMENT TESCO,-12.00\n2024-03-04,MONTHLY ACCOUNT FEE,-5.00\n"
            b"2024-03-05,TRANSFER TO SAVINGS,-100.00\n2024-03-06,GYM CLUB,-30.00\n")
    result, _ = run(tmp_path, data, name="c.csv", media_type="text/csv")
    assert [t.category for t in result.transactions] == ["salary", "rent", "card_payment", "fee", "transfer", "other"]
    result, _ = run(tmp_path, data, name="c.csv", media_type="text/csv",
                    rules=("fitness=\\bgym\\b", "groceries=tesco"))
    assert [t.category for t in result.transactions][2:] == ["groceries", "fee", "transfer", "fitness"]
    counts = {c.category: (c.transactions, c.total) for c in result.categories}
    assert counts["fitness"] == (1, "-30.00")


@pytest.mark.parametrize("rule", ["no-equals", "Bad Name=x", "x=(unclosed"])
def test_a_malformed_category_rule_is_params_invalid(tmp_path: Path, rule: str) -> None:
    with pytest.raises(AnalysisInputError) as raised:
        run(tmp_path, b"Date,Description,Amount\n2024-03-01,x,1.00\n", name="c.csv", media_type="text/csv",
            rules=(rule,))
    assert raised.value.code == "PARAMS_INVALID"


def test_fingerprints_match_across_overlapping_statements_and_tell_same_day_twins_apart(tmp_path: Path) -> None:
    march = (b"Date,Description,Amount\n2024-03-30,Coffee  shop,-2.50\n2024-03-30,Coffee shop,-2.50\n"
             b"2024-03-31,Rent,-900.00\n")
    overlap = b"Date,Description,Amount\n2024-03-31,RENT,-900.00\n2024-04-01,Salary,2000.00\n"
    first, _ = run(tmp_path, march, name="a.csv", media_type="text/csv")
    second, _ = run(tmp_path, overlap, name="b.csv", media_type="text/csv")
    prints = [t.fingerprint for t in first.transactions]
    assert len(set(prints)) == 3
    assert second.transactions[0].fingerprint == first.transactions[2].fingerprint
    assert second.transactions[1].fingerprint not in prints


def test_the_transactions_csv_neutralises_formulas_and_the_json_holds_every_transaction(tmp_path: Path) -> None:
    data = b'Date,Description,Amount\n2024-03-01,"=HYPERLINK(""http://x"")",-2.50\n2024-03-02,@SUM(A1),1.00\n'
    result, ctx = run(tmp_path, data, name="c.csv", media_type="text/csv")
    by_name = {a.name: a.path for a in ctx.artifacts}
    rows = list(csv.DictReader(io.StringIO(by_name["transactions.csv"].read_text(encoding="utf-8"))))
    assert [r["description"] for r in rows] == ["'=HYPERLINK(\"http://x\")", "'@SUM(A1)"]
    assert [r["amount"] for r in rows] == ["-2.50", "1.00"]
    document = json.loads(by_name["statement.json"].read_text(encoding="utf-8"))
    assert len(document["transactions"]) == 2 == result.transactions_total


@pytest.mark.parametrize(("value", "safe"), [("=1+2", "'=1+2"), ("-12.50", "-12.50"), ("+A1", "'+A1"),
                                             ("@x", "'@x"), ("-", "'-"), ("plain", "plain")])
def test_safe_cell(value: str, safe: str) -> None:
    assert neutralise(value) == safe


def test_transactions_csv_cells_are_the_shared_neutraliser_s_so_every_description_reads_back_exactly(
        tmp_path: Path) -> None:
    # One neutraliser for every CSV Assay writes (assay.common.csv_cells): a description already quoted
    # before a trigger gets one more quote, so restore() gives the original back.
    data = b"Date,Description,Amount\n2024-03-01,'=cmd|' /C calc'!A0,-2.50\n"
    _, ctx = run(tmp_path, data, name="c.csv", media_type="text/csv")
    by_name = {a.name: a.path for a in ctx.artifacts}
    rows = list(csv.DictReader(io.StringIO(by_name["transactions.csv"].read_text(encoding="utf-8"))))
    assert [restore(r["description"]) for r in rows] == ["'=cmd|' /C calc'!A0"]


@pytest.mark.parametrize(("text", "value"), [("1,234.56", "1234.56"), ("(412.16)", "-412.16"), ("12.00 CR", "12.00"),
                                             ("12.00 DR", "-12.00"), ("1.234,56", "1234.56"), ("-111,11", "-111.11"),
                                             ("£1,000.00", "1000.00"), ("12.00-", "-12.00"), ("100", "100"),
                                             ("1'234.50", "1234.50"), ("12.50 EUR", "12.50"),
                                             ("-1 234,56 €", "-1234.56"), ("USD 7.00", "7.00"), ("$-12.00", "-12.00"),
                                             ("-$12.00", "-12.00")])
def test_amounts_are_read_exactly(text: str, value: str) -> None:
    assert parse_amount(text) == Decimal(value)


UK_STYLE = [
    "FIRST EXAMPLE BANK                      Statement",
    "Sort code 12-34-56   Account 87654321",
    "Statement period 1 March to 31 March 2024",
    "",
    "Date     Payment type and details               Paid out      Paid in      Balance",
    "01 Mar   BALANCE BROUGHT FORWARD                                           1,000.00",
    "02 Mar   CARD PAYMENT TO TESCO                     25.10",
    "         CARD PAYMENT TO SHELL                     40.00                     934.90",
    "05 Mar   SALARY ACME LTD                                       2,500.00   3,434.90",
    "06 Mar   DD BRITISH GAS                            80.00",
    "         MONTHLY FEE                                5.00                  3,349.90",
    "31 Mar   BALANCE CARRIED FORWARD                                         3,349.90",
]

US_STYLE = [
    "SECOND NATIONAL BANK",
    "Account Name: John Public               Account Number: 000123456789",
    "Statement Period: 02/01/2024 - 02/29/2024",
    "Beginning Balance  $1,200.00         Ending Balance   $1,029.46",
    "",
    "Date      Description                                   Amount          Balance",
    "Feb 3     ONLINE TRANSFER TO SAVINGS                    -150.00         1,050.00",
    "Feb 14    VENMO PAYMENT 1029384 FROM ALEX               +75.25          1,125.25",
    "Feb 15    CHECK 1043                                    -95.79          1,029.46",
    "Feb 20    POS PURCHASE WALMART #1234                    -12.00          1,017.46",
    "          SPRINGFIELD IL",
    "Feb 21    REFUND WALMART #1234                          +12.00          1,029.46",
    "                                                        Page 1 of 1",
]


def test_dates_without_a_year_printed_once_per_day_take_the_period_s_year(tmp_path: Path) -> None:
    result, _ = run(tmp_path, fx.text_pdf([UK_STYLE]))
    assert [(t.date, t.description, t.amount, t.balance) for t in result.transactions] == [
        ("2024-03-02", "CARD PAYMENT TO TESCO", "-25.10", ""),
        ("2024-03-02", "CARD PAYMENT TO SHELL", "-40.00", "934.90"),
        ("2024-03-05", "SALARY ACME LTD", "2500.00", "3434.90"),
        ("2024-03-06", "DD BRITISH GAS", "-80.00", ""),
        ("2024-03-06", "MONTHLY FEE", "-5.00", "3349.90"),
    ]
    assert (result.period_start, result.period_end) == ("2024-03-01", "2024-03-31")
    assert (result.opening_balance, result.closing_balance) == ("1000.00", "3349.90")
    assert result.reconciliation.reconciled and result.account_number_masked == "****4321"


def test_a_summary_box_gives_the_balances_and_month_day_rows_a_signed_amount(tmp_path: Path) -> None:
    result, _ = run(tmp_path, fx.text_pdf([US_STYLE]))
    assert [(t.date, t.amount) for t in result.transactions] == [
        ("2024-02-03", "-150.00"), ("2024-02-14", "75.25"), ("2024-02-15", "-95.79"), ("2024-02-20", "-12.00"),
        ("2024-02-21", "12.00")]
    assert result.transactions[3].description == "POS PURCHASE WALMART #1234 SPRINGFIELD IL"
    assert (result.opening_balance, result.closing_balance) == ("1200.00", "1029.46")
    assert result.account_holder == "John Public" and result.account_number_masked == "********6789"
    assert result.reconciliation.reconciled and result.reconciliation.running_ok == 5
    assert [t.category for t in result.transactions] == ["transfer", "other", "other", "card_payment", "refund"]


EU_STYLE = [
    "THIRD BANK   Current account statement",
    "IBAN: GB29 NWBK 6016 1331 9268 19        Currency: EUR",
    "Period: 01.04.2024 - 30.04.2024",
    "",
    "Booking    Value      Description                          Amount         Balance",
    "                      Opening balance                                    250.00 CR",
    "03.04.2024 03.04.2024 Grocery store Berlin                 45.20          204.80 CR",
    "05.04.2024 06.04.2024 Salary April Example GmbH         2,100.00 CR     2,304.80 CR",
    "10.04.2024 10.04.2024 Rent April                        2,400.00           95.20 DR",
    "15.04.2024 15.04.2024 Card fee                              2.00           97.20 DR",
    "                      Closing balance                                     97.20 DR",
]


def test_unsigned_amounts_take_the_direction_their_running_balances_prove(tmp_path: Path) -> None:
    result, _ = run(tmp_path, fx.text_pdf([EU_STYLE]))
    assert [(t.date, t.value_date, t.amount, t.balance) for t in result.transactions] == [
        ("2024-04-03", "2024-04-03", "-45.20", "204.80"), ("2024-04-05", "2024-04-06", "2100.00", "2304.80"),
        ("2024-04-10", "2024-04-10", "-2400.00", "-95.20"), ("2024-04-15", "2024-04-15", "-2.00", "-97.20")]
    assert (result.opening_balance, result.closing_balance, result.currency) == ("250.00", "-97.20", "EUR")
    assert result.account_number_masked.endswith("6819") and result.reconciliation.reconciled
    assert [t.category for t in result.transactions][2:] == ["rent", "fee"]


def test_an_unsigned_csv_amount_column_is_signed_by_its_balances_only_where_they_decide(tmp_path: Path) -> None:
    data = (b"Date,Description,Amount,Balance\n2024-03-01,Opening balance,,100.00\n2024-03-02,Coffee,2.50,97.50\n"
            b"2024-03-03,Salary,1000.00,1097.50\n2024-03-04,Unknown,5.00,\n")
    result, _ = run(tmp_path, data, name="s.csv", media_type="text/csv")
    assert [t.amount for t in result.transactions] == ["-2.50", "1000.00", "5.00"]


def test_a_csv_with_timestamps_compact_dates_and_a_debit_credit_flag_column(tmp_path: Path) -> None:
    stamped = (b"Details,Posting Date,Description,Amount\nDEBIT,2024-03-02T10:15:00Z,COFFEE,4.50\n"
               b"CREDIT,2024-03-03 09:00,REFUND SHOP,10.00\n")
    result, _ = run(tmp_path, stamped, name="a.csv", media_type="text/csv")
    assert [(t.date, t.description, t.amount) for t in result.transactions] == [
        ("2024-03-02", "COFFEE", "-4.50"), ("2024-03-03", "REFUND SHOP", "10.00")]
    compact = b"Buchungstag;Verwendungszweck;Betrag\n20240305;Miete;-750,00\n20240306;Gehalt;2.500,00\n"
    result, _ = run(tmp_path, compact, name="b.csv", media_type="text/csv")
    assert [(t.date, t.description, t.amount) for t in result.transactions] == [
        ("2024-03-05", "Miete", "-750.00"), ("2024-03-06", "Gehalt", "2500.00")]
    assert [t.category for t in result.transactions] == ["rent", "salary"]


def test_a_summary_box_with_a_date_and_amount_columns_above_the_table_is_no_table(tmp_path: Path) -> None:
    lines = [
        "Statement date       Credit limit       Available credit       Balance",
        "01/03/2024              5,000.00              4,000.00       1,000.00",
        "",
        *US_STYLE[4:],
    ]
    result, _ = run(tmp_path, fx.text_pdf([lines]))
    assert [t.date for t in result.transactions] == ["2024-02-03", "2024-02-14", "2024-02-15", "2024-02-20",
                                                     "2024-02-21"]


@pytest.mark.parametrize(("text", "iso"), [("2024/03/01", "2024-03-01"), ("2024.03.01", "2024-03-01"),
                                           ("01.03.2024", "2024-03-01"), ("1 Mar 2024", "2024-03-01"),
                                           ("Mar 1, 2024", "2024-03-01"), ("01-Mar-24", "2024-03-01"),
                                           ("20240301", "2024-03-01"), ("2024-03-01T23:59:59+01:00", "2024-03-01")])
def test_dates_are_read_in_their_many_spellings(text: str, iso: str) -> None:
    assert DateReader([]).parse(text) == dt.date.fromisoformat(iso)


def test_an_amount_one_space_after_a_long_description_counts_when_it_stands_under_its_column(tmp_path: Path) -> None:
    def row(date: str, text: str, debit: str, credit: str, balance: str) -> str:
        return f"{date:<12}{text:<36}{debit:>6}{credit:>10}{balance:>11}"

    lines = [
        row("Date", "Description", "Debit", "Credit", "Balance"),
        row("", "Opening balance", "", "", "100.00"),
        "02/03/2024  CARD PAYMENT VERY LONG MERCHANT NAME 12.50" + f"{'87.50':>21}",
        row("03/03/2024", "INVOICE 12.50 PAID", "", "20.00", "107.50"),
        row("04/03/2024", "TOP UP REF 7.25", "", "10.00", "117.50"),
    ]
    result, _ = run(tmp_path, fx.text_pdf([lines]))
    assert [(t.description, t.amount) for t in result.transactions] == [
        ("CARD PAYMENT VERY LONG MERCHANT NAME", "-12.50"), ("INVOICE 12.50 PAID", "20.00"),
        ("TOP UP REF 7.25", "10.00")]
    assert result.reconciliation.reconciled


def test_a_dated_row_whose_amount_cannot_be_read_is_counted_not_kept_as_zero(tmp_path: Path) -> None:
    lines = [
        "Date        Description                          Debit     Credit    Balance",
        "02/03/2024  COFFEE SHOP                            n/a                 87.50",
        "03/03/2024  SALARY                                          20.00     107.50",
    ]
    result, _ = run(tmp_path, fx.text_pdf([lines]))
    assert [(t.description, t.amount) for t in result.transactions] == [("SALARY", "20.00")]
    assert result.rows_without_amount == 1


def test_the_cli_takes_the_password_hint_and_repeated_category_rules_as_params() -> None:
    params = parse_params("bank_statement", ["password=s3=cret", "bank_hint=Chase", "category_rules=rent=\\bACME",
                                             "category_rules=gym=PURE"])
    assert params.bank_statement == pb.BankStatementParams(password="s3=cret", bank_hint="Chase",
                                                           category_rules=["rent=\\bACME", "gym=PURE"])


def test_an_ing_style_export_with_an_af_bij_column_and_the_currency_in_a_header(tmp_path: Path) -> None:
    data = (b'"Datum";"Naam / Omschrijving";"Rekening";"Af Bij";"Bedrag (EUR)";"Mededelingen";"Saldo na mutatie"\n'
            b'"20240301";"Albert Heijn";"NL00BANK0123456789";"Af";"12,50";"Pasbetaling";"987,50"\n'
            b'"20240302";"Werkgever BV";"NL00BANK0123456789";"Bij";"2.000,00";"Salaris";"2.987,50"\n')
    result, _ = run(tmp_path, data, name="ing.csv", media_type="text/csv")
    assert [(t.date, t.amount, t.balance) for t in result.transactions] == [
        ("2024-03-01", "-12.50", "987.50"), ("2024-03-02", "2000.00", "2987.50")]
    assert result.currency == "EUR" and result.reconciliation.running_ok == 1


def test_amount_columns_named_on_the_line_above_the_header_count(tmp_path: Path) -> None:
    lines = [
        "                                             Withdrawals    Deposits",
        "Date        Description                        ($)            ($)      Balance",
        "            Beginning balance                                           500.00",
        "03/13/2024  GROCERY OUTLET                     45.10                    454.90",
        "03/14/2024  PAYROLL DEPOSIT                               1,200.00    1,654.90",
    ]
    result, _ = run(tmp_path, fx.text_pdf([lines]))
    assert [(t.date, t.amount) for t in result.transactions] == [("2024-03-13", "-45.10"), ("2024-03-14", "1200.00")]
    assert result.reconciliation.reconciled


def test_a_newest_first_export_reconciles_from_its_bottom_row(tmp_path: Path) -> None:
    statement = fx.make_statement(seed=31, transactions=15)
    lines = fx.render_csv(statement, "amount").decode().splitlines()
    newest_first = "\n".join([lines[0], *reversed(lines[1:])]).encode()
    result, _ = run(tmp_path, newest_first, name="n.csv", media_type="text/csv")
    assert [t.amount for t in result.transactions] == [str(r.amount) for r in reversed(statement.rows)]
    assert result.reconciliation.running_checked == 14 == result.reconciliation.running_ok


GERMAN_STYLE = [
    "MUSTERBANK AG   Kontoauszug",
    "Kontoinhaber: Erika Mustermann",
    "IBAN: DE89 3704 0044 0532 0130 00        Währung: EUR",
    "Zeitraum: 01.03.2024 bis 31.03.2024",
    "",
    "Buchungstag Wertstellung Verwendungszweck                         Soll          Haben          Saldo",
    "                         Alter Kontostand                                                   1.000,00",
    "04.03.2024  04.03.2024   Miete März Hausverwaltung             750,00                         250,00",
    "15.03.2024  15.03.2024   Gehalt März Beispiel GmbH                         2.500,00          2.750,00",
    "                         Lohnabrechnung 03/2024",
    "20.03.2024  21.03.2024   Kartenzahlung Supermarkt               42,15                       2.707,85",
    "                         Neuer Kontostand                                                   2.707,85",
]

FRENCH_STYLE = [
    "BANQUE EXEMPLE   Relevé de compte",
    "Titulaire: Jean Dupont",
    "Numéro de compte: 12345678901         Devise: EUR",
    "Période du 01/03/2024 au 31/03/2024",
    "",
    "Date        Libellé                                      Débit          Crédit          Solde",
    "            Ancien solde                                                                500,00",
    "05/03/2024  Prélèvement loyer                           400,00                          100,00",
    "12/03/2024  Virement salaire                                          1 800,00        1 900,00",
    "            Nouveau solde                                                             1 900,00",
]


@pytest.mark.parametrize(("lines", "expected", "balances", "holder", "last4"), [
    (GERMAN_STYLE, [("2024-03-04", "2024-03-04", "-750.00", "250.00"),
                    ("2024-03-15", "2024-03-15", "2500.00", "2750.00"),
                    ("2024-03-20", "2024-03-21", "-42.15", "2707.85")],
     ("1000.00", "2707.85"), "Erika Mustermann", "3000"),
    (FRENCH_STYLE, [("2024-03-05", "", "-400.00", "100.00"), ("2024-03-12", "", "1800.00", "1900.00")],
     ("500.00", "1900.00"), "Jean Dupont", "8901"),
])
def test_german_and_french_statements_are_read_by_their_own_headers_and_balance_labels(
    tmp_path: Path, lines: list[str], expected: list[tuple[str, str, str, str]], balances: tuple[str, str],
    holder: str, last4: str,
) -> None:
    result, _ = run(tmp_path, fx.text_pdf([lines]))
    assert [(t.date, t.value_date, t.amount, t.balance) for t in result.transactions] == expected
    assert (result.opening_balance, result.closing_balance, result.currency) == (*balances, "EUR")
    assert result.account_holder == holder and result.account_number_masked.endswith(last4)
    assert (result.period_start, result.period_end) == ("2024-03-01", "2024-03-31")
    assert result.reconciliation.reconciled and result.reconciliation.running_ok == len(expected)
