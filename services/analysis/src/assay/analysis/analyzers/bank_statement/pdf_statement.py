"""A PDF statement end to end: open (decrypt), layout text per page, facts, then the table."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

from assay.analysis.analyzers.bank_statement.facts import read_facts
from assay.analysis.analyzers.bank_statement.model import Statement
from assay.analysis.analyzers.bank_statement.numbers import DateReader
from assay.analysis.analyzers.bank_statement.pdf_table import TableReader, header_columns
from assay.analysis.analyzers.bank_statement.pdf_text import ocr_layout_lines, open_pdf, page_lines
from assay.analysis.ocr import OcrRun
from assay.analysis.plugin import AnalysisInputError

_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
FACT_LINES = 80
"""Lines of the first page searched for the holder, account, period and currency."""


def read_pdf(path: Path, password: str, display_name: str, month_first_hint: bool | None,
             tick: Callable[[int, int], None], ocr: OcrRun) -> Statement:
    """The statement of a PDF; ``tick(page, pages)`` after each page's text is read (or OCR'd)."""
    reader = open_pdf(path, password, display_name)
    total = len(reader.pages)
    pages = list(page_lines(reader, lambda page: tick(page, total)))
    textless = [number for number, lines in enumerate(pages, start=1) if not any(line.strip() for line in lines)]
    if textless:
        _read_by_ocr(path, password, textless, pages, ocr, tick)
    if not any(line.strip() for lines in pages for line in lines):
        if ocr.unread:
            raise ocr.error(total, f"no text was found in {display_name}")
        raise AnalysisInputError("PDF_NO_TEXT_LAYER",
                                 f"{display_name} has no text on any of its {total} pages, not even by OCR")
    statement = Statement(format="pdf", pages=total)
    dates = DateReader((line for lines in pages for line in lines), month_first_hint)
    read_facts(pages[0][:FACT_LINES] + [line for lines in pages[1:] for line in lines[:20]], dates, statement)
    if statement.period_end is not None:
        dates.default_year = statement.period_end.year
    else:
        dates.default_year = _most_common_year(line for lines in pages for line in lines)
    strict = any(header_columns(line) is not None for lines in pages for line in lines)
    header_first = strict or any(header_columns(line, strict=False) is not None for lines in pages for line in lines)
    table = TableReader(dates, statement, header_first=header_first, strict=strict)
    for page, lines in enumerate(pages, start=1):
        table.new_page()
        for number, line in enumerate(lines, start=1):
            table.feed(line, page, number)
    table.finish()
    _year_wrap(statement)
    return statement


def _read_by_ocr(path: Path, password: str, numbers: list[int], pages: list[list[str]], ocr: OcrRun,
                 tick: Callable[[int, int], None]) -> None:
    """The layout lines of the pages without a text layer (1-based ``numbers``), by OCR, in place in ``pages``."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(path), password=password or None)
    try:
        for number, scanned in ocr.read_pages(doc, numbers):
            if scanned is not None:
                pages[number - 1] = ocr_layout_lines(scanned)
            tick(number, len(pages))
    finally:
        doc.close()


def _most_common_year(lines: Iterable[str]) -> int | None:
    """The year printed most often (19xx/20xx), for dates printed without one when no period is stated."""
    years = Counter(int(m[0]) for line in lines for m in _YEAR.finditer(line))
    return years.most_common(1)[0][0] if years else None


def _year_wrap(statement: Statement) -> None:
    """Dates printed without a year that fall after the period end belong to the year before."""
    end = statement.period_end
    if end is None:
        return
    for transaction in statement.transactions:
        if transaction.date > end + dt.timedelta(days=31):
            transaction.date = transaction.date.replace(year=transaction.date.year - 1)
