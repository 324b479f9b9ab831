"""Reading printed amounts exactly: ``(1,234)`` is -1234, dashes are empty, nothing is guessed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

DASHES = frozenset({"-", "—", "–", "‒", "―", "--", "---", "−"})
"""Cells that mean "nothing here" (empty), as statements print them."""
_AMOUNT = re.compile(
    r"^(?:[$€£¥₹]\s*)?(?P<open>\()?\s*(?P<sign>[-−–])?\s*(?:[$€£¥₹]|US\$|USD|EUR)?\s*(?P<sign2>[-−–])?\s*"
    r"(?P<num>\d{1,3}(?:[,\u00a0 ]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)\s*(?P<pct>%)?\s*(?P<close>\))?$"
)
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_GAPPED = re.compile(r"^[($\d][\d, ]*\d\)?$")
_GROUPED = re.compile(r"^\(?\$?\d{1,3}(?:,\d{3})+(?:\.\d+)?\)?$")


@dataclass(frozen=True)
class Amount:
    """One cell as read: ``value`` is None for an empty/dash cell or an unreadable one."""

    raw: str
    value: Decimal | None
    unreadable: bool = False


def clean(raw: str) -> str:
    """The cell without surrounding blanks, currency-only marks or footnote stars."""
    return " ".join(raw.replace("\u00a0", " ").split()).strip()


def is_dash(text: str) -> bool:
    return clean(text) in DASHES or clean(text) in {"$ —", "$ -", "$—", "$-"}


def parse_amount(raw: str) -> Amount:
    """The exact decimal a cell prints; parentheses or a minus sign make it negative."""
    text = clean(raw)
    if not text or is_dash(text):
        return Amount(raw=text, value=None)
    match = _match(text)
    if match is None or bool(match.group("open")) != bool(match.group("close")):
        return Amount(raw=text, value=None, unreadable=True)
    digits = re.sub(r"[,\u00a0 ]", "", match.group("num"))
    try:
        value = Decimal(digits)
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        return Amount(raw=text, value=None, unreadable=True)
    if match.group("open") or match.group("sign") or match.group("sign2"):
        value = -value
    return Amount(raw=text, value=value)


def _match(text: str) -> re.Match[str] | None:
    match = _AMOUNT.match(text)
    if match is None and _GAPPED.match(text):
        joined = text.replace(" ", "")  # "3,51 1": a rendering gap inside one grouped figure
        if _GROUPED.match(joined):
            return _AMOUNT.match(joined)
    return match


def is_amount(text: str) -> bool:
    """Whether ``text`` reads as an amount or a dash (a value cell)."""
    text = clean(text)
    return bool(text) and (is_dash(text) or _match(text) is not None)


def is_year(text: str) -> bool:
    return _YEAR.match(clean(text)) is not None


def decimal_text(value: Decimal) -> str:
    """``value`` in plain notation, no exponent."""
    text = format(value, "f")
    return "0" if text in {"-0", "-0.0"} else text
