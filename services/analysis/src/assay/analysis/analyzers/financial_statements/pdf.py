"""PDF pages into blocks: a cheap keyword scan of every page, positioned words only where it hits."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pypdfium2 as pdfium

from assay.analysis.analyzers.financial_statements.blocks import Block, Cell, Line
from assay.analysis.analyzers.financial_statements.classify import title_type
from assay.analysis.ocr import OcrPage
from assay.analysis.plugin import AnalysisInputError

_NUMBER = re.compile(r"(?<![\w.])\(?\d[\d,]*(?:\.\d+)?\)?")
_MIN_NUMBERS = 12
"""Figures a page needs before its layout is read (a contents page or a note has fewer)."""
_TEXT_LAYER_MIN_CHARS = 20
Glyph = tuple[str, float, float, float, float]
"""A character and its box: text, left, bottom, right, top (points)."""


def open_pdf(path: Path) -> pdfium.PdfDocument:
    """The document, or ``INPUT_ENCRYPTED`` / ``INPUT_UNPARSEABLE`` naming what is wrong."""
    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        message = str(exc).lower()
        if "password" in message:
            raise AnalysisInputError("INPUT_ENCRYPTED", "the PDF is password-protected; upload it unprotected") from exc
        raise AnalysisInputError("INPUT_UNPARSEABLE", f"the PDF cannot be read: {exc}") from exc


def page_texts(doc: pdfium.PdfDocument, tick: Callable[[int, int], None]) -> list[str]:
    """Every page's plain text (fast: no positions), reporting each page done."""
    texts = []
    total = len(doc)
    for index in range(total):
        page = doc[index]
        textpage = page.get_textpage()
        try:
            texts.append(textpage.get_text_range())
        finally:
            textpage.close()
            page.close()
        tick(index + 1, total)
    return texts


def candidate_pages(texts: list[str]) -> list[int]:
    """0-based pages whose first lines name a statement and which hold enough figures."""
    out = []
    for index, text in enumerate(texts):
        head = [line for line in text.splitlines()[:25] if line.strip()]
        if any(title_type(line.strip()) for line in head if len(line) < 200) \
                and len(_NUMBER.findall(text)) >= _MIN_NUMBERS:
            out.append(index)
    return out


def textless_pages(texts: list[str]) -> list[int]:
    """1-based numbers of the pages with (almost) no text layer."""
    return [i + 1 for i, text in enumerate(texts) if len(text.strip()) < _TEXT_LAYER_MIN_CHARS]


def page_lines(doc: pdfium.PdfDocument, index: int) -> list[Line]:
    """The page's lines as positioned cells (runs of words with no wide gap), top to bottom."""
    page = doc[index]
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        text = textpage.get_text_range()
        if len(text) != count:
            text = "".join(textpage.get_text_range(i, 1) for i in range(count))
        chars = [(text[i], *textpage.get_charbox(i)) for i in range(count)]
    finally:
        textpage.close()
        page.close()
    return list(_lines(chars, index + 1))


def ocr_lines(page: OcrPage) -> list[Line]:
    """An OCR'd page's lines as positioned cells, read like a text layer.

    Each word's box is shared evenly among its characters, words of a line are separated by a
    space and lines by a line break, so the text layer's line and cell grouping applies unchanged.
    """
    chars: list[Glyph] = []
    for line in page.lines():
        for number, word in enumerate(line):
            if number:
                chars.append((" ", word.left, word.bottom, word.left, word.top))
            step = (word.right - word.left) / len(word.text)
            chars.extend((ch, word.left + i * step, word.bottom, word.left + (i + 1) * step, word.top)
                         for i, ch in enumerate(word.text))
        chars.append(("\n", 0.0, 0.0, 0.0, 0.0))
    return list(_lines(chars, page.number))


def _lines(chars: list[tuple[str, float, float, float, float]], page: int) -> Iterator[Line]:
    rows: list[list[tuple[str, float, float, float, float]]] = []
    current: list[tuple[str, float, float, float, float]] = []
    span: tuple[float, float] | None = None
    for ch in chars:
        if ch[0] in "\r\n":
            if current:
                rows.append(current)
            current, span = [], None
            continue
        if current and ch[0].strip() and current[-1][0].strip():
            # pdfium keeps reading order; a big jump down or back left starts a new line
            prev = current[-1]
            if ch[1] < prev[1] - 50 and abs(ch[2] - prev[2]) > 2:
                rows.append(current)
                current, span = [], None
        if ch[0].strip():
            if span is not None and current and _other_height(span, ch):
                rows.append(current)  # a glyph of another printed line that PDFium ran on
                current, span = [], None
            span = (ch[2], ch[4]) if span is None else (min(span[0], ch[2]), max(span[1], ch[4]))
        current.append(ch)
    if current:
        rows.append(current)
    number = 0
    for row in _merge_same_height(rows):
        cells = _cells(row)
        if cells:
            number += 1
            yield Line(cells=cells, page=page, number=number, indent=cells[0].start)


def _merge_same_height(rows: list[list[tuple[str, float, float, float, float]]]
                       ) -> list[list[tuple[str, float, float, float, float]]]:
    """Fragments PDFium put on separate lines but printed at the same height are one line.

    A dash or a "$" drawn apart, or a whole column of figures emitted after the column of labels.
    """
    merged: list[list[tuple[str, float, float, float, float]]] = []
    spans: list[tuple[float, float]] = []
    for row in rows:
        glyphs = [c for c in row if c[0].strip()]
        if not glyphs:
            continue
        low, high = min(c[2] for c in glyphs), max(c[4] for c in glyphs)
        centre = (low + high) / 2
        for back in range(1, len(merged) + 1):  # any earlier line: some generators emit column by column
            other_low, other_high = spans[-back]
            if _inside(centre, other_low, other_high) or _inside((other_low + other_high) / 2, low, high):
                target = len(merged) - back
                merged[target] = sorted([*merged[target], (" ", row[0][1], 0, row[0][1], 0), *row],
                                        key=lambda c: c[1])
                spans[target] = (min(other_low, low), max(other_high, high))
                break
        else:
            merged.append(list(row))
            spans.append((low, high))
    return merged


def _other_height(span: tuple[float, float], ch: Glyph) -> bool:
    """Whether ``ch`` sits clearly above or below ``span``, the height of its run so far (another line)."""
    low, high = span
    margin = (high - low) * 0.3
    centre = (ch[2] + ch[4]) / 2
    return centre < low - margin or centre > high + margin


def _inside(point: float, low: float, high: float) -> bool:
    """Whether ``point`` is in the middle of ``low``-``high`` (its outer fifths excluded)."""
    trim = (high - low) * 0.2
    return low + trim < point < high - trim


def _cells(row: list[tuple[str, float, float, float, float]]) -> list[Cell]:
    """Characters into cells: a gap wider than about a character ends a cell; spaces stay spaces."""
    glyphs = [c for c in row if c[0].strip()]
    if not glyphs:
        return []
    heights = sorted(c[4] - c[2] for c in glyphs)
    gap_limit = max(2.5, heights[len(heights) // 2] * 0.9)
    cells: list[Cell] = []
    text = ""
    start = end = glyphs[0][1]
    space = False
    for ch in row:
        if not ch[0].strip():
            space = True
            continue
        if text and ch[1] - end > gap_limit:
            cells.append(Cell(text, end, start))
            text = ""
        if not text:
            start = ch[1]
            text = ch[0]
        else:
            text += (" " if space else "") + ch[0]
        space = False
        end = max(end, ch[3])
    if text:
        cells.append(Cell(text, end, start))
    return cells


def blocks(doc: pdfium.PdfDocument, pages: list[int], ocr: dict[int, OcrPage] | None = None) -> list[Block]:
    """One block per statement title on each candidate page (a page may print two statements).

    ``ocr`` holds the pages read by OCR (by 1-based number): their words stand in for the text layer.
    """
    out: list[Block] = []
    for index in pages:
        scanned = (ocr or {}).get(index + 1)
        lines = ocr_lines(scanned) if scanned is not None else page_lines(doc, index)
        context = [line.text for line in lines[:12]]
        current: list[Line] = []
        heading: list[str] = []
        for line in lines:
            numeric = any(_NUMBER.search(cell.text) for cell in line.cells[1:])
            if not numeric and len(line.text) < 200 and title_type(line.text) and len(current) > 3:
                out.append(Block(lines=current, heading=heading, page=index + 1, tolerance=6.0, context=context))
                current, heading = [], []
            if not current and not numeric and not _has_figures_below(line):
                heading.append(line.text)
                continue
            current.append(line)
        if current:
            out.append(Block(lines=current, heading=heading, page=index + 1, tolerance=6.0, context=context))
    return out


def _has_figures_below(line: Line) -> bool:
    return False
