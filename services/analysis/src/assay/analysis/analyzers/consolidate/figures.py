"""Period order (grouped by duration, oldest first), changes between consecutive periods, CAGR and trend."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from itertools import pairwise

from assay.analysis.analyzers.financial_statements.amounts import decimal_text
from assay.analysis.analyzers.financial_statements.workbook import GROWTH_DURATIONS, cagr, years_between
from assay.v1 import consolidate_pb2 as cpb
from assay.v1 import financial_statements_pb2 as fs

_PLACES = Decimal("0.000001")


def amount_text(value: Decimal) -> str:
    """An exact figure in plain notation, whole numbers without a decimal point ("133100000", "1.70")."""
    whole = value.to_integral_value()
    return decimal_text(whole if value == whole else value)


def fraction_text(value: Decimal | float) -> str:
    """A ratio rounded to 6 places, without trailing zeros ("0.125")."""
    return f"{Decimal(value).quantize(_PLACES, rounding=ROUND_HALF_EVEN).normalize():f}"


def _when(period: cpb.ConsolidatedPeriod) -> str:
    return period.end_date or (f"{period.fiscal_year:04d}" if period.fiscal_year else "")


def ordered(periods: Sequence[cpb.ConsolidatedPeriod]) -> list[int]:
    """Indexes of ``periods`` grouped by duration (in order of first appearance), each group oldest first,
    which is the column order of financial_statements' workbook (its ``period_groups``)."""
    groups: dict[int, list[int]] = {}
    for index, period in enumerate(periods):
        groups.setdefault(period.duration_months, []).append(index)
    return [i for members in groups.values() for i in sorted(members, key=lambda i: (_when(periods[i]), i))]


def groups(periods: Sequence[cpb.ConsolidatedPeriod]) -> list[list[int]]:
    """The period indexes (already in ``ordered`` order) split by duration."""
    out: dict[int, list[int]] = {}
    for index, period in enumerate(periods):
        out.setdefault(period.duration_months, []).append(index)
    return list(out.values())


def _period(period: cpb.ConsolidatedPeriod) -> fs.FinancialPeriod:
    return fs.FinancialPeriod(header=period.header, end_date=period.end_date, fiscal_year=period.fiscal_year,
                              duration_months=period.duration_months)


def analyse(line: cpb.ConsolidatedLine, periods: Sequence[cpb.ConsolidatedPeriod]) -> None:
    """Fill ``line``'s changes, CAGR and trend from its values (periods in ``ordered`` order)."""
    numbers = {v.period_index: Decimal(v.value) for v in line.values}
    signs = []
    growth_done = False
    for group in groups(periods):
        for a, b in pairwise(group):
            if a in numbers and b in numbers:
                change = numbers[b] - numbers[a]
                percent = fraction_text(change / abs(numbers[a])) if numbers[a] else ""
                line.changes.append(cpb.ConsolidatedChange(from_period=a, to_period=b, absolute=amount_text(change),
                                                           percent=percent))
                signs.append((change > 0) - (change < 0))
        present = [p for p in group if p in numbers]
        if growth_done or len(present) < 2 or periods[group[0]].duration_months not in GROWTH_DURATIONS:
            continue
        years = years_between(_period(periods[present[0]]), _period(periods[present[-1]]))
        rate = cagr(numbers[present[0]], numbers[present[-1]], years) if years else None
        if rate is not None:
            line.cagr = fraction_text(rate)
            growth_done = True
    if signs:
        line.trend = (cpb.TREND_FLAT if not any(signs) else cpb.TREND_UP if all(s > 0 for s in signs)
                      else cpb.TREND_DOWN if all(s < 0 for s in signs) else cpb.TREND_MIXED)
