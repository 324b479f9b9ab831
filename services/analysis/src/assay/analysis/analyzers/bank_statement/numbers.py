"""Amounts and dates as statements print them, read exactly (``Decimal``) and without guessing.

Amounts: ``1,234.56``, ``1.234,56``, ``1 234,56``, ``-12.00``, ``12.00-``, ``(412.16)``, ``12.00 CR`` /
``DR``, with or without a currency symbol. Dates: ISO, ``DD/MM/YYYY`` or ``MM/DD/YYYY`` (the order
decided over the whole statement), ``DD.MM.YYYY``, ``DD Mon YYYY``, ``Mon DD, YYYY``, ``DD-Mon-YY``
and day-month without a year (the year taken from the statement period).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

MONTHS = {name: i + 1 for i, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}
_MON = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"

_CODES = "EUR|USD|GBP|CHF|SGD|JPY|AUD|CAD|INR|SEK|NOK|DKK|PLN|CZK|HKD|NZD|ZAR|HUF|RON|MYR|CNY|BRL|MXN|LTL"
AMOUNT = re.compile(
    r"(?<![\w.,/])(?:(?P<open>\()|(?P<lead>[-+−]))?\s?(?:(?:[£€$¥]|[A-Z]{3}\s)(?P<after>[-−])?)?\s?"
    r"(?P<num>\d{1,3}(?:[, .'’\u00a0\u202f]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)"
    rf"(?P<close>\))?(?P<trail>-|\s?(?:CR|DR|Cr|Dr|C|D)\b)?(?:\s?(?:{_CODES})\b|\s?[€£])?(?![\w/])"
)
"""An amount token; a number without decimals counts only where a column says it is an amount."""

DATE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("iso", re.compile(r"\b(?P<y>(?:19|20)\d{2})(?P<sep>[-/.])(?P<a>\d{1,2})(?P=sep)(?P<b>\d{1,2})(?![\d-])")),
    ("compact", re.compile(r"\b(?P<y>(?:19|20)\d{2})(?P<a>[01]\d)(?P<b>[0-3]\d)\b")),
    ("numeric", re.compile(r"\b(?P<a>\d{1,2})(?P<sep>[/.\-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})\b")),
    ("day_mon", re.compile(rf"\b(?P<a>\d{{1,2}})[ \-]?(?P<mon>{_MON})(?:[ \-,]+(?P<y>\d{{4}}|\d{{2}}))?\b", re.I)),
    ("mon_day", re.compile(rf"\b(?P<mon>{_MON}) (?P<a>\d{{1,2}})(?:,? (?P<y>\d{{4}}))?\b", re.I)),
    # day/month without a year; spaces after the separator are an OCR layer's ("07/   07")
    ("short", re.compile(r"\b(?P<a>\d{1,2})(?P<sep>[/.]) {0,8}(?P<b>\d{1,2})\b(?!(?P=sep)\d)")),
)


_TIME_OR_END = re.compile(r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?")
"""What may follow a date in a date cell: nothing, or a time of day."""


def parse_amount(text: str) -> Decimal | None:
    """The signed exact value of one amount token, or None when ``text`` is not one."""
    match = AMOUNT.fullmatch(text.strip())
    if match is None:
        return None
    return amount_of(match)


def amount_of(match: re.Match[str]) -> Decimal | None:
    """The signed value of an ``AMOUNT`` match."""
    number = _normalise_number(match["num"])
    if number is None:
        return None
    trail = (match["trail"] or "").strip().upper()
    negative = (bool(match["open"] and match["close"]) or match["lead"] in ("-", "−") or bool(match["after"])
                or trail in ("-", "DR", "D"))
    return -number if negative else number


def has_sign(match: re.Match[str]) -> bool:
    """Whether an ``AMOUNT`` match prints its direction (a sign, parentheses, CR/DR)."""
    return bool(match["lead"] or match["open"] or match["after"] or (match["trail"] or "").strip())


def _normalise_number(raw: str) -> Decimal | None:
    text = raw.replace("\u00a0", " ").replace("\u202f", " ")
    decimals = re.search(r"[.,](\d{1,2})$", text)
    if decimals and not re.fullmatch(r"\d{1,3}([, .]\d{3})+", text):
        whole, frac = text[:decimals.start()], decimals.group(1)
    else:
        whole, frac = text, ""
    whole = re.sub(r"[, .'’]", "", whole)
    try:
        return Decimal(f"{whole}.{frac}") if frac else Decimal(whole)
    except InvalidOperation:
        return None


class DateReader:
    """Reads dates in one statement's convention: day or month first is decided once for all."""

    def __init__(self, samples: Iterable[str], month_first_hint: bool | None = None) -> None:
        day_first_votes = month_first_votes = 0
        for sample in samples:
            for kind in ("numeric", "short"):
                for m in dict(DATE_PATTERNS)[kind].finditer(sample):
                    a, b = int(m["a"]), int(m["b"])
                    day_first_votes += a > 12 >= b
                    month_first_votes += b > 12 >= a
        if day_first_votes or month_first_votes:
            self.month_first = month_first_votes > day_first_votes
        else:
            self.month_first = bool(month_first_hint)
        self.default_year: int | None = None

    def find(self, text: str, *, at_start: bool = False) -> tuple[dt.date, re.Match[str]] | None:
        """The first date in ``text`` (only one starting the text when ``at_start``) and its match."""
        best: tuple[dt.date, re.Match[str]] | None = None
        for kind, pattern in DATE_PATTERNS:
            matches = [m] if at_start and (m := pattern.match(text)) else [] if at_start else pattern.finditer(text)
            for m in matches:
                date = self._date(kind, m)
                if date is not None:
                    if best is None or m.start() < best[1].start():
                        best = (date, m)
                    break
        return best

    def parse(self, text: str) -> dt.date | None:
        """``text`` read as exactly one date, or None."""
        text = text.strip()
        found = self.find(text, at_start=True)
        if found is None or not _TIME_OR_END.fullmatch(text[found[1].end():]):
            return None
        return found[0]

    def _date(self, kind: str, m: re.Match[str]) -> dt.date | None:
        groups = m.groupdict()
        year = _year(groups.get("y")) or self.default_year
        if year is None or not 1900 <= year <= 2099:
            return None
        if kind in ("iso", "compact"):
            day, month = int(m["b"]), int(m["a"])
        elif kind in ("numeric", "short"):
            a, b = int(m["a"]), int(m["b"])
            month, day = (a, b) if self.month_first else (b, a)
        else:
            month, day = MONTHS.get(m["mon"][:3].lower(), 0), int(m["a"])
        try:
            return dt.date(year, month, day)
        except ValueError:
            return None


def _year(text: str | None) -> int | None:
    if not text:
        return None
    year = int(text)
    return year + 2000 if year < 100 else year
