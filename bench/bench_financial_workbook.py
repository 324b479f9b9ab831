"""Times the financial_statements workbook export (``financial_statements.xlsx``) on a synthetic result.

Run: ``.venv/bin/python bench/bench_financial_workbook.py [--statements 10] [--lines 120] [--periods 3]
[--repeat 5]``. Builds a result of STATEMENTS statements, each of LINES line items in sections of a
heading, eight lines and their total (so every section total is a live ``=SUM``), over PERIODS
periods, runs the analyzer's own checks on it, then writes the workbook REPEAT times and prints the
median and worst wall time, the median CPU time, the Python allocation peak of one export (tracemalloc), the process's
peak RSS, the workbook's size and its formula count.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

from assay.analysis.analyzers.financial_statements.checks import run_checks
from assay.analysis.analyzers.financial_statements.workbook import write_workbook
from assay.v1 import financial_statements_pb2 as fs

_TYPES = [fs.STATEMENT_TYPE_BALANCE_SHEET, fs.STATEMENT_TYPE_INCOME, fs.STATEMENT_TYPE_CASH_FLOW,
          fs.STATEMENT_TYPE_COMPREHENSIVE_INCOME, fs.STATEMENT_TYPE_CHANGES_IN_EQUITY]


def statement(number: int, lines: int, periods: int) -> fs.FinancialStatement:
    out = fs.FinancialStatement(type=_TYPES[number % len(_TYPES)], title=f"Statement {number + 1}", currency="USD",
                                unit_scale=1000, unit_text="(in thousands)")
    for p in range(periods):
        year = 2024 - p
        out.periods.append(fs.FinancialPeriod(header=str(year), end_date=f"{year}-12-31", fiscal_year=year,
                                              duration_months=12))
    section = 0
    while len(out.line_items) < lines:
        section += 1
        name = f"section {section}"
        out.line_items.append(fs.FinancialLineItem(label=f"Section {section}:", normalized_label=name,
                                                   is_heading=True, page=number + 1, line=len(out.line_items) + 1))
        sums = [0] * periods
        for k in range(8):
            item = fs.FinancialLineItem(label=f"Line {section}.{k}", normalized_label=f"line {section} {k}", depth=1,
                                        page=number + 1, line=len(out.line_items) + 1, scale=1000)
            for p in range(periods):
                value = 1000 + 37 * section + 11 * k - 5 * p
                sums[p] += value
                item.values.append(fs.FinancialValue(period_index=p, value=str(value), raw=f"{value:,}"))
            out.line_items.append(item)
        total = fs.FinancialLineItem(label=f"Total section {section}", normalized_label=f"total {name}",
                                     is_total=True, page=number + 1, line=len(out.line_items) + 1, scale=1000)
        total.values.extend(fs.FinancialValue(period_index=p, value=str(v), raw=f"{v:,}") for p, v in enumerate(sums))
        out.line_items.append(total)
    out.checks.extend(run_checks(out))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=10)
    parser.add_argument("--lines", type=int, default=120)
    parser.add_argument("--periods", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    result = fs.FinancialStatementsResult(entity="Bench Corp", format="pdf", statements=[
        statement(n, args.lines, args.periods) for n in range(args.statements)])
    values = sum(len(i.values) for s in result.statements for i in s.line_items)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.xlsx"
        times, cpu = [], []
        for _ in range(args.repeat):
            started, used = time.perf_counter(), time.process_time()
            write_workbook(result, path)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - used)
        tracemalloc.start()
        write_workbook(result, path)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        size = path.stat().st_size
        with zipfile.ZipFile(path) as archive:
            formulas = sum(archive.read(n).count(b"<f>") for n in archive.namelist() if n.startswith("xl/worksheets/"))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.statements} statements x {args.lines} lines x {args.periods} periods: {values} values, "
          f"{formulas} formulas, {size / 1024:.0f} KiB")
    print(f"export: median {statistics.median(times) * 1000:.0f} ms, worst {max(times) * 1000:.0f} ms "
          f"({args.repeat} runs; CPU median {statistics.median(cpu) * 1000:.0f} ms); "
          f"Python allocation peak {peak / 2**20:.1f} MiB; process peak RSS {rss:.0f} MiB")


if __name__ == "__main__":
    main()
