"""Measures the consolidate analyzer on labelled filings of the development corpus: line alignment, periods,
figures, refusals, time and memory.

Run: ``.venv/bin/python bench/eval_consolidate.py CORPUS [--labels bench/labels/consolidate/labels.json] [--dump]``

Each case's documents (paths relative to CORPUS) go through financial_statements, then consolidate, in process.
Per case and in total it prints:
- alignment precision and recall over labelled pairs: two lines of different documents that are the same line
  (a consolidated line whose figures come from both is a predicted pair; lines without figures are not counted);
- labelled lines that must stay on their own (only one document has them): kept apart or wrongly merged;
- labelled figures (statement, line, period end, duration, value in full units) given exactly;
- cases that must be refused (different companies) and the code they got;
- the time of the extraction and of the consolidation with its workbook, and the peak RSS.
``--dump`` prints every consolidated line with the label each document gives it, to write labels from.

Labels: ``{"cases": [{"name", "documents": [...], "sha256": {path: hex}, "statements": {TYPE: {"same_line":
[[label in documents[0], label in documents[1]], ...], "alone": [[document index, label], ...]}}, "values":
[[TYPE, label, end date, duration months, value]], "refused": CODE}]}``; a label that occurs twice in one
statement is written ``label#2`` for its second occurrence.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from assay.analysis.analyzers.consolidate import ANALYZER as CONSOLIDATE
from assay.analysis.analyzers.financial_statements import ANALYZER as FINANCIAL_STATEMENTS
from assay.analysis.plugin import AnalysisInputError, InputDocument
from assay.analysis.testing import LocalRunContext
from assay.v1 import consolidate_pb2 as cpb
from assay.v1 import financial_statements_pb2 as fs
from assay.v1 import job_pb2

_MEDIA = {".pdf": "application/pdf", ".csv": "text/csv", ".html": "text/plain",
          ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
SourceLine = tuple[int, str]
"""(document index, label or label#n)."""


def extract(path: Path, index: int, work: Path) -> job_pb2.Job:
    ctx = LocalRunContext(job_id=f"doc{index}", tenant_id="bench", work_dir=work, params=job_pb2.JobParams(),
                          inputs=[InputDocument(f"file{index}", path, _MEDIA.get(path.suffix.lower(), "text/plain"),
                                                path.name, path.stat().st_size)])
    result = FINANCIAL_STATEMENTS.run(ctx)
    return job_pb2.Job(id=f"doc{index}", analyzer="financial_statements", state=job_pb2.Job.STATE_SUCCEEDED,
                       inputs=job_pb2.JobInputs(file_ids=[f"file{index}"]), result=result)


def occurrences(statement: fs.FinancialStatement) -> dict[tuple[int, int], str]:
    """(page, line) -> the label, ``#n`` appended for its n-th occurrence (n >= 2) in the statement."""
    seen: Counter[str] = Counter()
    out = {}
    for item in statement.line_items:
        seen[item.label] += 1
        out[(item.page, item.line)] = item.label + (f"#{seen[item.label]}" if seen[item.label] > 1 else "")
    return out


def source_lines(result: cpb.ConsolidateResult, jobs: list[job_pb2.Job], kind: int,
                 line: cpb.ConsolidatedLine) -> set[SourceLine]:
    """The documents' lines behind a consolidated line (by its figures' page and line)."""
    document_of = {source_index: int(source.job_id.removeprefix("doc")) for source_index, source in
                   enumerate(result.sources)}
    found = set()
    for value in line.values:
        document = document_of[value.source_index]
        statement = next(s for s in jobs[document].result.financial_statements.statements if s.type == kind)
        label = occurrences(statement).get((value.page, value.line))
        if label is not None:
            found.add((document, label))
    return found


def score(case: dict, result: cpb.ConsolidateResult, jobs: list[job_pb2.Job], dump: bool) -> Counter[str]:
    counts: Counter[str] = Counter()
    for statement in result.statements:
        name = fs.StatementType.Name(statement.type).removeprefix("STATEMENT_TYPE_")
        labels = case.get("statements", {}).get(name)
        lines = [source_lines(result, jobs, statement.type, line) for line in statement.lines]
        if dump:
            print(f"  {name}: {[(p.header, p.end_date, p.duration_months) for p in statement.periods]}")
            for line, behind in zip(statement.lines, lines, strict=True):
                print(f"    {line.label!r:60} {cpb.LineMatch.Name(line.match):28} {sorted(behind)}")
        if labels is None:
            continue
        predicted = {(a, b) for behind in lines for (da, a) in behind for (db, b) in behind if da == 0 and db == 1}
        gold = {tuple(pair) for pair in labels.get("same_line", [])}
        counts["pairs_predicted"] += len(predicted)
        counts["pairs_gold"] += len(gold)
        counts["pairs_right"] += len(predicted & gold)
        for wrong in sorted(predicted - gold):
            print(f"    {name}: merged, not the same line: {wrong}")
        for missed in sorted(gold - predicted):
            print(f"    {name}: not merged: {missed}")
        for document, label in labels.get("alone", []):
            counts["alone_labelled"] += 1
            together = next((b for b in lines if (document, label) in b), set())
            if together and all(d == document for d, _ in together):
                counts["alone_kept"] += 1
            else:
                print(f"    {name}: should stay alone: {label!r} of document {document}, merged with {together}")
    for kind, label, end, months, value in case.get("values", []):
        counts["values_labelled"] += 1
        statement = next(s for s in result.statements if s.type == fs.StatementType.Value(f"STATEMENT_TYPE_{kind}"))
        periods = [i for i, p in enumerate(statement.periods) if p.end_date == end and p.duration_months == months]
        got = [v.value for line in statement.lines if line.label == label for v in line.values
               if v.period_index in periods]
        if got == [value]:
            counts["values_exact"] += 1
        else:
            print(f"    value {kind} {label!r} {end} ({months} months): {got} (labelled {value})")
    return counts


def run_case(case: dict, corpus: Path, dump: bool) -> tuple[Counter[str], float, float]:
    paths = [corpus / document for document in case["documents"]]
    for path in paths:
        expected = case.get("sha256", {}).get(str(path.relative_to(corpus)))
        if expected and hashlib.sha256(path.read_bytes()).hexdigest() != expected:
            print(f"  warning: {path} is not the labelled version")
    with tempfile.TemporaryDirectory() as work:
        start = time.perf_counter()
        jobs = [extract(path, index, Path(work)) for index, path in enumerate(paths)]
        extracted = time.perf_counter()
        ctx = LocalRunContext(job_id="consolidate", tenant_id="bench", work_dir=Path(work), dependencies=jobs,
                              params=job_pb2.JobParams(consolidate=cpb.ConsolidateParams()))
        try:
            result = CONSOLIDATE.run(ctx).consolidate
            refused = ""
        except AnalysisInputError as error:
            refused, result = error.code, cpb.ConsolidateResult()
        consolidated = time.perf_counter()
    counts: Counter[str] = Counter()
    if "refused" in case:
        counts["refusals_labelled"] += 1
        counts["refusals_right"] += refused == case["refused"]
        print(f"  refused: {refused or 'no'} (labelled {case['refused']})")
    elif refused:
        print(f"  refused {refused}, not expected")
    else:
        counts += score(case, result, jobs, dump)
        counts["restated"] += result.restated_values
        counts["unmatched"] += result.unmatched_lines
    return counts, extracted - start, consolidated - extracted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--labels", type=Path, default=Path(__file__).parent / "labels/consolidate/labels.json")
    parser.add_argument("--dump", action="store_true")
    args = parser.parse_args()
    cases = json.loads(args.labels.read_text(encoding="utf-8"))["cases"]
    total: Counter[str] = Counter()
    for case in cases:
        print(f"{case['name']}:")
        counts, extraction, consolidation = run_case(case, args.corpus, args.dump)
        total += counts
        print(f"  {dict(sorted(counts.items()))}")
        print(f"  extraction {extraction:.2f} s, consolidation and workbook {consolidation:.3f} s")
    precision = total["pairs_right"] / max(1, total["pairs_predicted"])
    recall = total["pairs_right"] / max(1, total["pairs_gold"])
    print(f"\nalignment: precision {precision:.3f} ({total['pairs_right']}/{total['pairs_predicted']}), "
          f"recall {recall:.3f} ({total['pairs_right']}/{total['pairs_gold']})")
    print(f"kept alone: {total['alone_kept']}/{total['alone_labelled']}; "
          f"figures exact: {total['values_exact']}/{total['values_labelled']}; "
          f"refusals right: {total['refusals_right']}/{total['refusals_labelled']}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
