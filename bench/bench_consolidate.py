"""Times the consolidate analyzer (alignment and its workbook) on synthetic results of N annual reports.

Run: ``.venv/bin/python bench/bench_consolidate.py [--reports 10] [--lines 80] [--years 3]``. Builds REPORTS
financial_statements results of one company for consecutive fiscal years, each with the five statement types of
LINES line items (sections of a heading, eight lines and their total) over YEARS years (so consecutive reports
overlap by YEARS - 1 years); every third report rewords a tenth of its labels, restates one figure per statement
of its oldest year and adds a line of its own. Then runs the analyzer once, in process, and prints the wall and
CPU time, the Python allocation peak (tracemalloc), the process's peak RSS, the lines and periods consolidated,
the restatements and unmatched lines reported, and the workbook's size and formula count.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

from assay.analysis.analyzers.consolidate import ANALYZER
from assay.analysis.analyzers.financial_statements.checks import run_checks
from assay.analysis.analyzers.financial_statements.statements import normalise
from assay.analysis.testing import LocalRunContext
from assay.v1 import consolidate_pb2 as cpb
from assay.v1 import financial_statements_pb2 as fs
from assay.v1 import job_pb2

_TYPES = [fs.STATEMENT_TYPE_BALANCE_SHEET, fs.STATEMENT_TYPE_INCOME, fs.STATEMENT_TYPE_CASH_FLOW,
          fs.STATEMENT_TYPE_COMPREHENSIVE_INCOME, fs.STATEMENT_TYPE_CHANGES_IN_EQUITY]
_WORDS = ["revenue", "inventory", "receivables", "payables", "equipment", "leases", "goodwill", "deposits",
          "taxes", "wages", "interest", "royalties", "licences", "freight", "rent", "insurance"]
_KINDS = ["accrued", "deferred", "prepaid", "current", "noncurrent", "restricted", "contract", "unbilled", "capital",
          "operating", "financing", "investing", "regional", "domestic", "foreign", "retail"]


def label(number: int) -> str:
    """A distinct two-word label per line number below 256 ("Deferred leases")."""
    return f"{_KINDS[number // len(_WORDS) % len(_KINDS)].title()} {_WORDS[number % len(_WORDS)]}"


def figure(line: int, year: int) -> int:
    return 1000 + 37 * line + 11 * (year - 2000) * (1 + line % 5)


def statement(kind: int, report: int, lines: int, years: int) -> fs.FinancialStatement:
    newest = 2010 + report
    out = fs.FinancialStatement(type=kind, title=f"{fs.StatementType.Name(kind)} {newest}", currency="USD",
                                unit_scale=1000)
    for year in range(newest, newest - years, -1):
        out.periods.append(fs.FinancialPeriod(header=str(year), end_date=f"{year}-12-31", fiscal_year=year,
                                              duration_months=0 if kind == fs.STATEMENT_TYPE_BALANCE_SHEET else 12))
    reworded = report % 3 == 2
    number = 0
    while len(out.line_items) < lines:
        section = len(out.line_items) // 10
        out.line_items.append(fs.FinancialLineItem(label=f"Section {section}:", normalized_label=f"section {section}",
                                                   is_heading=True, scale=1000))
        members = []
        for _ in range(8):
            number += 1
            text = f"Other {label(number).lower()}" if reworded and number % 10 == 0 else label(number)
            members.append(number)
            out.line_items.append(fs.FinancialLineItem(label=text, normalized_label=normalise(text), depth=1,
                                                       scale=1000))
        out.line_items.append(fs.FinancialLineItem(label=f"Total section {section}",
                                                   normalized_label=f"total section {section}", is_total=True,
                                                   scale=1000))
        for index, period in enumerate(out.periods):
            restated = reworded and index == years - 1
            values = [figure(m, period.fiscal_year) + (7 if restated and m == members[0] else 0) for m in members]
            for item, value in zip(out.line_items[-9:-1], values, strict=True):
                item.values.append(fs.FinancialValue(period_index=index, value=str(value), raw=str(value)))
            out.line_items[-1].values.append(fs.FinancialValue(period_index=index, value=str(sum(values)),
                                                               raw=str(sum(values))))
    if reworded:
        charge = f"Impairment of {_WORDS[report % len(_WORDS)]}"
        out.line_items.append(fs.FinancialLineItem(label=charge, scale=1000, normalized_label=normalise(charge),
                                                   values=[fs.FinancialValue(period_index=0, value="5", raw="5")]))
    out.checks.extend(run_checks(out))
    return out


def reports(count: int, lines: int, years: int) -> list[job_pb2.Job]:
    jobs = []
    for report in range(count):
        result = fs.FinancialStatementsResult(entity="Example Holdings plc",
                                              statements=[statement(k, report, lines, years) for k in _TYPES])
        jobs.append(job_pb2.Job(id=f"report-{report}", analyzer="financial_statements",
                                inputs=job_pb2.JobInputs(file_ids=[f"file-{report}"]),
                                result=job_pb2.JobResult(financial_statements=result)))
    return jobs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=10)
    parser.add_argument("--lines", type=int, default=80)
    parser.add_argument("--years", type=int, default=3)
    args = parser.parse_args()
    jobs = reports(args.reports, args.lines, args.years)
    with tempfile.TemporaryDirectory() as work:
        ctx = LocalRunContext(job_id="bench", tenant_id="bench", work_dir=Path(work), dependencies=jobs,
                              params=job_pb2.JobParams(consolidate=cpb.ConsolidateParams()))
        tracemalloc.start()
        wall, cpu = time.perf_counter(), time.process_time()
        result = ANALYZER.run(ctx).consolidate
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        book = next(a.path for a in ctx.artifacts if a.name == "consolidated.xlsx")
        with zipfile.ZipFile(book) as archive:
            formulas = sum(archive.read(n).count(b"<f>") for n in archive.namelist() if n.startswith("xl/worksheets/"))
        size = book.stat().st_size
    lines = sum(len(s.lines) for s in result.statements)
    periods = max(len(s.periods) for s in result.statements)
    print(f"{args.reports} reports x 5 statements x {args.lines} lines x {args.years} years -> {lines} lines, "
          f"{periods} periods per statement")
    print(f"restatements reported {result.restated_values} (each older filing that differs), "
          f"unmatched lines {result.unmatched_lines}")
    print(f"wall {wall:.2f} s, CPU {cpu:.2f} s, Python allocation peak {peak / 2**20:.1f} MiB, "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    print(f"workbook {size / 1024:.0f} KiB, {formulas} formulas")


if __name__ == "__main__":
    main()
