"""A document as structural units: a heading's paragraphs and clauses, a table's rows with their header.

Every unit keeps where it lies: the 1-based PDF page (0 elsewhere), the 1-based paragraph of a
DOCX, text, markdown or HTML document (the 1-based data row of a table), and its character offsets
in that page's or paragraph's text, so a citation can point at it.

PDF, DOCX and plain text are read and segmented by contract_review's extractor and clause
segmenter (headings, numbered clauses, paragraphs, list items); markdown, HTML and CSV are read here.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from assay.analysis.analyzers.contract_review.extract import ExtractedDocument, decode_text, extract_file
from assay.analysis.analyzers.contract_review.segment import segment
from assay.analysis.analyzers.index.offsets import locate
from assay.analysis.plugin import AnalysisInputError

UnitKind = Literal["text", "table_row"]
Format = Literal["pdf", "docx", "text", "markdown", "html", "csv"]

MAX_TABLE_ROWS = 50_000
"""Rows of one table indexed at most; a larger table is refused (``INPUT_TOO_LARGE``)."""
MAX_TEXT_BYTES = 32 * 1024 * 1024
"""Markdown, HTML and CSV files larger than this are refused (``INPUT_TOO_LARGE``)."""


@dataclass(frozen=True)
class Unit:
    """One structural piece of a document, at one location."""

    text: str
    heading: str
    page: int
    paragraph: int
    start: int
    end: int
    kind: UnitKind = "text"


@dataclass(frozen=True)
class DocumentUnits:
    """A file's units in reading order, with its format and page count (PDF)."""

    format: Format
    units: list[Unit]
    pages: int = 0


def detect_format(path: Path, media_type: str, display_name: str) -> Format:
    """The format by the file's first bytes, then its media type, then its name's extension."""
    with path.open("rb") as fh:
        head = fh.read(2048)
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head[:4] == b"PK\x03\x04":
        return "docx"
    name = display_name.lower()
    if media_type == "text/csv" or name.endswith((".csv", ".tsv")):
        return "csv"
    if media_type == "text/markdown" or name.endswith((".md", ".markdown")):
        return "markdown"
    if media_type in ("text/html", "application/xhtml+xml") or name.endswith((".html", ".htm", ".xhtml")):
        return "html"
    if re.match(rb"\s*(<!doctype html|<html)", head[:512], re.IGNORECASE):
        return "html"
    return "text"


def read_units(path: Path, *, file_id: str, display_name: str, media_type: str) -> DocumentUnits:
    """Read one file into units; unusable content raises ``AnalysisInputError``."""
    kind = detect_format(path, media_type, display_name)
    if kind in ("pdf", "docx", "text"):
        document = extract_file(path, file_id=file_id, display_name=display_name, media_type=media_type)
        return DocumentUnits(kind, list(_segmented_units(document)), document.units if kind == "pdf" else 0)
    if path.stat().st_size > MAX_TEXT_BYTES:
        raise AnalysisInputError("INPUT_TOO_LARGE", f"'{display_name}' is larger than {MAX_TEXT_BYTES} bytes")
    text = decode_text(path.read_bytes())
    if kind == "csv":
        return DocumentUnits(kind, list(table_units(text, display_name)))
    if kind == "markdown":
        return DocumentUnits(kind, list(markdown_units(text)))
    return DocumentUnits(kind, list(html_units(text)))


def _segmented_units(document: ExtractedDocument) -> Iterator[Unit]:
    """contract_review's clauses (headings give the following clauses their section title)."""
    blocks = {(b.page, b.paragraph): b.text for b in document.blocks}
    cursor: dict[tuple[int, int], int] = {}
    for clause in segment([document]):
        if clause.kind == "heading" or not clause.spans:
            continue
        first = clause.spans[0]
        key = (first.page, first.paragraph)
        block_text = blocks.get(key, "")
        same_block = [s for s in clause.spans if (s.page, s.paragraph) == key]
        start, _ = locate(block_text, same_block[0].text, cursor.get(key, 0))
        _, end = locate(block_text, same_block[-1].text, start)
        cursor[key] = max(start, end)
        yield Unit(clause.text, clause.heading, first.page, first.paragraph, start, max(start, end))


_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def markdown_units(text: str) -> Iterator[Unit]:
    """Paragraphs under their heading path; a pipe table's rows with its header."""
    headings: list[str] = []
    paragraph = 0
    lines = text.replace("\r\n", "\n").split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        match = _MD_HEADING.match(line)
        if match:
            headings = _nest(headings, len(match.group(1)), match.group(2))
            i += 1
            continue
        if not line.strip():
            i += 1
            continue
        heading = " > ".join(h for h in headings if h)
        if line.lstrip().startswith("|") and i + 1 < len(lines) and _MD_TABLE_RULE.match(lines[i + 1]):
            header = _pipe_cells(line)
            i += 2
            row = 0
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                row += 1
                yield _row_unit(header, _pipe_cells(lines[i]), heading, row)
                i += 1
            continue
        block: list[str] = []
        while i < len(lines) and lines[i].strip() and not _MD_HEADING.match(lines[i]):
            block.append(lines[i])
            i += 1
        paragraph += 1
        body = "\n".join(block)
        clean = re.sub(r"[*_`]+", "", re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", body))
        yield Unit(" ".join(clean.split()), heading, 0, paragraph, 0, len(body))


def _nest(headings: list[str], level: int, title: str) -> list[str]:
    """The heading path after a level-``level`` heading: its ancestors kept, itself at its level
    (a document may start at level 2), deeper ones dropped."""
    path = (headings + [""] * 6)[:6]
    path[level - 1] = title
    return path[:level]


def _pipe_cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _row_unit(header: list[str], cells: list[str], title: str, row: int) -> Unit:
    """A table row as ``column: value`` pairs, so it is found by its column names too."""
    pairs = [f"{name or f'column {n}'}: {value}" for n, (name, value) in
             enumerate(zip(header, cells, strict=False), start=1) if value]
    line = "; ".join(pairs)
    heading = " | ".join(h for h in (title, ", ".join(h for h in header if h)) if h)
    return Unit(line, heading, 0, row, 0, len(line), "table_row")


def table_units(text: str, title: str) -> Iterator[Unit]:
    """Every data row of a CSV (or TSV) with its header row's column names."""
    sample = text[:8192]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = next(reader, None)
    if not header:
        raise AnalysisInputError("INPUT_EMPTY", f"the table '{title}' has no header row")
    for row, cells in enumerate(reader, start=1):
        if row > MAX_TABLE_ROWS:
            raise AnalysisInputError("INPUT_TOO_LARGE", f"the table '{title}' has more than {MAX_TABLE_ROWS} rows")
        if any(c.strip() for c in cells):
            yield _row_unit([h.strip() for h in header], [c.strip() for c in cells], title, row)


_BLOCK_TAGS = {"p", "li", "dd", "dt", "blockquote", "pre", "td", "th", "caption", "figcaption"}


def html_units(text: str) -> Iterator[Unit]:
    """Headings (h1-h6) as section titles, paragraphs and list items as text, table rows with their header."""
    from lxml import html

    try:
        root = html.document_fromstring(text)
    except Exception as exc:  # lxml raises ParserError, ValueError on empty or odd markup
        raise AnalysisInputError("INPUT_UNPARSEABLE", f"the HTML cannot be read: {exc}") from exc
    for bad in root.xpath("//script|//style|//noscript|//template"):
        bad.drop_tree()
    headings: list[str] = []
    paragraph = 0
    for element in root.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        if re.fullmatch(r"h[1-6]", tag):
            headings = _nest(headings, int(tag[1]), " ".join(element.text_content().split()))
            continue
        heading = " > ".join(h for h in headings if h)
        if tag == "table":
            rows = element.xpath(".//tr")
            if not rows:
                continue
            header = [" ".join(c.text_content().split()) for c in rows[0].xpath("./th|./td")]
            for number, tr in enumerate(rows[1:], start=1):
                cells = [" ".join(c.text_content().split()) for c in tr.xpath("./th|./td")]
                if any(cells):
                    yield _row_unit(header, cells, heading, number)
            continue
        if tag in _BLOCK_TAGS and not element.xpath("ancestor::table") and not _has_block_ancestor(element):
            content = " ".join(element.text_content().split())
            if content:
                paragraph += 1
                yield Unit(content, heading, 0, paragraph, 0, len(content))


def _has_block_ancestor(element: object) -> bool:
    parent = getattr(element, "getparent", lambda: None)()
    while parent is not None:
        if isinstance(parent.tag, str) and parent.tag in _BLOCK_TAGS:
            return True
        parent = parent.getparent()
    return False
