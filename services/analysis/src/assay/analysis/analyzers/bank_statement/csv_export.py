"""A bank's CSV export: header row found among the first lines, columns by their names, rows read.

Columns are recognised by name (English labels banks use: date / booking date, value date,
description / details / payee / memo, amount, debit / paid out, credit / paid in, balance, a D/C
indicator, currency, account); the delimiter is sniffed and the encoding detected. Rows naming an
opening or closing balance set the balances; totals / turnover rows are skipped.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import charset_normalizer

from assay.analysis.analyzers.bank_statement.facts import CLOSING, CURRENCIES, OPENING, TOTALS, read_facts
from assay.analysis.analyzers.bank_statement.model import Statement, Transaction
from assay.analysis.analyzers.bank_statement.numbers import AMOUNT, DateReader, has_sign, parse_amount
from assay.analysis.plugin import AnalysisInputError

HEADER_SCAN_ROWS = 30
_ROLES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("value_date", re.compile(r"value\s*date|valuta|wertstellung|execution date|fecha valor|date de valeur", re.I)),
    ("date", re.compile(r"date|posted|datum|fecha|buchungstag|^data\b", re.I)),
    ("balance", re.compile(r"balance|\bbal\b|saldo|solde|kontostand", re.I)),
    ("debit", re.compile(r"debit|withdrawal|paid out|money out|outflow|^out$", re.I)),
    ("credit", re.compile(r"credit|deposit|paid in|money in|inflow|^in$", re.I)),
    ("indicator", re.compile(r"^(?:d/[ck]|dr/cr|cr/dr|c/d|dc|af ?/? ?bij|soll ?/? ?haben|s/h|type)$", re.I)),
    ("amount", re.compile(r"amount|^sum$|^value$|betrag|importe|montant|bedrag|importo|kwota|suma", re.I)),
    ("currency", re.compile(r"^(?:currency|ccy)$", re.I)),
    ("account", re.compile(r"^(?:account(?: no\.?| number)?|iban)$", re.I)),
    ("description", re.compile(r"description|details|narrative|memo|payee|particulars|^transaction$|beneficiary|"
                               r"merchant|counterparty|message|reference|^name$|verwendungszweck|buchungstext|"
                               r"beschreibung|concepto|libell|omschrijving|descrizione|opis", re.I)),
)
_DEBIT_FLAGS = frozenset({"d", "dr", "debit", "db", "af", "s", "soll"})
_CREDIT_FLAGS = frozenset({"c", "k", "cr", "credit", "kr", "bij", "h", "haben"})
_HEADER_CURRENCY = re.compile(r"\((?P<c>[A-Z]{3})\)|\b(?P<d>[A-Z]{3})$")


@dataclass
class _Layout:
    header_row: int
    roles: dict[str, list[int]] = field(default_factory=dict)

    def first(self, role: str) -> int | None:
        columns = self.roles.get(role)
        return columns[0] if columns else None


def read_text(path: Path) -> str:
    """The file's text: UTF-8 (with or without BOM), else the detected encoding."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        best = charset_normalizer.from_bytes(raw).best()
        if best is None:
            raise AnalysisInputError("INPUT_UNPARSEABLE", "the CSV's text encoding could not be detected") from None
        return str(best)


def read_csv(path: Path, display_name: str, month_first_hint: bool | None) -> Statement:
    """The statement of a CSV export; raises when it has no rows or no recognisable columns."""
    rows = _rows(read_text(path))
    if not [row for row in rows if any(cell.strip() for cell in row)]:
        raise AnalysisInputError("INPUT_EMPTY", f"{display_name} has no rows")
    return read_rows(rows, display_name, month_first_hint, "csv")


def read_xlsx(path: Path, display_name: str, month_first_hint: bool | None) -> Statement:
    """The statement of an XLSX export: the first sheet with a header row naming a date and an amount.

    Cells are read as saved (openpyxl, read-only, cached values of formulas); dates become ISO dates.
    """
    from assay.analysis.analyzers.financial_statements.sheets import xlsx_sheets

    sheets = xlsx_sheets(path)
    for _, rows, _ in sheets:
        if _find_layout(rows) is not None:
            return read_rows(rows, display_name, month_first_hint, "xlsx")
    uncalculated = [name for name, rows, uncached in sheets if uncached and not rows]
    if uncalculated:
        raise AnalysisInputError("FORMULAS_UNCALCULATED",
                                 f"sheet(s) {', '.join(uncalculated)} hold formulas with no saved values; "
                                 "open and save the workbook in a spreadsheet application first")
    if not any(rows for _, rows, _ in sheets):
        raise AnalysisInputError("INPUT_EMPTY", f"{display_name} has no filled cells")
    raise AnalysisInputError("COLUMNS_NOT_FOUND",
                             f"no sheet of {display_name} has a header row naming a date and an amount (or "
                             f"debit/credit) column in its first {HEADER_SCAN_ROWS} rows")


def read_rows(rows: list[list[str]], display_name: str, month_first_hint: bool | None, kind: str) -> Statement:
    """The statement of an export's rows (``kind``: its format, csv or xlsx)."""
    layout = _find_layout(rows)
    if layout is None:
        raise AnalysisInputError("COLUMNS_NOT_FOUND",
                                 f"{display_name} has no header row naming a date and an amount (or debit/credit) "
                                 f"column in its first {HEADER_SCAN_ROWS} rows")
    data = [(index + 1, row) for index, row in enumerate(rows) if index > layout.header_row and any(
        cell.strip() for cell in row)]
    if not data:
        raise AnalysisInputError("INPUT_EMPTY", f"{display_name} has a header row but no transactions")
    _flag_columns(layout, [row for _, row in data])
    statement = Statement(format=kind)
    date_column = layout.first("date")
    assert date_column is not None
    dates = DateReader((_cell(row, date_column) for _, row in data), month_first_hint)
    read_facts([" ".join(row) for row in rows[:layout.header_row]], dates, statement)
    statement.currency = statement.currency or _header_currency(rows[layout.header_row])
    for number, row in data:
        _read_row(statement, layout, dates, number, row)
    if statement.transactions:
        statement.period_start = statement.period_start or min(t.date for t in statement.transactions)
        statement.period_end = statement.period_end or max(t.date for t in statement.transactions)
    return statement


def _rows(text: str) -> list[list[str]]:
    sample = "\n".join(text.splitlines()[:50])
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    return list(csv.reader(io.StringIO(text, newline=""), dialect))


def _find_layout(rows: list[list[str]]) -> _Layout | None:
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        layout = _Layout(header_row=index)
        for column, name in enumerate(row):
            label = " ".join(name.split())
            for role, pattern in _ROLES:
                if label and pattern.search(label):
                    layout.roles.setdefault(role, []).append(column)
                    break
        if "date" in layout.roles and ({"amount", "debit", "credit"} & set(layout.roles)):
            return layout
    return None


def _header_currency(header: list[str]) -> str:
    """A currency named in a column header: "Amount (EUR)", "Bedrag (EUR)", "Balance GBP"."""
    for name in header:
        m = _HEADER_CURRENCY.search(name.strip())
        code = (m["c"] or m["d"]) if m else ""
        if code in CURRENCIES:
            return code
    return ""


def _flag_columns(layout: _Layout, rows: list[list[str]]) -> None:
    """A description-named column holding only DEBIT/CREDIT (D/C, DR/CR) flags is the indicator."""
    if "indicator" in layout.roles:
        return
    for column in list(layout.roles.get("description", [])):
        values = {_cell(row, column).lower() for row in rows} - {""}
        if values and values <= _DEBIT_FLAGS | _CREDIT_FLAGS:
            layout.roles["description"].remove(column)
            layout.roles["indicator"] = [column]
            return


def _cell(row: list[str], column: int | None) -> str:
    return row[column].strip() if column is not None and column < len(row) else ""


def _read_row(statement: Statement, layout: _Layout, dates: DateReader, number: int, row: list[str]) -> None:
    descriptions: list[str] = []
    for column in layout.roles.get("description", []):
        value = " ".join(_cell(row, column).split())
        if value and value not in descriptions:
            descriptions.append(value)
    description = " ".join(descriptions)
    amount = _signed_amount(layout, row)
    if not statement.account_number:
        statement.account_number = _cell(row, layout.first("account"))
    if not statement.currency:
        currency = _cell(row, layout.first("currency")).upper()
        statement.currency = currency if re.fullmatch(r"[A-Z]{3}", currency) else ""
    balance = parse_amount(_cell(row, layout.first("balance"))) if layout.first("balance") is not None else None
    if OPENING.search(description):
        if statement.opening_balance is None:
            statement.opening_balance = balance if balance is not None else amount
        return
    if CLOSING.search(description):
        statement.closing_balance = balance if balance is not None else amount
        return
    if TOTALS.search(description):
        return
    date = dates.parse(_cell(row, layout.first("date")))
    if date is None or amount is None:
        return
    value_date = dates.parse(_cell(row, layout.first("value_date")))
    statement.transactions.append(Transaction(date=date, value_date=value_date, description=description,
                                              amount=amount, balance=balance, line=number,
                                              sign_printed=_sign_printed(layout, row)))


def _sign_printed(layout: _Layout, row: list[str]) -> bool:
    """False when the amount came unsigned from a single amount column with no D/C indicator."""
    if parse_amount(_cell(row, layout.first("debit"))) or parse_amount(_cell(row, layout.first("credit"))):
        return True
    if _cell(row, layout.first("indicator")).lower() in _DEBIT_FLAGS | _CREDIT_FLAGS:
        return True
    match = AMOUNT.fullmatch(_cell(row, layout.first("amount")))
    return match is None or has_sign(match)


def _signed_amount(layout: _Layout, row: list[str]) -> Decimal | None:
    debit = parse_amount(_cell(row, layout.first("debit")))
    credit = parse_amount(_cell(row, layout.first("credit")))
    if debit is not None and debit != 0:
        return -abs(debit)
    if credit is not None and credit != 0:
        return abs(credit)
    amount = parse_amount(_cell(row, layout.first("amount")))
    if amount is None:
        return debit if debit is not None else credit
    flag = _cell(row, layout.first("indicator")).lower()
    if flag in _DEBIT_FLAGS:
        return -abs(amount)
    if flag in _CREDIT_FLAGS:
        return abs(amount)
    return amount
