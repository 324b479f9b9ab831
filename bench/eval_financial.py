"""Measures the financial_statements analyzer on labelled filings: type accuracy, line-item exactness, speed.

Run:
  ``.venv/bin/python bench/eval_financial.py corpus DIR [--labels bench/labels/financial/labels.json]``
    runs the analyzer on every labelled document under DIR (paths in the labels are relative to
    it) and prints, per document and in total: statement types found on the labelled pages,
    labelled line-item values read exactly, checks passed, pages/s and the peak RSS;
  ``.venv/bin/python bench/eval_financial.py corpus DIR --as-markdown``
    the same, with every HTML filing first rendered as markdown (paragraphs, and each table as a
    pipe table of its cells, colspans dropped, as HTML-to-markdown converters do); page numbers
    are then not compared (markdown has none);
  ``.venv/bin/python bench/eval_financial.py corpus DIR --scanned DPI``
    the same, with every PDF first turned into a scan without a text layer (each page rendered to a
    grey image at DPI, ``tests/fixtures/scans.py``): the analyzer reads it through OCR (Tesseract);
  ``.venv/bin/python bench/eval_financial.py long PDF [--pages 300]``
    builds a PDF of about N pages by repeating PDF's pages (real filing pages, statements
    included) and times the analyzer on it in a child process (wall time, pages/s, peak RSS).

Labels: ``{"relative/path": {"statements": [{"type": "BALANCE_SHEET", "pages": [first, last],
"items": [[label as printed, column index, exact value], ...]}]}}``. A statement counts as found
when one of its type is reported with an overlapping page range; an item is exact when the first
line item of that statement whose normalised label equals the label's has exactly that value in
that column.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from assay.analysis.analyzers.financial_statements import ANALYZER
from assay.analysis.analyzers.financial_statements.statements import normalise
from assay.analysis.plugin import AnalysisInputError, InputDocument
from assay.analysis.testing import LocalRunContext
from assay.v1 import financial_statements_pb2 as fs
from assay.v1 import job_pb2

_MEDIA = {".pdf": "application/pdf", ".csv": "text/csv", ".html": "text/plain", ".htm": "text/plain",
          ".md": "text/plain", ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def analyse(path: Path) -> tuple[fs.FinancialStatementsResult, float]:
    with tempfile.TemporaryDirectory() as work:
        ctx = LocalRunContext(job_id="bench", tenant_id="bench", work_dir=Path(work),
                              params=job_pb2.JobParams(financial_statements=fs.FinancialStatementsParams()),
                              inputs=[InputDocument("f", path, _MEDIA.get(path.suffix.lower(), "text/plain"),
                                                    path.name, path.stat().st_size)])
        start = time.perf_counter()
        result = ANALYZER.run(ctx).financial_statements
        return result, time.perf_counter() - start


def _value(item: fs.FinancialLineItem, column: int) -> str | None:
    for value in item.values:
        if value.period_index == column and value.value:
            return value.value
    return None


def score_items(statement: fs.FinancialStatement | None, items: list[list[object]]) -> tuple[int, list[str]]:
    exact, misses = 0, []
    for label, column, expected in items:
        wanted = normalise(str(label))
        got = None
        if statement is not None:
            for item in statement.line_items:
                if item.normalized_label == wanted and _value(item, int(str(column))) is not None:
                    got = _value(item, int(str(column)))
                    break
        if got is not None and Decimal(got) == Decimal(str(expected)):
            exact += 1
        else:
            misses.append(f"{label}[{column}]={expected} got {got}")
    return exact, misses


def html_to_markdown(source: Path, target: Path) -> Path:
    """A plain HTML-to-markdown rendering: leaf paragraphs as text, tables as pipe tables of their cells."""
    from lxml import html

    data = source.read_bytes()
    root = html.fromstring(data[max(0, data.lower().find(b"<html")):])
    out: list[str] = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.lower()
        if tag == "table":
            rows = []
            for tr in el.iter("tr"):
                cells = [" ".join("".join(td.itertext()).split()) for td in tr
                         if isinstance(td.tag, str) and td.tag.lower() in ("td", "th")]
                if any(cells):
                    rows.append("| " + " | ".join(cells) + " |")
            if rows:
                out += ["", rows[0], "|" + "---|" * (rows[0].count("|") - 1), *rows[1:], ""]
        elif tag in ("p", "div") and not el.findall(".//table") and not el.findall(".//div") \
                and not el.findall(".//p"):
            text = " ".join("".join(el.itertext()).split())
            if text:
                out += [text, ""]
    target.write_text("\n".join(out), encoding="utf-8")
    return target


def scan(source: Path, target: Path, dpi: int) -> Path:
    """``source`` as an image-only PDF at ``target`` (the tests' own scanner)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from fixtures.scans import write_image_only_pdf

    return write_image_only_pdf(target, source, dpi)


def bench_corpus(directory: Path, labels_path: Path, as_markdown: bool = False, scanned_dpi: int = 0) -> None:
    labels = {k: v for k, v in json.loads(labels_path.read_text(encoding="utf-8")).items() if not k.startswith("_")}
    totals = {"statements": 0, "found": 0, "extra": 0, "items": 0, "exact": 0, "passed": 0, "checks": 0,
              "pages": 0, "seconds": 0.0}
    print(f"{'document':48} {'types':>7} {'extra':>5} {'items':>7} {'checks':>7} {'pages':>5} {'s':>6} {'pages/s':>8}")
    rendered = tempfile.TemporaryDirectory()
    for name, label in labels.items():
        path = directory / name
        if as_markdown and path.suffix.lower() in {".html", ".htm"}:
            path = html_to_markdown(path, Path(rendered.name) / (path.stem + ".md"))
        if scanned_dpi and path.suffix.lower() == ".pdf":
            path = scan(path, Path(rendered.name) / path.name, scanned_dpi)
        pages_compared = not (as_markdown and path.suffix == ".md")
        try:
            result, seconds = analyse(path)
        except AnalysisInputError as exc:
            print(f"{name:48} ERROR {exc.code}: {exc.message}")
            totals["statements"] += len(label["statements"])
            totals["items"] += sum(len(s["items"]) for s in label["statements"])
            continue
        found = exact = items = 0
        misses: list[str] = []
        matched: set[int] = set()  # indices into result.statements
        for expected in label["statements"]:
            kind = fs.StatementType.Value("STATEMENT_TYPE_" + expected["type"])
            first, last = expected["pages"]
            index = next((i for i, s in enumerate(result.statements) if s.type == kind
                          and (not pages_compared or (s.first_page <= last and s.last_page >= first))), None)
            statement = result.statements[index] if index is not None else None
            if index is not None:
                found += 1
                matched.add(index)
            else:
                misses.append(f"{expected['type']} p{first}-{last} not found")
            hits, missed = score_items(statement, expected["items"])
            exact += hits
            items += len(expected["items"])
            misses += [f"{expected['type']}: {m}" for m in missed]
        extra = len(result.statements) - len(matched)
        passed = result.checks_passed
        checks = result.checks_passed + result.checks_failed
        print(f"{name:48} {found:>3}/{len(label['statements']):<3} {extra:>5} {exact:>3}/{items:<3} "
              f"{passed:>3}/{checks:<3} {result.pages:>5} {seconds:>6.2f} {result.pages / seconds:>8.0f}")
        if result.ocr.pages:
            print(f"    ocr: {len(result.ocr.pages)} pages in {result.ocr.seconds:.1f} s "
                  f"({len(result.ocr.pages) / max(1e-9, result.ocr.seconds):.2f} pages/s), "
                  f"mean word confidence {result.ocr.mean_word_confidence:.1f}")
        for miss in misses:
            print(f"    miss: {miss}")
        for statement in result.statements:
            for check in statement.checks:
                if not check.passed:
                    print(f"    failed check: {fs.StatementType.Name(statement.type)} {check.name} "
                          f"[{check.period_index}] {check.expected} != {check.actual}")
        for key, value in (("statements", len(label["statements"])), ("found", found), ("extra", extra),
                           ("items", items), ("exact", exact), ("passed", passed), ("checks", checks),
                           ("pages", result.pages), ("seconds", seconds)):
            totals[key] += value
    rendered.cleanup()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nstatement type/location: {totals['found']}/{totals['statements']} "
          f"= {totals['found'] / max(1, totals['statements']):.3f} ({totals['extra']} reported beyond the labels)")
    share = totals["exact"] / max(1, totals["items"])
    print(f"line-item values exact:  {totals['exact']}/{totals['items']} = {share:.3f}")
    print(f"checks passed:           {totals['passed']}/{totals['checks']}")
    print(f"pages/s (all formats):   {totals['pages'] / max(1e-9, totals['seconds']):.0f} "
          f"({totals['pages']} pages in {totals['seconds']:.2f} s)")
    print(f"peak RSS of this process: {peak:.0f} MiB")


def bench_long(source: Path, pages: int) -> None:
    import pypdfium2 as pdfium

    with tempfile.TemporaryDirectory() as work:
        target = Path(work) / "long.pdf"
        src = pdfium.PdfDocument(str(source))
        out = pdfium.PdfDocument.new()
        while len(out) < pages:
            out.import_pages(src, list(range(min(len(src), pages - len(out)))))
        out.save(str(target))
        count = len(out)
        out.close()
        src.close()
        code = ("import resource, sys, time; from pathlib import Path; sys.path.insert(0, 'bench');"
                "from eval_financial import analyse; r, s = analyse(Path(sys.argv[1]));"
                "print(len(r.statements), r.pages, f'{s:.2f}', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
        done = subprocess.run([sys.executable, "-c", code, str(target)], capture_output=True, text=True, check=True)
    statements, read, seconds, rss_kib = done.stdout.split()
    print(f"{count} pages ({source.name} repeated): {statements} statements, {read} pages read in {seconds} s "
          f"= {int(read) / float(seconds):.0f} pages/s, peak RSS {int(rss_kib) / 1024:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode", required=True)
    corpus = sub.add_parser("corpus", help="labelled documents under DIR")
    corpus.add_argument("directory", type=Path)
    corpus.add_argument("--labels", type=Path, default=Path(__file__).parent / "labels/financial/labels.json")
    corpus.add_argument("--as-markdown", action="store_true", help="render HTML filings as markdown first")
    corpus.add_argument("--scanned", type=int, default=0, metavar="DPI",
                        help="scan every PDF to images at DPI first (no text layer: read by OCR)")
    long = sub.add_parser("long", help="a long PDF built from a real one")
    long.add_argument("pdf", type=Path)
    long.add_argument("--pages", type=int, default=300)
    args = parser.parse_args()
    if args.mode == "corpus":
        bench_corpus(args.directory, args.labels, args.as_markdown, args.scanned)
    else:
        bench_long(args.pdf, args.pages)


if __name__ == "__main__":
    main()
