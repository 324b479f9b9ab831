"""Arithmetic checks over a statement's figures: each passed or failed, with the figures."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from assay.analysis.analyzers.financial_statements.amounts import decimal_text, is_dash
from assay.analysis.analyzers.financial_statements.classify import BALANCE, CASH_FLOW
from assay.v1 import financial_statements_pb2 as fs

Finder = Callable[[int], Decimal | None]
SUBTOTAL_SUFFIX = " = sum of its lines"
"""A subtotal check is named after its total: "Total current assets = sum of its lines"."""


def _value(item: fs.FinancialLineItem, period: int) -> Decimal | None:
    """The value in ``period``; a printed dash counts as zero here (it means "none" in a sum)."""
    for value in item.values:
        if value.period_index == period and value.value:
            return Decimal(value.value)
        if value.period_index == period and is_dash(value.raw):
            return Decimal(0)
    return None


def _find(statement: fs.FinancialStatement, pattern: str, exclude: str = "") -> fs.FinancialLineItem | None:
    regex = re.compile(pattern, re.I)
    skip = re.compile(exclude, re.I) if exclude else None
    for item in statement.line_items:
        if regex.search(item.normalized_label) and not (skip and skip.search(item.normalized_label)):
            return item
    return None


def _tolerance(*values: Decimal) -> Decimal:
    """The expected figure first, then the parts: one unit of the last printed digit per part beyond the first.

    Two printed figures that should be the same figure must agree exactly; a sum of n rounded parts
    may be off by n - 1 units from its rounded total.
    """
    exponent = min((v.as_tuple().exponent for v in values if isinstance(v.as_tuple().exponent, int)), default=0)
    return Decimal(1).scaleb(int(exponent)) * max(0, len(values) - 2)


def _check(name: str, period: int, expected: Decimal, parts: list[tuple[str, Decimal]]) -> fs.FinancialCheck:
    actual = sum((v for _, v in parts), Decimal(0))
    passed = abs(actual - expected) <= _tolerance(expected, *(v for _, v in parts))
    return fs.FinancialCheck(name=name, passed=passed, period_index=period, expected=decimal_text(expected),
                             actual=decimal_text(actual), detail=" + ".join(f"{label} ({decimal_text(v)})"
                                                                             for label, v in parts))


def balance_checks(statement: fs.FinancialStatement) -> list[fs.FinancialCheck]:
    """Total assets = total liabilities and equity (or liabilities + temporary equity + equity)."""
    assets = _find(statement, r"^total assets$")
    both = _find(statement, r"^total liabilities (?:and|&) .*(?:equity|deficit|capital)|"
                            r"(?:^|- )total (?:\w+ )?(?:equity|deficit) (?:and|&) liabilities$")
    liabilities = _find(statement, r"^total liabilities$")
    equity = _find(statement, r"(?:^|- )total (?:\w+ )?(?:equity|deficit)$|"
                              r"^total (?:stock|share)holders (?:equity|deficit)", exclude="liabilities")
    temporary = _find(statement, r"redeemable|temporary equity|mezzanine")
    out: list[fs.FinancialCheck] = []
    if assets is None:
        return out
    for period in range(len(statement.periods)):
        total = _value(assets, period)
        if total is None:
            continue
        if both is not None and _value(both, period) is not None:
            value = _value(both, period)
            assert value is not None
            out.append(_check("total assets = total liabilities and equity", period, total,
                              [(both.label, value)]))
        if liabilities is not None and equity is not None:
            lv, ev = _value(liabilities, period), _value(equity, period)
            if lv is not None and ev is not None:
                parts = [(liabilities.label, lv), (equity.label, ev)]
                tv = _value(temporary, period) if temporary is not None and temporary.is_total is False else None
                if tv is not None and temporary is not None and abs(lv + ev - total) > _tolerance(total, lv, ev):
                    parts.insert(1, (temporary.label, tv))
                if both is not None and _value(both, period) is not None and not _adds(total, parts):
                    continue  # equity total excludes items between it and the grand total: the first check covers it
                out.append(_check("total assets = total liabilities + equity", period, total, parts))
    return out


def _adds(total: Decimal, parts: list[tuple[str, Decimal]]) -> bool:
    return abs(sum((v for _, v in parts), Decimal(0)) - total) <= _tolerance(total, *(v for _, v in parts))


CASH_FLOW_CHECK = "net change in cash = operating + investing + financing (+ FX)"


def cash_flow_lines(statement: fs.FinancialStatement) -> tuple[int, list[int], int | None] | None:
    """Line indices of the net change in cash, of operating, investing and financing, and of an exchange-rate
    effect printed below financing (None when there is none); None when one of the first four is missing."""
    operating = _find(statement, r"^net cash .*operating activities|operating activities$", exclude="^adjustments")
    investing = _find(statement, r"^net cash .*investing activities|investing activities$")
    financing = _find(statement, r"^net cash .*financing activities|financing activities$")
    fx = _find(statement, r"exchange rate|foreign (?:currency|exchange)")
    change = _find(statement, r"^net (?:increase|decrease|change|\(?decrease\)? increase|increase \(?decrease\)?)"
                              r".*cash|^(?:increase|decrease|change) in cash|^net cash flow$")
    if operating is None or investing is None or financing is None or change is None:
        return None
    items = list(statement.line_items)
    below = fx is not None and _after(statement, fx, financing)
    return (items.index(change), [items.index(operating), items.index(investing), items.index(financing)],
            items.index(fx) if fx is not None and below else None)


def cash_flow_checks(statement: fs.FinancialStatement) -> list[fs.FinancialCheck]:
    """Net change in cash = operating + investing + financing (+ exchange-rate effect)."""
    lines = cash_flow_lines(statement)
    out: list[fs.FinancialCheck] = []
    if lines is None:
        return out
    change, flows, fx = lines
    items = statement.line_items
    for period in range(len(statement.periods)):
        values = [(items[i].label, _value(items[i], period)) for i in flows]
        total = _value(items[change], period)
        if total is None or any(v is None for _, v in values):
            continue
        parts = [(label, v) for label, v in values if v is not None]
        if fx is not None and (fx_value := _value(items[fx], period)) is not None:
            parts.append((items[fx].label, fx_value))
        out.append(_check(CASH_FLOW_CHECK, period, total, parts))
    return out


def _after(statement: fs.FinancialStatement, item: fs.FinancialLineItem, anchor: fs.FinancialLineItem) -> bool:
    """Whether ``item`` is printed below ``anchor`` (an FX line above financing is an operating adjustment)."""
    items = list(statement.line_items)
    return items.index(item) > items.index(anchor)


def subtotal_spans(statement: fs.FinancialStatement) -> list[tuple[int, int, int]]:
    """``(total, first, last)`` line indices: a "Total X" line and the run of lines between it and the heading "X:".

    The members are contiguous (the heading's next line up to the line before the total), at least two of them.
    """
    out: list[tuple[int, int, int]] = []
    items = list(statement.line_items)
    for index, item in enumerate(items):
        name = item.normalized_label
        if not name.startswith("total ") or not item.values:
            continue
        heading = None
        first = index
        for position in range(index - 1, -1, -1):
            prev = items[position]
            if prev.is_heading:
                heading = prev
                break
            if prev.is_total:
                break
            first = position
        if heading is None or index - first < 2 or not heading.normalized_label \
                or heading.normalized_label not in name:
            continue
        out.append((index, first, index - 1))
    return out


def subtotal_checks(statement: fs.FinancialStatement) -> list[fs.FinancialCheck]:
    """A "Total X" line equals the lines between it and the heading that names X ("X:")."""
    out: list[fs.FinancialCheck] = []
    items = list(statement.line_items)
    for index, first, last in subtotal_spans(statement):
        item = items[index]
        members = items[first:last + 1]
        for period in range(len(statement.periods)):
            expected = _value(item, period)
            known = [(m.label, v) for m in members if (v := _value(m, period)) is not None]
            if expected is None or not known:
                continue
            out.append(_check(item.label + SUBTOTAL_SUFFIX, period, expected, known))
    return out


def run_checks(statement: fs.FinancialStatement) -> list[fs.FinancialCheck]:
    checks = subtotal_checks(statement)
    if statement.type == BALANCE:
        checks = balance_checks(statement) + checks
    if statement.type == CASH_FLOW:
        checks = cash_flow_checks(statement) + checks
    return checks


_NET_INCOME = r"^net (?:income|earnings|loss|profit|\(?loss\)? income|income \(?loss\)?|earnings \(?loss\)?)"
_CASH_END = r"^cash (?:and cash equivalents,? )?(?:at )?end of (?:the )?(?:period|year)"


def _matching_periods(a: fs.FinancialStatement, b: fs.FinancialStatement, same_duration: bool) -> list[tuple[int, int]]:
    """Pairs of period indices naming the same period (end date, and duration when asked)."""
    pairs = []
    for i, pa in enumerate(a.periods):
        for j, pb in enumerate(b.periods):
            if pa.end_date and pa.end_date == pb.end_date and (
                    not same_duration or not pa.duration_months or not pb.duration_months
                    or pa.duration_months == pb.duration_months):
                pairs.append((i, j))
                break
    return pairs


def cross_checks(cash: fs.FinancialStatement, others: list[fs.FinancialStatement]) -> None:
    """Net income as the income and cash-flow statements print it; closing cash against the balance sheet.

    The checks are added to the cash-flow statement ``cash``, for periods both statements name by
    end date; of ``others`` (the same scope's statements), the income statement and balance sheet
    sharing the most such periods with it are used.
    """
    if not cash.line_items:
        return
    by_type: dict[int, fs.FinancialStatement] = {}
    for kind, same_duration in ((fs.STATEMENT_TYPE_INCOME, True), (BALANCE, False)):
        scored = [(len(_matching_periods(s, cash, same_duration=same_duration)), -i, s)
                  for i, s in enumerate(others) if s.type == kind]
        if scored:
            by_type[kind] = max(scored, key=lambda t: t[:2])[2]
    income = by_type.get(fs.STATEMENT_TYPE_INCOME)
    first = next((i for i in cash.line_items if i.values), None)
    if income is not None and first is not None and re.search(_NET_INCOME, first.normalized_label):
        reported = _find(income, _NET_INCOME + r"$|" + _NET_INCOME + r" (?:attributable to|for the)")
        if reported is not None:
            for i, j in _matching_periods(income, cash, same_duration=True):
                expected, actual = _value(reported, i), _value(first, j)
                if expected is not None and actual is not None:
                    check = _check("net income (income statement) = cash flow's starting line", j, expected,
                                   [(first.label, actual)])
                    cash.checks.append(check)
    balance = by_type.get(BALANCE)
    closing = _find(cash, _CASH_END)
    held = _find(balance, r"^cash and cash equivalents$") if balance is not None else None
    if balance is not None and closing is not None and held is not None:
        for i, j in _matching_periods(balance, cash, same_duration=False):
            expected, actual = _value(held, i), _value(closing, j)
            if expected is not None and actual is not None:
                cash.checks.append(_check("closing cash (cash flow) = cash (balance sheet)", j, expected,
                                          [(closing.label, actual)]))
