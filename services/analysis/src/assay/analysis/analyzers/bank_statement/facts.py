"""Statement facts outside the transaction table: holder, account number, period, currency, balances.

Each is read by a documented label pattern ("Account number:", "IBAN", "Statement period ... to
...", "Opening balance", "Balance carried forward", ...), never by a bank's page geometry, so the
same rules apply to any statement that labels them in English, German, French, Spanish, Dutch or
Italian.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from assay.analysis.analyzers.bank_statement.model import Statement
from assay.analysis.analyzers.bank_statement.numbers import AMOUNT, DateReader, amount_of


def _labels(*phrases: str) -> re.Pattern[str]:
    """Phrases matched case-insensitively, any run of spaces between their words."""
    return re.compile("|".join(r"\b" + r"\s+".join(re.escape(w) for w in p.split()) + r"\b" for p in phrases), re.I)


OPENING = _labels("opening balance", "balance brought forward", "brought forward", "balance b/f", "balance bf",
                  "previous balance", "previous statement balance", "last month's balance", "last statement balance",
                  "balance forward", "beginning balance", "starting balance", "start balance", "balance at start",
                  "alter kontostand", "kontostand alt", "anfangssaldo", "saldo alt", "alter saldo", "ancien solde",
                  "solde précédent", "solde initial", "solde de début", "saldo anterior", "saldo inicial",
                  "beginsaldo", "vorig saldo", "oud saldo", "saldo iniziale", "saldo precedente")
CLOSING = _labels("closing balance", "balance carried forward", "carried forward", "balance c/f", "balance cf",
                  "new balance", "ending balance", "end balance", "balance at end", "total balance due",
                  "total amount due", "neuer kontostand", "kontostand neu", "endsaldo", "saldo neu",
                  "neuer saldo", "nouveau solde", "solde final", "solde de fin", "saldo final", "saldo actual",
                  "eindsaldo", "nieuw saldo", "saldo finale")
TOTALS = re.compile(r"^\s*(?:sub-?)?totals?\b|\bturnover\b|^\s*total (?:debits|credits|payments|charges)", re.I)
_ACCOUNT = re.compile(r"\b(?:account|acct|a/c|konto(?:nummer)?|num[ée]ro de compte|compte|n[úu]mero de cuenta|cuenta|"
                      r"rekening(?:nummer)?|conto(?: corrente)?)\.?\s*(?:number|no\.?|nr\.?|#)?\s*[:#]?\s*"
                      r"(?P<n>\d[\d \-*Xx]{4,}\d)\b", re.I)
_IBAN = re.compile(r"\bIBAN\s*:?\s*(?P<n>[A-Z]{2}\d{2}(?: ?[A-Z0-9]{1,4}){3,8})\b")
_CARD = re.compile(r"\bcard\s*(?:number|no\.?)?\s*:?\s*(?P<n>(?:[\dXx*]{4}[ \-]?){3}\d{4})\b", re.I)
_CARD_NUMBER = re.compile(r"(?<![\d-])(?P<n>\d{4}(?P<sep>[- ])\d{4}(?P=sep)\d{4}(?P=sep)\d{4})(?![\d-])")
_HOLDER = re.compile(r"\b(?:account holder|account name|customer name|name|kontoinhaber(?:in)?|inhaber|titulaire|"
                     r"titular|rekeninghouder|intestatario)\s*:\s*(?P<h>\S.*?)(?:\s{2,}|$)", re.I)
_CURRENCY_LABEL = re.compile(r"\b(?:currency|währung|devise|moneda)\s*:?\s*(?P<c>[A-Z]{3})\b", re.I)
CURRENCIES = frozenset(
    ["EUR", "USD", "GBP", "SGD", "CHF", "JPY", "AUD", "CAD", "INR", "LTL", "CZK", "SEK",
     "NOK", "DKK", "PLN", "HKD", "NZD", "ZAR", "MYR", "CNY", "BRL", "MXN", "HUF", "RON"])
_CODE = re.compile(r"\b(?P<c>[A-Z]{3})\b")
_SYMBOLS = {"£": "GBP", "€": "EUR"}
_PERIOD = re.compile(r"period|statement from|\bfrom\b|\bbetween\b|zeitraum|\bvom\b|p[ée]riode|periodo|\bdu\b|\bdel\b|"
                     r"\bvan\b", re.I)
_STATEMENT_DATE = re.compile(r"statement date", re.I)


def mask_account(number: str) -> str:
    """Only the last 4 characters of an account number, card number or IBAN."""
    compact = re.sub(r"[\s\-]", "", number)
    return "*" * max(0, len(compact) - 4) + compact[-4:] if len(compact) > 4 else "****"


def mask_name(name: str) -> str:
    """A holder's name for logs: each word's initial, the rest starred."""
    return " ".join(word[:1] + "*" * (len(word) - 1) for word in name.split())


def read_facts(lines: list[str], dates: DateReader, statement: Statement) -> None:
    """Fill the statement's header facts from ``lines`` (the text before and around the table)."""
    for line in lines:
        if not statement.account_number:
            for pattern in (_IBAN, _ACCOUNT, _CARD, _CARD_NUMBER):
                m = pattern.search(line)
                if m:
                    statement.account_number = m["n"]
                    break
        if not statement.account_holder:
            m = _HOLDER.search(line)
            if m:
                statement.account_holder = m["h"].strip()
        if statement.period_start is None and _PERIOD.search(line):
            found = _period_dates(line, dates)
            if len(found) >= 2:
                statement.period_start, statement.period_end = found[0], found[1]
        if statement.period_end is None and _STATEMENT_DATE.search(line):
            found = _dates_in(line, dates)
            if found:
                statement.period_end = found[0]
        if not statement.currency:
            statement.currency = _currency(line)


def balance_mentions(line: str) -> tuple[Decimal | None, Decimal | None]:
    """The opening and closing balance a line states ("Opening balance 1,000.00"), if any."""
    opening = _labelled_amount(line, OPENING, CLOSING)
    closing = _labelled_amount(line, CLOSING, OPENING)
    return opening, closing


def _labelled_amount(line: str, label: re.Pattern[str], other: re.Pattern[str]) -> Decimal | None:
    m = label.search(line)
    if m is None:
        return None
    rest = line[m.end():]
    stop = other.search(rest)
    if stop is not None:
        rest = rest[:stop.start()]
    for amount in AMOUNT.finditer(rest):
        if re.search(r"[.,]\d{2}$", amount["num"]):
            return amount_of(amount)
    return None


def _period_dates(line: str, dates: DateReader) -> list[dt.date]:
    """The dates of a period line; "1 March to 31 March 2024": the first takes the last one's year."""
    found = _dates_in(line, dates)
    if len(found) == 1 and dates.default_year is None:
        dates.default_year = found[0].year
        try:
            found = _dates_in(line, dates)
        finally:
            dates.default_year = None
    return found


def _dates_in(line: str, dates: DateReader) -> list[dt.date]:
    found: list[dt.date] = []
    rest = line
    while True:
        hit = dates.find(rest)
        if hit is None:
            return found
        found.append(hit[0])
        rest = rest[hit[1].end():]


def _currency(line: str) -> str:
    m = _CURRENCY_LABEL.search(line)
    if m and m["c"].upper() in CURRENCIES:
        return m["c"].upper()
    for code in _CODE.finditer(line):
        if code["c"] in CURRENCIES:
            return code["c"]
    for symbol, code_name in _SYMBOLS.items():
        if symbol in line:
            return code_name
    return ""
