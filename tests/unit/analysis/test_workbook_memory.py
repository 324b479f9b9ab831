"""The workbook export streams: its Python allocation peak hardly grows with the number of values (each sheet,
Sources included, goes to disk row by row as it is written)."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

from assay.analysis.analyzers.financial_statements.workbook import write_workbook
from assay.v1 import financial_statements_pb2 as fs


def result(lines: int) -> fs.FinancialStatementsResult:
    statement = fs.FinancialStatement(type=fs.STATEMENT_TYPE_INCOME, title="Income", unit_scale=1000)
    for year in (2024, 2023, 2022):
        statement.periods.append(fs.FinancialPeriod(header=str(year), end_date=f"{year}-12-31", fiscal_year=year,
                                                    duration_months=12))
    for number in range(lines):
        statement.line_items.append(fs.FinancialLineItem(
            label=f"Line {number}", normalized_label=f"line {number}", scale=1000, page=1, line=number + 1,
            values=[fs.FinancialValue(period_index=p, value=str(1000 + number + p), raw=str(1000 + number + p))
                    for p in range(3)]))
    return fs.FinancialStatementsResult(statements=[statement])


def peak(tmp_path: Path, lines: int) -> int:
    data = result(lines)
    tracemalloc.start()
    try:
        write_workbook(data, tmp_path / f"w{lines}.xlsx")
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_thirty_times_the_values_take_far_less_than_thirty_times_the_memory(tmp_path: Path) -> None:
    small, large = peak(tmp_path, 100), peak(tmp_path, 3_000)  # 300 values and 9,000 (and their Sources rows)
    assert large < small * 3, (small, large)  # holding the Sources rows until the end: about 12 times
