"""Which primary statement a block is, from its printed title and the lines it holds."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assay.v1 import financial_statements_pb2 as fs

INCOME = fs.STATEMENT_TYPE_INCOME
BALANCE = fs.STATEMENT_TYPE_BALANCE_SHEET
CASH_FLOW = fs.STATEMENT_TYPE_CASH_FLOW
COMPREHENSIVE = fs.STATEMENT_TYPE_COMPREHENSIVE_INCOME
EQUITY = fs.STATEMENT_TYPE_CHANGES_IN_EQUITY
SHORT_NAMES = {INCOME: "income_statement", BALANCE: "balance_sheet", CASH_FLOW: "cash_flow",
               COMPREHENSIVE: "comprehensive_income", EQUITY: "changes_in_equity"}
"""A statement type as a file name (``balance_sheet.csv``) and, spaced and capitalised, a sheet name."""
ALL_TYPES: tuple[int, ...] = (INCOME, BALANCE, CASH_FLOW, COMPREHENSIVE, EQUITY)

_S = r"(?:statements?|accounts?)"
TITLES: tuple[tuple[int, re.Pattern[str]], ...] = (
    (COMPREHENSIVE, re.compile(rf"\b{_S} of (?:consolidated )?comprehensive|"
                               r"comprehensive (?:income|loss|\(loss\)|earnings)[^.]{0,20}\bstatements?\b|"
                               r"^(?:condensed |consolidated )+(?:statements? of )?comprehensive (?:\(?loss\)? )?"
                               r"(?:income|loss|earnings)\W*$", re.I)),
    (CASH_FLOW, re.compile(rf"{_S} of (?:consolidated )?cash flows?|cash flows? statements?|"
                           r"^(?:condensed |consolidated )+cash flows?\W*$", re.I)),
    (EQUITY, re.compile(rf"{_S} of (?:consolidated )?(?:changes in )?(?:consolidated )?(?:\w+['’]?s['’]? )?"
                        r"(?:equity|deficit)|changes in (?:consolidated )?(?:\w+['’]?s['’]? )?(?:equity|deficit)|"
                        r"^(?:condensed |consolidated )+(?:stock|share)holders['’]? (?:equity|deficit)\W*$", re.I)),
    (BALANCE, re.compile(r"balance sheets?|statements? of (?:consolidated )?financial (?:position|condition)", re.I)),
    (INCOME, re.compile(rf"{_S} of (?:consolidated )?(?:operations|income|earnings|\(?loss\)?|profit or loss)|"
                        r"income statements?|profit and loss|(?:statements?|accounts?) of (?:net )?(?:income|earnings)|"
                        r"^(?:condensed |consolidated )+(?:statements? of )?(?:operations|earnings|income)\W*$", re.I)),
)
"""Title patterns, most specific first: "statements of comprehensive income" is not the income statement."""

_NOT_PRIMARY = re.compile(r"selected (?:consolidated )?financial data|"
                          r"notes? to (?:the )?(?:condensed )?(?:consolidated )?"
                          r"financial statements|supplement(?:al|ary) (?:information|schedule)|"
                          r"index to (?:the )?(?:consolidated )?financial statements|summary of|five-year|"
                          r"quarterly (?:financial )?(?:data|results)|segment", re.I)
_CONTINUED = re.compile(r"\(continued\)|continued\b", re.I)

EVIDENCE: dict[int, tuple[re.Pattern[str], ...]] = {
    BALANCE: (re.compile(r"^total assets\b|^(?:total )?activos? total|^total (?:del )?activo|자산총계", re.I),
              re.compile(r"^total (?:current )?liabilities\b", re.I),
              re.compile(r"total liabilities (?:and|&)", re.I), re.compile(r"^cash and cash equivalents\b", re.I),
              re.compile(r"total (?:stock|share)holders['’]? (?:equity|deficit)|^total equity", re.I)),
    INCOME: (re.compile(r"^(?:net |total )?(?:sales|revenues?|operating revenues?)\b|"
                        r"^(?:total )?(?:ingresos|ventas|umsatz|chiffre d.affaires)|매출|영업수익", re.I),
             re.compile(r"per (?:common )?share|earnings per|\bEPS\b", re.I),
             re.compile(r"^(?:net )?(?:income|earnings|\(?loss\)?|profit)\b.*(?:income )?tax", re.I),
             re.compile(r"^net (?:income|earnings|\(?loss\)?|profit)|utilidad neta|ganancia neta|"
                        r"resultado (?:neto|del ejercicio)|jahres(?:überschuss|ergebnis)|résultat net|순이익", re.I),
             re.compile(r"^(?:gross (?:profit|margin)|operating (?:income|profit|loss)|cost of)|"
                        r"ganancia bruta|utilidad bruta|costo de ventas|영업이익|매출원가", re.I)),
    CASH_FLOW: (re.compile(r"operating activities", re.I), re.compile(r"investing activities", re.I),
                re.compile(r"financing activities", re.I), re.compile(r"depreciation|amortization", re.I),
                re.compile(r"cash (?:and cash equivalents )?(?:at|,) (?:beginning|end)", re.I)),
    COMPREHENSIVE: (re.compile(r"other comprehensive", re.I), re.compile(r"^comprehensive (?:income|loss)", re.I),
                    re.compile(r"foreign currency translation|unrealized|reclassification", re.I)),
    EQUITY: (re.compile(r"^balance[s]?\b|^balances? (?:at|as of)", re.I), re.compile(r"dividends", re.I),
             re.compile(r"stock(?:-based)? compensation|share-based", re.I), re.compile(r"repurchase|treasury", re.I)),
}


@dataclass(frozen=True)
class Classification:
    """A block's statement type, the title as printed and how sure we are (0-1)."""

    type: int
    title: str
    confidence: float
    continued: bool = False
    condensed: bool = False
    scope: str = ""
    """Whose statement: ``consolidated`` (the group), ``parent`` (the parent company alone) or "" (not said)."""


_PARENT = re.compile(r"\b(?:parent(?: company)?|company[- ]only|registrant|separate|stand-?alone|unconsolidated)\b|"
                     r"^(?:the )?company(?:'s)? (?:statements?|balance sheet)", re.I)
_CONSOLIDATED = re.compile(r"\bconsolidated\b|^group\b", re.I)


def scope_of(title: str, heading: list[str]) -> str:
    """``parent`` or ``consolidated`` as the title (else the lines just above it) says, or ""."""
    for text in (title, " ".join(heading[-4:])):
        if _PARENT.search(text):
            return "parent"
        if _CONSOLIDATED.search(text):
            return "consolidated"
    return ""


def title_type(text: str) -> int:
    """The statement type a title names, or 0."""
    for kind, pattern in TITLES:
        if pattern.search(text):
            return kind
    return 0


def find_title(heading: list[str]) -> tuple[int, str]:
    """The last heading line that names a statement (nearest the table), with its type."""
    for text in reversed(heading[-8:]):
        line = " ".join(text.split())
        if not line or len(line) > 160:
            continue
        kind = title_type(line)
        if kind:
            return kind, line
    return 0, ""


def evidence(kind: int, labels: list[str]) -> float:
    """Share (0-1) of ``kind``'s tell-tale lines found among ``labels``."""
    patterns = EVIDENCE[kind]
    hits = sum(1 for pattern in patterns if any(pattern.search(label) for label in labels))
    return hits / len(patterns)


def classify(heading: list[str], labels: list[str], name_hint: str = "") -> Classification | None:
    """The block's type from its title (or, with no title, its lines), or None when it is none of them."""
    kind, title = find_title(heading)
    recent = " ".join(heading[-8:])
    if kind and _NOT_PRIMARY.search(title):
        return None
    if not kind and name_hint:
        kind = title_type(name_hint.replace("_", " "))
        title = name_hint if kind else ""
    scores = {k: evidence(k, labels) for k in ALL_TYPES}
    if kind:
        confidence = 0.6 + 0.4 * min(1.0, scores[kind] * 1.5)
        if kind == INCOME and scores[COMPREHENSIVE] > 0.6 and scores[INCOME] < 0.2:
            kind = COMPREHENSIVE
    else:
        kind = max(scores, key=lambda k: scores[k])
        if scores[kind] < 0.6:
            return None
        confidence = 0.3 + 0.4 * scores[kind]
        title = ""
    return Classification(type=kind, title=title, confidence=round(confidence, 3),
                          continued=bool(_CONTINUED.search(recent)),
                          condensed="condensed" in (title or recent).lower(), scope=scope_of(title, heading))
