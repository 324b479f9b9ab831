"""Lines of one statement type matched across filings, newest filing first, and their figures merged.

The newest filing's statement gives the order and hierarchy. Each older filing's lines are matched, one to
one, in three passes: the same label once normalised (``match_key``); then lines whose figures for a period both
filings report agree (labels at least loosely alike); then labels alike by rapidfuzz's token-sort ratio at or
above the threshold, unless they name different years. Ties go to the same section, then to the nearest
relative position.
A line that matches nothing is kept as its own line after the line it followed in its filing. Figures are taken
from the newest filing that has them; an older filing that gives a different figure (beyond rounding) is a
restatement, reported with both figures.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from rapidfuzz import fuzz, process

from assay.analysis.analyzers.financial_statements.amounts import is_dash
from assay.v1 import consolidate_pb2 as cpb
from assay.v1 import financial_statements_pb2 as fs

_IGNORED = re.compile(r"^(?:total|consolidated)\s+|\s+(?:total|expenses?|net)$")
_SPAN = re.compile(r"\b(?:the )?(?:year|period|quarter|month)s?\b")
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
VALUE_MATCH_SIMILARITY = 50.0
"""Least label similarity for two lines whose figures agree to be the same line."""
PeriodKey = tuple[int, str]
"""(duration in months, end date or "FY<year>" or the header): the same period in any filing."""


def period_keys(filing: int, statement: fs.FinancialStatement) -> list[PeriodKey]:
    """Each column's period: the same period in any filing has the same key (duration and end date, else fiscal
    year). A column with neither, or one repeating another column's key (a misread header), is its own period."""
    keys: list[PeriodKey] = []
    for index, period in enumerate(statement.periods):
        when = period.end_date or (f"FY{period.fiscal_year}" if period.fiscal_year else "")
        key = (period.duration_months, when)
        if not when or key in keys:
            named = when or period.header or "undated"
            key = (period.duration_months, f"{named} (source {filing}, column {index + 1})")
        keys.append(key)
    return keys


def match_key(normalized_label: str) -> str:
    """A normalised label without a leading "total"/"consolidated" or a trailing "expenses"/"net", "&" as "and"
    ("total net sales" -> "net sales", "selling general & administrative expenses" -> "selling general and
    administrative"), "year", "quarter" and "the period" as "period" ("cash at end of the year" -> "cash at end of
    period")."""
    text = _SPAN.sub("period", _IGNORED.sub("", normalized_label.replace("&", " and ")).strip())
    return " ".join(text.split())


def years_differ(a: str, b: str) -> bool:
    """Whether two labels name different years ("Balance as of October 1, 2020" / "..., 2021"): never one line."""
    return set(_YEAR.findall(a)) != set(_YEAR.findall(b))


@dataclass
class Cell:
    """One figure of a line in one period, from the newest filing that gives it."""

    value: Decimal
    raw: str
    filing: int
    page: int
    line: int
    label: str
    scale: int
    restated: bool = False


@dataclass
class Row:
    """One aligned line: the newest member filing's label and place, each filing's line index, its figures."""

    label: str
    normalized_label: str
    depth: int
    is_total: bool
    is_heading: bool
    section: str
    per_share: bool
    members: dict[int, int] = field(default_factory=dict)
    cells: dict[PeriodKey, Cell] = field(default_factory=dict)
    match: cpb.LineMatch.ValueType = cpb.LINE_MATCH_SINGLE_SOURCE
    score: float = 100.0
    key: str = ""

    def __post_init__(self) -> None:
        self.key = match_key(self.normalized_label)


Candidate = tuple[Row, float, cpb.LineMatch.ValueType]
"""A row a line may match, its label similarity (0-100) and how it matched."""


class _Buckets:
    """Rows by (period, figure rounded to the coarsest scale in play): the rows whose figures may agree with a
    line's, without comparing the line with every row."""

    def __init__(self, rows: Iterable[Row], scales: Iterable[int]) -> None:
        self.rows = list(rows)
        self.width = Decimal(max([*scales, *(c.scale for r in self.rows for c in r.cells.values()), 1]))
        self.index: dict[tuple[PeriodKey, int], list[Row]] = {}
        for row in self.rows:
            for key, cell in row.cells.items():
                if cell.value:
                    self.index.setdefault((key, self._bucket(cell.value)), []).append(row)

    def _bucket(self, value: Decimal) -> int:
        return int(value // self.width)

    def near(self, figures: dict[PeriodKey, Decimal]) -> list[Row]:
        found: dict[int, Row] = {}
        for key, value in figures.items():
            if value:
                bucket = self._bucket(value)
                for step in (-1, 0, 1):
                    for row in self.index.get((key, bucket + step), ()):
                        found[id(row)] = row
        return list(found.values())


@dataclass(frozen=True)
class Restatement:
    row: Row
    key: PeriodKey
    newer: Cell
    older: Cell


def sections(statement: fs.FinancialStatement) -> list[str]:
    """Each line's section: the normalised label of the nearest heading above it ("" before any)."""
    out, current = [], ""
    for item in statement.line_items:
        out.append(current)
        if item.is_heading:
            current = item.normalized_label
    return out


def figure(item: fs.FinancialLineItem, value: fs.FinancialValue) -> Decimal | None:
    """The figure in full units (a printed dash is zero); None for an empty or unreadable cell."""
    if value.unreadable:
        return None
    if value.value:
        return Decimal(value.value) * (item.scale or 1)
    return Decimal(0) if is_dash(value.raw) else None


def _figures(keys: list[PeriodKey], item: fs.FinancialLineItem) -> dict[PeriodKey, Decimal]:
    out = {}
    for value in item.values:
        number = figure(item, value)
        if number is not None and value.period_index < len(keys):
            out[keys[value.period_index]] = number
    return out


def same_figure(a: Decimal, b: Decimal, scale_a: int, scale_b: int) -> bool:
    """Equal within rounding: half a unit of the coarser of the two printed scales."""
    return abs(a - b) <= Decimal(max(scale_a, scale_b, 1)) / 2


class Alignment:
    """The rows of one statement type, built filing by filing, newest first."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self.rows: list[Row] = []
        self.restatements: list[Restatement] = []
        self.moved: list[tuple[Row, int, str]] = []

    def add(self, filing: int, statement: fs.FinancialStatement) -> None:
        """Match ``statement``'s lines to the rows, add the rest as rows, merge the figures."""
        keys = period_keys(filing, statement)
        items = list(statement.line_items)
        where = sections(statement)
        per_share = [item.scale != (statement.unit_scale or 1) for item in items]
        matched: dict[int, Row] = {}
        if self.rows:
            labels = [match_key(item.normalized_label) for item in items]
            figures = [_figures(keys, item) for item in items]
            free = {id(row): row for row in self.rows if filing not in row.members}
            exact: dict[str, list[Row]] = {}
            for candidate in free.values():
                exact.setdefault(candidate.key, []).append(candidate)
            self._pass(items, where, free, matched, filing,
                       lambda i: [(same, 100.0, cpb.LINE_MATCH_LABEL) for same in exact.get(labels[i], ())])
            buckets = _Buckets(free.values(), [item.scale or 1 for item in items])
            self._pass(items, where, free, matched, filing,
                       lambda i: self._by_values(items[i], labels[i], figures[i], buckets.near(figures[i])))
            self._pass(items, where, free, matched, filing, lambda i: self._fuzzy(items[i], labels[i], free))
        previous: Row | None = None
        for index, item in enumerate(items):
            row = matched.get(index)
            if row is None:
                row = Row(item.label, item.normalized_label, item.depth, item.is_total, item.is_heading,
                          where[index], per_share[index])
                position = self.rows.index(previous) + 1 if previous is not None else 0
                self.rows.insert(position, row)
            row.members[filing] = index
            self._merge(row, filing, keys, item)
            previous = row

    def _pass(self, items: Sequence[fs.FinancialLineItem], where: list[str], free: dict[int, Row],
              matched: dict[int, Row], filing: int, candidates: Callable[[int], Iterable[Candidate]]) -> None:
        """One matching pass: each unmatched line takes the best free row among its candidates (ties: the same
        section, then the nearest relative position in both statements)."""
        place = {id(row): position / max(1, len(self.rows)) for position, row in enumerate(self.rows)}
        for index, item in enumerate(items):
            if index in matched:
                continue
            best: tuple[float, int, float, Row, cpb.LineMatch.ValueType] | None = None
            for candidate, score, kind in candidates(index):
                if id(candidate) not in free or candidate.is_heading != item.is_heading:
                    continue
                nearness = -abs(place[id(candidate)] - index / max(1, len(items)))
                rank = (score, 1 if candidate.section == where[index] else 0, nearness, candidate, kind)
                if best is None or rank[:3] > best[:3]:
                    best = rank
            if best is not None:
                score, _, _, row, kind = best
                matched[index] = row
                del free[id(row)]
                if kind != cpb.LINE_MATCH_LABEL or row.match == cpb.LINE_MATCH_SINGLE_SOURCE:
                    row.match = kind  # the loosest way any filing was matched
                row.score = min(row.score, score)
                if row.section != where[index]:
                    self.moved.append((row, filing, where[index]))

    @staticmethod
    def _by_values(item: fs.FinancialLineItem, label: str, figures: dict[PeriodKey, Decimal],
                   near: Iterable[Row]) -> list[Candidate]:
        """Rows whose figures agree with the line's in every period both have (not all zero), labels loosely alike."""
        found = []
        for row in near:
            shared = [key for key in figures if key in row.cells]
            if not shared or all(figures[k] == 0 for k in shared):
                continue
            if not all(same_figure(figures[k], row.cells[k].value, item.scale or 1, row.cells[k].scale)
                       for k in shared):
                continue
            score = fuzz.token_sort_ratio(label, row.key)
            if score >= VALUE_MATCH_SIMILARITY:
                found.append((row, score, cpb.LINE_MATCH_VALUES))
        return found

    def _fuzzy(self, item: fs.FinancialLineItem, label: str, free: dict[int, Row]) -> list[Candidate]:
        """Free rows whose label scores at least the threshold (rapidfuzz's token-sort ratio), naming the same years."""
        rows = [row for row in free.values() if row.is_heading == item.is_heading]
        scored = process.extract(label, [row.key for row in rows], scorer=fuzz.token_sort_ratio,
                                 score_cutoff=self.threshold, limit=None)
        return [(rows[position], score, cpb.LINE_MATCH_FUZZY) for _, score, position in scored
                if not years_differ(item.normalized_label, rows[position].normalized_label)]

    def _merge(self, row: Row, filing: int, keys: list[PeriodKey], item: fs.FinancialLineItem) -> None:
        for value in item.values:
            number = figure(item, value)
            if number is None or value.period_index >= len(keys):
                continue
            key = keys[value.period_index]
            cell = Cell(number, value.raw, filing, item.page, item.line, item.label, item.scale or 1)
            existing = row.cells.get(key)
            if existing is None:
                row.cells[key] = cell
            elif existing.filing != filing and not same_figure(existing.value, number, existing.scale, cell.scale):
                existing.restated = True
                self.restatements.append(Restatement(row, key, existing, cell))
