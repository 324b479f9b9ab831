"""The result as one XLSX workbook whose subtotals and period-over-period changes are live formulas.

One sheet per statement: periods as columns oldest → newest (grouped by duration, so a quarter is never
compared with nine months), then for each pair of consecutive periods of a group its change (``=D7-C7``)
and percentage change. Labels are indented by depth, totals bold, the header frozen. Values are stored in
full (the printed figure times the row's scale) and *displayed* in the statement's unit through the number
format (``#,##0,`` shows thousands), so a formula over rows of different scales stays right. A total the
analyzer's subtotal check confirmed for a period is ``=SUM(...)`` over its lines; a total whose check failed
keeps the printed figure with a comment. Every formula also carries its computed value, so a reader that
does not recalculate (a previewer, openpyxl's ``data_only``) still sees the figure. A "Sources" sheet gives
each value's page and line in the document, written as the values are (nothing held in memory).

Other analyzers reuse it (``consolidate``): ``provenance`` replaces each value's page and line and adds columns
to the Sources sheet (the source job and file of a consolidated figure), and ``growth`` adds, per group of
annual or point-in-time periods, a CAGR column (``=(F7/C7)^(1/3)-1`` over the row's oldest and newest figure).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

import xlsxwriter
from opentelemetry import trace
from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from assay.analysis.analyzers.financial_statements.amounts import is_dash
from assay.analysis.analyzers.financial_statements.checks import (
    CASH_FLOW_CHECK,
    SUBTOTAL_SUFFIX,
    cash_flow_lines,
    subtotal_spans,
)
from assay.analysis.analyzers.financial_statements.classify import SHORT_NAMES
from assay.v1 import financial_statements_pb2 as fs

_tracer = trace.get_tracer(__name__)
XLSX_NAME = "financial_statements.xlsx"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_ROW = 2
"""0-based row of the column headers; line items start on the next row."""
SOURCES_SHEET = "Sources"
_SCALE_WORDS = {1: "", 1000: "in thousands", 1000000: "in millions", 1000000000: "in billions"}


def columns(statement: fs.FinancialStatement) -> list[fs.FinancialPeriod]:
    """The statement's periods, padded with undated ones should a value name a column beyond them."""
    count = max((v.period_index + 1 for item in statement.line_items for v in item.values), default=0)
    return [*statement.periods, *(fs.FinancialPeriod(header=f"column {i + 1}")
                                  for i in range(len(statement.periods), count))]


def period_groups(statement: fs.FinancialStatement) -> list[list[int]]:
    """Period indices grouped by duration (in order of first appearance), each group oldest → newest.

    A period's date is its end date, else its fiscal year; periods with neither keep their printed order.
    """
    groups: dict[int, list[int]] = {}
    periods = columns(statement)
    for index, period in enumerate(periods):
        groups.setdefault(period.duration_months, []).append(index)

    def when(index: int) -> str:
        period = periods[index]
        return period.end_date or (f"{period.fiscal_year:04d}" if period.fiscal_year else "")

    out = []
    for members in groups.values():
        dated = all(when(i) for i in members)
        out.append(sorted(members, key=lambda i: (when(i), i)) if dated else members)
    return out


def cell_number(item: fs.FinancialLineItem, value: fs.FinancialValue) -> Decimal | None:
    """The value in full (printed figure times the row's scale); a printed dash is zero; None when empty."""
    if value.value:
        return Decimal(value.value) * (item.scale or 1)
    if is_dash(value.raw) and not value.unreadable:
        return Decimal(0)
    return None


GROWTH_DURATIONS = (12, 0)
"""Durations (months) a CAGR is given for: annual periods and balance-sheet dates."""


def years_between(earlier: fs.FinancialPeriod, later: fs.FinancialPeriod) -> int | None:
    """Whole years from one period's end to another's (end dates, else fiscal years); None when unknown or < 1."""
    if earlier.end_date and later.end_date:
        days = (date.fromisoformat(later.end_date) - date.fromisoformat(earlier.end_date)).days
        years = round(days / 365.25)
    elif earlier.fiscal_year and later.fiscal_year:
        years = later.fiscal_year - earlier.fiscal_year
    else:
        return None
    return years if years >= 1 else None


def cagr(first: Decimal, last: Decimal, years: int) -> float | None:
    """Compound annual growth from ``first`` to ``last`` over ``years``; None unless both are positive."""
    if first <= 0 or last <= 0:
        return None
    return float((last / first) ** (Decimal(1) / Decimal(years)) - 1)


@dataclass(frozen=True)
class CellOrigin:
    """Where one value came from, for the Sources sheet: its page and line, and the ``Provenance.columns``."""

    page: int
    line: int
    extra: tuple[str, ...]


@dataclass(frozen=True)
class Provenance:
    """Per-value origins that replace the line item's page and line: ``origin(statement, line, period)``
    (indexes into the result), with extra Sources columns named ``columns``."""

    columns: tuple[str, ...]
    origin: Callable[[int, int, int], CellOrigin | None]


@dataclass(frozen=True)
class Source:
    sheet: str
    cell: str
    statement: str
    label: str
    period: str
    raw: str
    number: Decimal | None
    page: int
    line: int
    formula: str
    extra: tuple[str, ...] = ()


@dataclass
class _Formats:
    book: Workbook
    cache: dict[tuple[Any, ...], Any]

    def get(self, **props: Any) -> Any:
        key = tuple(sorted(props.items()))
        if key not in self.cache:
            self.cache[key] = self.book.add_format(props)
        return self.cache[key]

    def amount(self, scale: int, decimals: int, bold: bool) -> Any:
        digits = "#,##0" + ("." + "0" * decimals if decimals else "")
        thousands = 0
        while scale >= 1000 and scale % 1000 == 0:
            scale //= 1000
            thousands += 1
        shown = digits + "," * thousands
        return self.get(num_format=f'{shown};({shown});"–"', bold=bold)

    def percent(self, bold: bool) -> Any:
        return self.get(num_format="0.0%;-0.0%", bold=bold)


def _decimals(item: fs.FinancialLineItem) -> int:
    places = [-int(exp) for v in item.values if v.value
              if isinstance(exp := Decimal(v.value).as_tuple().exponent, int) and exp < 0]
    return max(places, default=0)


def _sheet_names(statements: list[fs.FinancialStatement]) -> list[str]:
    used: set[str] = {SOURCES_SHEET}
    out = []
    for statement in statements:
        base = SHORT_NAMES.get(statement.type, "statement").replace("_", " ").capitalize()
        name, suffix = base, 2
        while name in used:
            name = f"{base} ({suffix})"
            suffix += 1
        used.add(name)
        out.append(name)
    return out


@dataclass(frozen=True)
class _Total:
    """A total line in one period as a check saw it: the lines it adds up and the check."""

    members: list[int]
    check: fs.FinancialCheck


def _checked_totals(statement: fs.FinancialStatement) -> dict[tuple[int, int], _Total]:
    """``(line, period) -> _Total`` for each subtotal check ("Total X" = the lines under "X:") and the cash-flow
    sum (net change = operating + investing + financing (+ FX)), passed or failed."""
    pending: dict[tuple[str, int], list[fs.FinancialCheck]] = {}
    for check in statement.checks:
        pending.setdefault((check.name, check.period_index), []).append(check)
    out = {}
    for total, first, last in subtotal_spans(statement):
        name = statement.line_items[total].label + SUBTOTAL_SUFFIX
        for period in range(len(statement.periods)):
            found = pending.get((name, period))
            if found:
                out[(total, period)] = _Total(list(range(first, last + 1)), found.pop(0))
    lines = cash_flow_lines(statement) if statement.type == fs.STATEMENT_TYPE_CASH_FLOW else None
    if lines is not None:
        change, flows, fx = lines
        for period in range(len(statement.periods)):
            found = pending.get((CASH_FLOW_CHECK, period))
            if found:
                fx_there = fx is not None and any(v.period_index == period and cell_number(statement.line_items[fx], v)
                                                  is not None for v in statement.line_items[fx].values)
                out[(change, period)] = _Total([*flows, fx] if fx is not None and fx_there else flows, found[0])
    return out


def _sum_formula(members: list[int], col: int) -> str:
    """``=SUM(C5:C9)`` over a run of lines, else ``=C5+C7+C9``."""
    cells = [xl_rowcol_to_cell(HEADER_ROW + 1 + line, col) for line in members]
    if members == list(range(members[0], members[-1] + 1)):
        return f"=SUM({cells[0]}:{cells[-1]})"
    return "=" + "+".join(cells)


def _unit_line(statement: fs.FinancialStatement) -> str:
    words = _SCALE_WORDS.get(statement.unit_scale, f"× {statement.unit_scale}")
    unit = " ".join(part for part in (statement.currency, words) if part)
    stated = f" (as printed: {statement.unit_text})" if statement.unit_text else ""
    return f"{unit or 'Amounts'}{stated}; values stored in full, shown in the statement's unit"


@dataclass(frozen=True)
class _Place:
    """Where one statement is written: its sheet's name, its index in the result, how to name origins."""

    name: str
    index: int
    provenance: Provenance | None
    growth: bool


def _growth_groups(statement: fs.FinancialStatement, groups: list[list[int]]) -> list[list[int]]:
    periods = columns(statement)
    return [group for group in groups if len(group) > 1 and periods[group[0]].duration_months in GROWTH_DURATIONS
            and years_between(periods[group[0]], periods[group[-1]]) is not None]


def _write_growth(sheet: Worksheet, row: int, col: int, cells: list[tuple[int, int, Decimal]],
                  periods: list[fs.FinancialPeriod], formats: _Formats, bold: bool) -> None:
    """``cells`` are (period, column, number) of one row in a growth group, oldest first."""
    if len(cells) < 2:
        return
    (first, first_col, first_number), (last, last_col, last_number) = cells[0], cells[-1]
    years = years_between(periods[first], periods[last])
    if years is None:
        return
    old, new = xl_rowcol_to_cell(row, first_col), xl_rowcol_to_cell(row, last_col)
    computed = cagr(first_number, last_number, years)
    sheet.write_formula(row, col, f'=IF(AND({old}>0,{new}>0),({new}/{old})^(1/{years})-1,"")',
                        formats.percent(bold), "" if computed is None else computed)


def _write_statement(sheet: Worksheet, place: _Place, statement: fs.FinancialStatement, formats: _Formats,
                     sources: _SourcesSheet) -> None:
    name = place.name
    groups = period_groups(statement)
    order = [p for group in groups for p in group]
    column = {period: 1 + position for position, period in enumerate(order)}
    pairs = [(a, b) for group in groups for a, b in pairwise(group)]
    growth = _growth_groups(statement, groups) if place.growth else []
    periods = columns(statement)
    headers = [periods[p].header or periods[p].end_date or f"period {p + 1}" for p in order]
    first_growth = 1 + len(order) + 2 * len(pairs)
    sheet.set_column(0, 0, 48)
    sheet.set_column(1, first_growth + len(growth) - 1, 14)
    sheet.freeze_panes(HEADER_ROW + 1, 1)
    sheet.write_string(0, 0, statement.title or name, formats.get(bold=True, font_size=12))
    sheet.write_string(1, 0, _unit_line(statement))
    header = formats.get(bold=True, bottom=1, text_wrap=True, align="center")
    sheet.write_string(HEADER_ROW, 0, "Line item", formats.get(bold=True, bottom=1))
    for position, text in enumerate(headers):
        sheet.write_string(HEADER_ROW, 1 + position, text, header)
    first_change = 1 + len(order)
    for offset, (a, b) in enumerate(pairs):
        later, earlier = headers[order.index(b)], headers[order.index(a)]
        sheet.write_string(HEADER_ROW, first_change + 2 * offset, f"Change {later} vs {earlier}", header)
        sheet.write_string(HEADER_ROW, first_change + 2 * offset + 1, f"% change {later} vs {earlier}", header)
    for offset, group in enumerate(growth):
        span = f"{headers[order.index(group[0])]} to {headers[order.index(group[-1])]}"
        sheet.write_string(HEADER_ROW, first_growth + offset, f"CAGR {span}", header)
    totals = _checked_totals(statement)
    for index, item in enumerate(statement.line_items):
        row = HEADER_ROW + 1 + index
        sheet.write_string(row, 0, item.label, formats.get(indent=item.depth, bold=item.is_total or item.is_heading))
        amount = formats.amount(item.scale or 1, _decimals(item), item.is_total)
        numbers: dict[int, Decimal] = {}
        by_period = {v.period_index: v for v in item.values}
        for period in order:
            col = column[period]
            cell = xl_rowcol_to_cell(row, col)
            value = by_period.get(period)
            number = cell_number(item, value) if value is not None else None
            formula = ""
            total = totals.get((index, period))
            if total is not None and total.check.passed:
                formula = _sum_formula(total.members, col)
                members = [statement.line_items[m] for m in total.members]
                number = sum((n for m in members for v in m.values if v.period_index == period
                              if (n := cell_number(m, v)) is not None), Decimal(0))
                sheet.write_formula(row, col, formula, amount, float(number))
                if total.check.actual != total.check.expected:
                    sheet.write_comment(row, col, f"Printed {total.check.expected}; "
                                                  f"its lines add up to {total.check.actual}.")
            elif number is not None:
                sheet.write_number(row, col, float(number), amount)
                if total is not None:
                    sheet.write_comment(row, col, f"As printed; its lines add up to {total.check.actual} "
                                                  f"(check failed: {total.check.name}), so this is not a formula.")
            elif value is not None and value.raw:
                sheet.write_string(row, col, value.raw)
            if number is not None:
                numbers[period] = number
            if value is not None or formula:
                origin = place.provenance.origin(place.index, index, period) if place.provenance else None
                sources.append(Source(name, cell, statement.title, item.label, headers[order.index(period)],
                                      value.raw if value is not None else "", number,
                                      origin.page if origin else item.page, origin.line if origin else item.line,
                                      formula, origin.extra if origin else ()))
        for offset, (a, b) in enumerate(pairs):
            if a not in numbers or b not in numbers:
                continue
            old = xl_rowcol_to_cell(row, column[a])
            new = xl_rowcol_to_cell(row, column[b])
            change = numbers[b] - numbers[a]
            sheet.write_formula(row, first_change + 2 * offset, f"={new}-{old}", amount, float(change))
            ratio: float | str = float(change / abs(numbers[a])) if numbers[a] else ""
            sheet.write_formula(row, first_change + 2 * offset + 1, f'=IF({old}=0,"",({new}-{old})/ABS({old}))',
                                formats.percent(item.is_total), ratio)
        for offset, group in enumerate(growth):
            cells = [(p, column[p], numbers[p]) for p in group if p in numbers]
            _write_growth(sheet, row, first_growth + offset, cells, periods, formats, item.is_total)


class _SourcesSheet:
    """The Sources sheet, written a row per value as the statements are written (constant memory: each sheet
    streams to its own temporary file, so the two interleave and nothing is held back)."""

    def __init__(self, sheet: Worksheet, formats: _Formats, extra: tuple[str, ...]) -> None:
        self.sheet = sheet
        self.rows = 0
        self.formulas = 0
        columns = ["Sheet", "Cell", "Statement", "Line item", "Period", "As printed", "Value", "Page", "Line",
                   "Formula", *extra]
        bold = formats.get(bold=True, bottom=1)
        for col, title in enumerate(columns):
            sheet.write_string(0, col, title, bold)
        sheet.freeze_panes(1, 0)
        sheet.set_column(0, 1, 12)
        sheet.set_column(2, 4, 28)
        sheet.set_column(5, 9 + len(extra), 14)

    def append(self, source: Source) -> None:
        self.rows += 1
        row, sheet = self.rows, self.sheet
        for col, text in enumerate((source.sheet, source.cell, source.statement, source.label, source.period,
                                    source.raw)):
            sheet.write_string(row, col, text)
        if source.number is not None:
            sheet.write_number(row, 6, float(source.number))
        sheet.write_number(row, 7, source.page)
        sheet.write_number(row, 8, source.line)
        if source.formula:
            self.formulas += 1
            sheet.write_string(row, 9, source.formula)
        for col, text in enumerate(source.extra, start=10):
            sheet.write_string(row, col, text)


def write_workbook(result: fs.FinancialStatementsResult, path: Path, *, provenance: Provenance | None = None,
                   growth: bool = False, span_name: str = "financial_statements.workbook") -> None:
    """Write ``result`` to ``path`` as XLSX (streamed: each sheet's rows go to disk as they are written);
    ``provenance`` and ``growth`` as the module says."""
    with _tracer.start_as_current_span(span_name) as span:
        book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                               "strings_to_numbers": False, "strings_to_urls": False,
                                               "tmpdir": str(path.parent)})
        try:
            formats = _Formats(book, {})
            statements = list(result.statements)
            names = _sheet_names(statements)
            sheets = [book.add_worksheet(name) for name in names]  # in order, Sources last
            sources = _SourcesSheet(book.add_worksheet(SOURCES_SHEET), formats,
                                    provenance.columns if provenance else ())
            for index, (name, sheet, statement) in enumerate(zip(names, sheets, statements, strict=True)):
                _write_statement(sheet, _Place(name, index, provenance, growth), statement, formats, sources)
            book.set_properties({"title": f"{result.entity or 'Financial statements'}", "comments": "Assay"})
        finally:
            book.close()
        span.set_attribute("assay.workbook.sheets", len(statements) + 1)
        span.set_attribute("assay.workbook.values", sources.rows)
        span.set_attribute("assay.workbook.subtotal_formulas", sources.formulas)
        span.set_attribute("assay.workbook.bytes", path.stat().st_size)
