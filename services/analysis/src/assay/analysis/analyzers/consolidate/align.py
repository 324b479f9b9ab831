"""Lines of one statement type matched across filings, newest filing first, and their figures merged.

The newest filing's statement gives the order and hierarchy. Each older filing's lines are matched, one to
one, in three passes: the same label once normalised (``match_key``: a leading "total" ignored, ..., same
section preferred, then the nearest position); then lines whose figures for a period both filings report agree
(labels at least loosely alike); then labels alike by rapidfuzz's token-sort ratio at or above the threshold.
A line that matches nothing is kept as its own line after the line it followed in its filing. Figures are taken
from the newest filing that has them; an older filing that gives a different figure (beyond rounding) is a
restatement, reported with both figures.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from rapidfuzz import fuzz

from assay.analysis.analyzers.financial_statements.amounts import is_dash
from assay.v1 import consolidate_pb2 as cpb
from assay.v1 import financial_statements_pb2 as fs

_IGNORED = re.compile(r"^(?:total|consolidated)\s+|\s+(?:total|expenses?|net)$")
VALUE_MATCH_SIMILARITY = 50.0
"""Least label similarity for two lines whose figures agree to be the same line."""
Scored = tuple[float, cpb.LineMatch.ValueType]
"""A candidate row's label similarity (0-100) and how it matched."""
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
    administrative")."""
    return _IGNORED.sub("", normalized_label.replace("&", " and ")).strip().replace("  ", " ")


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
    sections: set[str] = field(default_factory=set)


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
            free = [row for row in self.rows if filing not in row.members]
            figures = [_figures(keys, item) for item in items]
            self._pass(items, where, free, matched, filing, lambda i, row: self._exact(items[i], row))
            self._pass(items, where, free, matched, filing,
                       lambda i, row: self._by_values(items[i], figures[i], row))
            self._pass(items, where, free, matched, filing, lambda i, row: self._fuzzy(items[i], row))
        previous: Row | None = None
        for index, item in enumerate(items):
            row = matched.get(index)
            if row is None:
                row = Row(item.label, item.normalized_label, item.depth, item.is_total, item.is_heading,
                          where[index], per_share[index])
                position = self.rows.index(previous) + 1 if previous is not None else 0
                self.rows.insert(position, row)
            row.members[filing] = index
            row.sections.add(where[index])
            self._merge(row, filing, keys, item)
            previous = row

    def _pass(self, items: Sequence[fs.FinancialLineItem], where: list[str], free: list[Row],
              matched: dict[int, Row], filing: int, score_of: Callable[[int, Row], Scored | None]) -> None:
        """One matching pass: each unmatched line takes the best free row it scores against."""
        for index, item in enumerate(items):
            if index in matched:
                continue
            best: tuple[float, int, int, Row, cpb.LineMatch.ValueType] | None = None
            for position, row in enumerate(free):
                if row.is_heading != item.is_heading:
                    continue
                scored = score_of(index, row)
                if not scored:
                    continue
                score, kind = scored
                rank = (score, 1 if row.section == where[index] else 0, -abs(position - index), row, kind)
                if best is None or rank[:3] > best[:3]:
                    best = rank
            if best is not None:
                score, _, _, row, kind = best
                matched[index] = row
                free.remove(row)
                if kind != cpb.LINE_MATCH_LABEL or row.match == cpb.LINE_MATCH_SINGLE_SOURCE:
                    row.match = kind  # the loosest way any filing was matched
                row.score = min(row.score, score)
                if row.section != where[index]:
                    self.moved.append((row, filing, where[index]))

    @staticmethod
    def _exact(item: fs.FinancialLineItem, row: Row) -> Scored | None:
        return (100.0, cpb.LINE_MATCH_LABEL) if match_key(item.normalized_label) == match_key(
            row.normalized_label) else None

    def _by_values(self, item: fs.FinancialLineItem, figures: dict[PeriodKey, Decimal], row: Row) -> Scored | None:
        shared = [key for key in figures if key in row.cells]
        if not shared or all(figures[k] == 0 for k in shared):
            return None
        if not all(same_figure(figures[k], row.cells[k].value, item.scale or 1, row.cells[k].scale) for k in shared):
            return None
        score = fuzz.token_sort_ratio(match_key(item.normalized_label), match_key(row.normalized_label))
        return (score, cpb.LINE_MATCH_VALUES) if score >= VALUE_MATCH_SIMILARITY else None

    def _fuzzy(self, item: fs.FinancialLineItem, row: Row) -> Scored | None:
        score = fuzz.token_sort_ratio(match_key(item.normalized_label), match_key(row.normalized_label))
        return (score, cpb.LINE_MATCH_FUZZY) if score >= self.threshold else None

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
