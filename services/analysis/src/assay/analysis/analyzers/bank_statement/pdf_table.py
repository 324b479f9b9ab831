"""The transaction table of a PDF statement's layout text: rows, continuation lines, columns.

A row starts with a date at the start of a line (optionally a value date next); its amounts are
the run of decimal amounts that ends the line, each assigned to the header column (debit, credit,
amount, balance) it stands under. Lines without a date that start at the description column
continue the previous row's description (also across a page break, after the repeated header).
A line naming a balance (opening, brought/carried forward, closing) sets the balances and is no
transaction; a totals line ends the rows above it. Page furniture (page numbers, repeated headers)
is skipped.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from assay.analysis.analyzers.bank_statement.facts import CLOSING, OPENING, TOTALS, balance_mentions
from assay.analysis.analyzers.bank_statement.model import Statement, Transaction
from assay.analysis.analyzers.bank_statement.numbers import AMOUNT, DateReader, amount_of, has_sign

_HEADER_DATE = re.compile(r"\b(?:date|posted|posting|datum|buchungs(?:tag|datum)|fecha|data)\b", re.I)
_COLUMNS: dict[str, re.Pattern[str]] = {
    "debit": re.compile(r"\b(?:debits?|withdrawals?|paid out|money out|payments? out|dr|soll|lastschrift|belastung|"
                        r"d[ée]bit|debe|cargos?|addebit[oi]|uitgaven?)\b", re.I),
    "credit": re.compile(r"\b(?:credits?|deposits?|paid in|money in|receipts?|cr|haben|gutschrift|cr[ée]dit|haber|"
                         r"abonos?|accredit[oi]|ontvangsten)\b", re.I),
    "amount": re.compile(r"\b(?:amount|betrag|montant|importe|bedrag|importo|kwota)\b", re.I),
    "balance": re.compile(r"\b(?:balance|saldo|solde|kontostand)\b", re.I),
}
_DESCRIPTIONS = tuple(re.compile(rf"\b{word}\b", re.I) for word in (
    "description", "details", "particulars", "narrative", "memo", "payee", "verwendungszweck", "buchungstext",
    "beschreibung", "libell[ée]", "op[ée]ration", "concepto", "descripci[óo]n", "omschrijving", "descrizione",
    "causale", "transaction"))
"""Names of the description column, most telling first ("transaction" also heads "Transaction date")."""
_FURNITURE = re.compile(r"\bpage \d+ of \d+\b|^\s*(?:page \d+|\d+ of \d+|continued.*|.*\(continued\))\s*$", re.I)
_DECIMALS = re.compile(r"[.,]\d{2}$")


@dataclass
class _Columns:
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)
    description_start: int | None = None

    def add_from(self, line: str) -> None:
        """Amount columns named on the header's upper line ("Withdrawals  Deposits" over "($)  ($)")."""
        if _HEADER_DATE.search(line) or _has_amount(line):
            return
        for role, pattern in _COLUMNS.items():
            m = pattern.search(line)
            if m and role not in self.spans:
                self.spans[role] = (m.start(), m.end())

    def role_of(self, start: int, end: int) -> str | None:
        """The column ``start``-``end`` stands under: the widest overlap with a header word, else the nearest."""
        best: tuple[int, int, str] | None = None
        for role, (s, e) in self.spans.items():
            overlap = min(end, e) - max(start, s)
            distance = 0 if overlap > 0 else min(abs(end - e), abs(start - s))
            score = (-max(overlap, 0), distance, role)
            if best is None or score < best:
                best = score
        return best[2] if best else None


def _span(amount: re.Match[str]) -> tuple[int, int]:
    """An amount's columns without the spaces its match may start with."""
    text = amount.group(0)
    return amount.start() + len(text) - len(text.lstrip()), amount.end()


def header_columns(line: str, *, strict: bool = True) -> _Columns | None:
    """The columns a table header line names, or None when ``line`` is no table header.

    Strict: a description column besides the date and an amount column. Otherwise two amount
    columns may stand in for it — only for statements with no strict header at all, since a summary
    box ("Statement date  Credit limit  Balance") reads the same.
    """
    if not _HEADER_DATE.search(line):
        return None
    spans = {role: (m.start(), m.end()) for role, pattern in _COLUMNS.items() if (m := pattern.search(line))}
    if not spans or _has_amount(line):
        return None
    description = next((m for pattern in _DESCRIPTIONS if (m := pattern.search(line))), None)
    if description is None and (strict or len(spans) < 2):
        return None
    return _Columns(spans=spans, description_start=_cell_start(line, description.start()) if description else None)


def _cell_start(line: str, position: int) -> int:
    """Where the header cell holding ``position`` starts: after the last gap of two spaces before it."""
    gap = line.rfind("  ", 0, position)
    return gap + 2 if gap >= 0 else len(line) - len(line.lstrip())


def _has_amount(line: str) -> bool:
    return any(_DECIMALS.search(m["num"]) for m in AMOUNT.finditer(line))


def trailing_amounts(line: str, aligned: Callable[[re.Match[str]], bool] = lambda m: False,
                     ) -> tuple[int, list[re.Match[str]]]:
    """Where the run of decimal amounts that ends ``line`` starts, and those amounts (left to right).

    An amount with less than two spaces before it belongs to the text before it ("INV 12.50"),
    unless ``aligned`` says it stands under an amount column's header.
    """
    matches = [m for m in AMOUNT.finditer(line) if _DECIMALS.search(m["num"])]
    run: list[re.Match[str]] = []
    end = len(line.rstrip())
    for m in reversed(matches):
        if line[m.end():end].strip():
            break
        run.insert(0, m)
        end = m.start()
    if (run and run[0].start() > 0 and not line[max(0, run[0].start() - 2):run[0].start()].isspace()
            and not aligned(run[0])):
        # an amount glued to the text before it is part of the description (e.g. "PIRKINYS 12.00 LTL")
        run = run[1:] if len(run) > 1 and line[run[0].end():run[1].start()].startswith("  ") else []
    return (run[0].start() if run else len(line)), run


class TableReader:
    """Reads transaction rows line by line over every page of one statement."""

    def __init__(self, dates: DateReader, statement: Statement, *, header_first: bool, strict: bool) -> None:
        self._dates = dates
        self._header_first = header_first
        self._strict = strict
        self._statement = statement
        self._columns: _Columns | None = None
        self._last: Transaction | None = None
        self._pending_amount = False
        self._continuing = False
        self._line_above = ""

    def new_page(self) -> None:
        """A page starts: continuation lines wait for this page's header or first row."""
        self._continuing = False

    def feed(self, line: str, page: int, number: int) -> None:
        """Read one layout line."""
        if not line.strip() or _FURNITURE.search(line):
            return
        above, self._line_above = self._line_above, line
        columns = header_columns(line, strict=self._strict)
        if columns is not None:
            columns.add_from(above)
            self._columns = columns
            self._continuing = self._last is not None
            return
        if self._balance_line(line):
            return
        if TOTALS.search(line):
            self._continuing = False
            return
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        found = self._dates.find(stripped, at_start=True)
        if found is not None and (self._columns is not None or not self._header_first):
            self._row(line, indent, found, page, number)
            return
        self._continuation(line, indent, page, number)

    def finish(self) -> None:
        """The last row still waiting for its amount is dropped (and counted)."""
        self._drop_pending()

    def _drop_pending(self) -> None:
        """A dated row whose amount never came (before the next row or the end) is no transaction."""
        if self._pending_amount and self._last is not None:
            self._statement.transactions.remove(self._last)
            self._statement.rows_without_amount += 1
            self._last = self._statement.transactions[-1] if self._statement.transactions else None
        self._pending_amount = False

    def _balance_line(self, line: str) -> bool:
        if not (OPENING.search(line) or CLOSING.search(line)):
            return False
        opening, closing = balance_mentions(line)
        _, amounts = trailing_amounts(line)
        if self._columns and amounts and (opening is None) != (closing is None):
            # a table row "… Balance brought forward … 1,234.56": the amount in the balance column
            by_role = self._by_role(amounts)
            value = amount_of(by_role.get("balance", amounts[-1]))
            opening, closing = (value, None) if opening is not None else (None, value)
        if opening is not None and self._statement.opening_balance is None:
            self._statement.opening_balance = opening
        if closing is not None:
            self._statement.closing_balance = closing
        if opening is not None or closing is not None:
            self._continuing = False
            return True
        return False

    def _row(self, line: str, indent: int, found: tuple[dt.date, re.Match[str]], page: int, number: int) -> None:
        date, m = found
        rest_start = indent + m.end()
        value_date = None
        after = line[rest_start:]
        second = self._dates.find(after.lstrip(), at_start=True)
        if second is not None:
            gap = len(after) - len(after.lstrip())
            value_date = second[0]
            rest_start += gap + second[1].end()
        amounts_start, amounts = trailing_amounts(line, self._aligned)
        description = " ".join(line[rest_start:max(rest_start, amounts_start)].split())
        self._drop_pending()
        transaction = Transaction(date=date, value_date=value_date, description=description,
                                  amount=Decimal(0), page=page, line=number)
        if self._columns is not None and self._columns.description_start is None:
            self._columns.description_start = rest_start + (len(line[rest_start:]) - len(line[rest_start:].lstrip()))
        self._statement.transactions.append(transaction)
        self._last = transaction
        self._pending_amount = not self._set_amounts(transaction, amounts)
        self._continuing = True

    def _continuation(self, line: str, indent: int, page: int, number: int) -> None:
        if self._last is None or not self._continuing:
            return
        start = self._description_start()
        if start is not None and indent < start - 2:
            self._continuing = False
            return
        amounts_start, amounts = trailing_amounts(line, self._aligned)
        text = " ".join(line[:amounts_start].split())
        if amounts and not self._pending_amount:
            # a second row of the same day, its date printed once
            transaction = Transaction(date=self._last.date, description=text, amount=Decimal(0), page=page,
                                      line=number)
            if self._set_amounts(transaction, amounts):
                self._statement.transactions.append(transaction)
                self._last = transaction
            return
        if text:
            self._last.description = f"{self._last.description} {text}".strip()
        if amounts and self._pending_amount:
            self._pending_amount = not self._set_amounts(self._last, amounts)

    def _aligned(self, amount: re.Match[str]) -> bool:
        """Whether ``amount`` overlaps an amount column's header, right of the description column."""
        columns = self._columns
        first, last = _span(amount)
        if columns is None or first <= (columns.description_start or 0) + 2:
            return False
        return any(first < end and last > start for start, end in columns.spans.values())

    def _description_start(self) -> int | None:
        return self._columns.description_start if self._columns else None

    def _by_role(self, amounts: list[re.Match[str]]) -> dict[str, re.Match[str]]:
        """Each amount under the header column it stands under (no header: first amount, last balance)."""
        roles: dict[str, re.Match[str]] = {}
        columns = self._columns
        if columns is None or not columns.spans:
            if len(amounts) >= 2:
                roles["balance"] = amounts[-1]
            if amounts:
                roles["amount"] = amounts[0]
            return roles
        for m in amounts:
            role = columns.role_of(*_span(m))
            if role is not None and role not in roles:
                roles[role] = m
        return roles

    def _set_amounts(self, transaction: Transaction, amounts: list[re.Match[str]]) -> bool:
        roles = self._by_role(amounts)
        values = {role: value for role, m in roles.items() if (value := amount_of(m)) is not None}
        if "debit" in values:
            transaction.amount = -abs(values["debit"])
        elif "credit" in values:
            transaction.amount = abs(values["credit"])
        elif "amount" in values:
            transaction.amount = values["amount"]
            transaction.sign_printed = has_sign(roles["amount"])
        else:
            return False
        transaction.balance = values.get("balance")
        return True
