"""Measures the bank_statement analyzer: transactions exact, reconciliation pass rate and pages/s.

Run:
  ``.venv/bin/python bench/eval_bank_statement.py [--corpus DIR] [--labels bench/labels/bank_statement]
  [--synthetic N] [--scanned DPI]``

``--scanned DPI`` first turns every PDF into a scan without a text layer (each page rendered to a
grey image at DPI, ``tests/fixtures/scans.py``; a protected PDF is opened with its password and
scanned unprotected), so the figures measure the analyzer through OCR (Tesseract).

* real statements: every label file (``*.json``) under ``--labels`` names a statement under
  ``--corpus`` (found by name anywhere below it, checked by SHA-256) and either the transactions the
  document prints (date and signed amount, balance where printed), its opening and closing
  balances and whether its own numbers add up, or the job error code expected;
* synthetic statements: ``N`` statements drawn by ``tests/fixtures/bankstatements.py`` in every PDF
  layout (multi-page, with forward rows and multi-line descriptions; every third one
  password-protected) and every CSV layout, whose figures are known by construction.

Transactions exact: a labelled transaction counts when a transaction with the same date, amount and
(where labelled) balance was extracted, each extracted one used once; a statement is exact when all
its transactions are and no others were extracted. Reconciliation pass rate: of the statements whose
own numbers add up, the share the analyzer reports reconciled. Pages/s: PDF pages over the time the
analyzer took on them (one process, this machine).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from assay.analysis.analyzers.bank_statement import ANALYZER
from assay.analysis.plugin import AnalysisInputError, InputDocument
from assay.analysis.testing import LocalRunContext
from assay.v1 import bank_statement_pb2 as pb
from assay.v1 import job_pb2

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import pypdfium2 as pdfium
from fixtures import bankstatements as fx
from fixtures.scans import image_only_pdf

Key = tuple[str, Decimal, Decimal | None]


@dataclass
class Tally:
    statements: int = 0
    statements_exact: int = 0
    labelled: int = 0
    matched: int = 0
    extracted: int = 0
    should_reconcile: int = 0
    reconciled: int = 0
    errors_expected: int = 0
    errors_right: int = 0
    pages: int = 0
    pdf_seconds: float = 0.0
    ocr_pages: int = 0
    ocr_seconds: float = 0.0
    lines: list[str] = field(default_factory=list)


SCAN_DPI = 0
"""``--scanned``: the resolution PDFs are scanned at before the analyzer reads them (0: as they are)."""


def run(path: Path, name: str, password: str = "") -> tuple[pb.BankStatementResult | None, str, float]:
    """The result (or the error code) and the seconds the analyzer took."""
    is_pdf = path.read_bytes()[:5] == b"%PDF-"
    with tempfile.TemporaryDirectory() as work:
        if is_pdf and SCAN_DPI:
            try:
                scanned = image_only_pdf(path.read_bytes(), SCAN_DPI, password or None)
            except pdfium.PdfiumError:
                pass  # e.g. protected and no password given: left as it is, the analyzer names the problem
            else:
                path = Path(work) / path.name
                path.write_bytes(scanned)
                password = ""
        ctx = LocalRunContext(
            job_id="bench", tenant_id="bench", work_dir=Path(work),
            params=job_pb2.JobParams(bank_statement=pb.BankStatementParams(password=password)),
            inputs=[InputDocument("f", path, "application/pdf" if is_pdf else "text/csv", name, path.stat().st_size)])
        started = time.perf_counter()
        try:
            result = ANALYZER.run(ctx).bank_statement
        except AnalysisInputError as exc:
            return None, exc.code, time.perf_counter() - started
        return result, "", time.perf_counter() - started


def score(tally: Tally, name: str, result: pb.BankStatementResult, expected: list[Key], reconciles: bool,
          seconds: float) -> None:
    got: Counter[Key] = Counter()
    for t in result.transactions:
        got[(t.date, Decimal(t.amount), Decimal(t.balance) if t.balance else None)] += 1
    matched = 0
    for date, amount, balance in expected:
        candidates = [k for k in got if got[k] and k[0] == date and k[1] == amount and
                      (balance is None or k[2] == balance)]
        if candidates:
            got[candidates[0]] -= 1
            matched += 1
    tally.statements += 1
    tally.labelled += len(expected)
    tally.matched += matched
    tally.extracted += result.transactions_total
    exact = matched == len(expected) == result.transactions_total
    tally.statements_exact += exact
    if reconciles:
        tally.should_reconcile += 1
        tally.reconciled += result.reconciliation.reconciled
    if result.format == "pdf":
        tally.pages += result.pages
        tally.pdf_seconds += seconds
    tally.ocr_pages += len(result.ocr.pages)
    tally.ocr_seconds += result.ocr.seconds
    ocr = f", OCR {len(result.ocr.pages)} pages (confidence {result.ocr.mean_word_confidence:.0f})" \
        if result.ocr.pages else ""
    tally.lines.append(f"  {name}: {matched}/{len(expected)} labelled transactions found, "
                       f"{result.transactions_total} extracted, exact={exact}, "
                       f"reconciled={result.reconciliation.reconciled} (should: {reconciles}), "
                       f"{seconds * 1000:.0f} ms{ocr}")


def error_case(tally: Tally, name: str, got: str, expected: str) -> None:
    tally.errors_expected += 1
    tally.errors_right += got == expected
    tally.lines.append(f"  {name}: error {got or 'none'} (expected {expected})")


def real(corpus: Path, labels: Path, tally: Tally) -> None:
    for label_file in sorted(labels.glob("*.json")):
        label = json.loads(label_file.read_text(encoding="utf-8"))
        found = [p for p in corpus.rglob(label["file"]) if p.is_file()]
        if not found:
            tally.lines.append(f"  {label['file']}: not under {corpus}, skipped")
            continue
        path = found[0]
        if hashlib.sha256(path.read_bytes()).hexdigest() != label["sha256"]:
            tally.lines.append(f"  {label['file']}: SHA-256 differs from the label's, skipped")
            continue
        result, code, seconds = run(path, path.name, label.get("password", ""))
        if "expected_error" in label:
            error_case(tally, label["file"], code, label["expected_error"])
            if "expected_error_without_password" in label:
                _, bare, _ = run(path, path.name)
                error_case(tally, f"{label['file']} (no password)", bare, label["expected_error_without_password"])
            continue
        if result is None:
            tally.statements += 1
            tally.labelled += len(label["transactions"])
            tally.lines.append(f"  {label['file']}: failed with {code}")
            continue
        expected = [(t["date"], Decimal(t["amount"]), Decimal(t["balance"]) if t.get("balance") else None)
                    for t in label["transactions"]]
        score(tally, label["file"], result, expected, label["reconciles"], seconds)


def synthetic(count: int, tally: Tally) -> None:
    with tempfile.TemporaryDirectory() as work:
        for index in range(count):
            statement = fx.make_statement(seed=1000 + index, transactions=20 + (index * 37) % 140)
            expected = [(r.date.isoformat(), r.amount, r.balance) for r in statement.rows]
            layout = fx.LAYOUTS[index % len(fx.LAYOUTS)]
            data = fx.render_pdf(statement, layout, rows_per_page=25 + index % 15)
            password = ""
            if index % 3 == 2:
                password = f"pw-{index}"
                data = fx.encrypt(data, password)
            path = Path(work) / f"synthetic-{index}.pdf"
            path.write_bytes(data)
            result, code, seconds = run(path, path.name, password)
            name = f"synthetic {index} ({layout}{', protected' if password else ''}, {len(expected)} rows)"
            if result is None:
                tally.statements += 1
                tally.labelled += len(expected)
                tally.lines.append(f"  {name}: failed with {code}")
                continue
            score(tally, name, result, expected, True, seconds)
            csv_layout = ("amount", "debit_credit", "semicolon")[index % 3]
            csv_path = Path(work) / f"synthetic-{index}.csv"
            csv_path.write_bytes(fx.render_csv(statement, csv_layout))
            result, code, seconds = run(csv_path, csv_path.name)
            if result is not None:
                score(tally, f"synthetic {index} (CSV {csv_layout})", result, expected, True, seconds)


def report(title: str, tally: Tally, verbose: bool) -> None:
    print(f"== {title}")
    if verbose:
        print("\n".join(tally.lines))
    if tally.statements:
        print(f"  transactions exact: {tally.matched}/{tally.labelled} = {tally.matched / max(1, tally.labelled):.3f} "
              f"({tally.extracted} extracted); statements exact: {tally.statements_exact}/{tally.statements}")
        print(f"  reconciliation pass rate: {tally.reconciled}/{tally.should_reconcile} = "
              f"{tally.reconciled / max(1, tally.should_reconcile):.3f}")
    if tally.pages:
        print(f"  PDF pages/s: {tally.pages / tally.pdf_seconds:.1f} "
              f"({tally.pages} pages in {tally.pdf_seconds:.2f} s)")
    if tally.ocr_pages:
        print(f"  OCR: {tally.ocr_pages} pages in {tally.ocr_seconds:.1f} s = "
              f"{tally.ocr_pages / tally.ocr_seconds:.2f} pages/s")
    if tally.errors_expected:
        print(f"  expected job errors: {tally.errors_right}/{tally.errors_expected}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, help="directory holding the real statements named by the labels")
    parser.add_argument("--labels", type=Path, default=Path(__file__).parent / "labels" / "bank_statement")
    parser.add_argument("--synthetic", type=int, default=30, help="synthetic statements to draw (0: none)")
    parser.add_argument("--verbose", action="store_true", help="one line per statement")
    parser.add_argument("--scanned", type=int, default=0, metavar="DPI",
                        help="scan every PDF to images at DPI first (no text layer: read by OCR)")
    args = parser.parse_args()
    global SCAN_DPI
    SCAN_DPI = args.scanned
    if args.corpus is not None:
        tally = Tally()
        real(args.corpus, args.labels, tally)
        report("real statements", tally, args.verbose)
    if args.synthetic:
        tally = Tally()
        synthetic(args.synthetic, tally)
        report(f"synthetic statements ({args.synthetic} PDF + {args.synthetic} CSV)", tally, args.verbose)


if __name__ == "__main__":
    main()
