"""Text extraction from PDF (text layer), DOCX, HTML and plain text or markdown, keeping where each
piece came from.

A PDF yields one block per page (``page`` set, 1-based), one paragraph per line, read
layout-aware by ``pdf_layout`` (PDFium's text boxes); a DOCX one block per body paragraph in
reading order, table cells included (``paragraph`` set, 1-based, empty paragraphs counted), a
numbered paragraph's list label ("5.2", "(b)") written before its text (``docx_numbering``); HTML
one block per block-level element (``html_text``; ``paragraph`` set, 1-based, headings styled
``Heading N``); plain text and markdown one block per blank-line-separated paragraph
(``paragraph`` set, 1-based, counting non-empty paragraphs).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from assay.analysis.analyzers.contract_review import pdf_layout
from assay.analysis.analyzers.contract_review.docx_numbering import Numbering
from assay.analysis.analyzers.contract_review.html_text import html_paragraphs
from assay.analysis.input_limits import check_zip_inflated_size, is_entity_amplification, too_complex
from assay.analysis.plugin import AnalysisInputError

DocumentKind = Literal["pdf", "docx", "html", "text"]

HTML_MEDIA_TYPE = "text/html"
_HTML_START = re.compile(rb"<!doctype\s+html|<(?:html|head|body)[\s>]", re.IGNORECASE)
MAX_PAGES = 2000
"""PDFs with more pages are refused (``INPUT_TOO_LARGE``)."""
MIN_PAGE_CHARS = 3
"""A page with fewer non-space characters counts as having no text."""

Progress = Callable[[int, int], None]
"""``progress(done, total)`` after each page or paragraph."""


@dataclass(frozen=True)
class Block:
    """A run of text at one location: one PDF page, or one DOCX/text paragraph."""

    text: str
    page: int
    """1-based PDF page; 0 for DOCX and text."""
    paragraph: int
    """1-based DOCX/text paragraph; 0 for PDF."""
    file_id: str
    style: str = ""
    """DOCX paragraph style name (e.g. ``Heading 1``); empty elsewhere."""
    continues: bool = False
    """PDF: the page's first paragraph goes on with the previous page's last one."""


@dataclass(frozen=True)
class ExtractedDocument:
    """The text of one input, block by block."""

    file_id: str
    display_name: str
    kind: DocumentKind
    blocks: tuple[Block, ...]
    units: int
    """Pages (PDF) or paragraphs (DOCX, text) read."""
    pages_without_text: tuple[int, ...] = ()


def sniff_kind(head: bytes, media_type: str = "") -> DocumentKind:
    """Tell PDF, DOCX and text apart by their first bytes (the media type is only a hint)."""
    if head.lstrip()[:5] == b"%PDF-" or b"%PDF-" in head[:1024]:
        return "pdf"
    if head[:4] == b"PK\x03\x04":
        return "docx"
    if head[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise AnalysisInputError(
            "INPUT_UNPARSEABLE",
            "legacy Word (.doc) files are not supported: save the contract as DOCX or PDF",
        )
    if media_type == "application/pdf":
        raise AnalysisInputError("INPUT_UNPARSEABLE", "the file is not a valid PDF")
    if media_type.split(";", 1)[0].strip().lower() == HTML_MEDIA_TYPE or _HTML_START.match(
        head.removeprefix(b"\xef\xbb\xbf").lstrip()
    ):
        return "html"
    return "text"


def extract_file(
    path: Path,
    *,
    file_id: str,
    display_name: str,
    media_type: str = "",
    progress: Progress | None = None,
) -> ExtractedDocument:
    """Extract one stored input file."""
    with path.open("rb") as fh:
        head = fh.read(2048)
    kind = sniff_kind(head, media_type)
    if kind == "pdf":
        return extract_pdf(path, file_id=file_id, display_name=display_name, progress=progress)
    if kind == "docx":
        return extract_docx(path, file_id=file_id, display_name=display_name, progress=progress)
    if kind == "html":
        return extract_html(path.read_bytes(), file_id=file_id, display_name=display_name)
    return extract_text(decode_text(path.read_bytes()), file_id=file_id, display_name=display_name)


def extract_pdf(path: Path, *, file_id: str, display_name: str, progress: Progress | None = None) -> ExtractedDocument:
    """One block per page of the PDF's text layer, read layout-aware (``pdf_layout``): running
    headers, footers and page numbers dropped, one paragraph per line of the block, paragraphs
    joined over page breaks; a PDF without a text layer is refused."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise AnalysisInputError(
                "INPUT_UNPARSEABLE", "the PDF is password-protected: upload an unlocked copy"
            ) from exc
        raise AnalysisInputError("INPUT_UNPARSEABLE", f"the PDF cannot be read: {exc}") from exc
    try:
        total = len(document)
        if total == 0:
            raise AnalysisInputError("INPUT_UNPARSEABLE", "the PDF has no pages")
        if total > MAX_PAGES:
            raise AnalysisInputError("INPUT_TOO_LARGE", f"the PDF has {total} pages; at most {MAX_PAGES} are reviewed")
        lines, heights = _pdf_lines(document, progress)
    finally:
        document.close()
    drop = pdf_layout.running_lines(lines, heights)
    pages = []
    for p, page_lines in enumerate(lines):
        paragraphs, open_end = pdf_layout.paragraphs([ln for i, ln in enumerate(page_lines) if (p, i) not in drop])
        pages.append(pdf_layout.PdfPage(number=p + 1, paragraphs=paragraphs, open_end=open_end))
    empty = [page.number for page in pages if len(re.sub(r"\s+", "", page.text)) < MIN_PAGE_CHARS]
    pdf_layout.stitch(pages)
    blocks = [
        Block(text=_clean(page.text), page=page.number, paragraph=0, file_id=file_id, continues=page.continues)
        for page in pages
        if page.number not in empty and page.paragraphs
    ]
    if not blocks:
        raise AnalysisInputError(
            "PDF_NO_TEXT_LAYER",
            f"the PDF '{display_name}' has no text layer (it looks like scanned images of "
            "pages): run it through OCR and upload the searchable PDF, or upload the DOCX or "
            "plain-text version",
        )
    return ExtractedDocument(
        file_id=file_id,
        display_name=display_name,
        kind="pdf",
        blocks=tuple(blocks),
        units=total,
        pages_without_text=tuple(empty),
    )


def _pdf_lines(document: Any, progress: Progress | None) -> tuple[list[list[pdf_layout.TextLine]], list[float]]:
    """Every page's printed lines and the page's height, reporting each page read."""
    import pypdfium2 as pdfium

    total = len(document)
    lines: list[list[pdf_layout.TextLine]] = []
    heights: list[float] = []
    for index in range(total):
        try:
            page = document[index]
            textpage = page.get_textpage()
            try:
                lines.append(pdf_layout.page_lines(textpage))
                heights.append(float(page.get_height()))
            finally:
                textpage.close()
                page.close()
        except pdfium.PdfiumError as exc:
            raise AnalysisInputError("INPUT_UNPARSEABLE", f"page {index + 1} of the PDF cannot be read: {exc}") from exc
        if progress is not None:
            progress(index + 1, total)
    return lines, heights


def extract_docx(path: Path, *, file_id: str, display_name: str, progress: Progress | None = None) -> ExtractedDocument:
    """One block per body paragraph (tables included), numbered in reading order."""
    import docx
    from docx.oxml.ns import qn
    from docx.text.paragraph import Paragraph

    check_zip_inflated_size(path)
    try:
        document = docx.Document(str(path))
    except SyntaxError as exc:  # lxml's XMLSyntaxError
        if is_entity_amplification(exc):
            raise too_complex(f"the DOCX expands XML entities past the parser's limit: {exc}") from exc
        raise AnalysisInputError("INPUT_UNPARSEABLE", f"the DOCX's XML cannot be read: {exc}") from exc
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise AnalysisInputError("INPUT_UNPARSEABLE", f"the file is neither a valid DOCX nor a PDF: {exc}") from exc
    body = document.element.body
    elements = list(body.iter(qn("w:p")))
    numbering = _docx_numbering(document)
    blocks: list[Block] = []
    for number, element in enumerate(elements, start=1):
        paragraph = Paragraph(element, document)
        text = _clean(paragraph.text)
        label = numbering.label(element) if text.strip() else ""
        if label:
            text = f"{label} {text.lstrip()}"
        if text.strip():
            style = ""
            try:
                style = paragraph.style.name if paragraph.style is not None else ""
            except (KeyError, ValueError):
                style = ""
            blocks.append(Block(text=text, page=0, paragraph=number, file_id=file_id, style=style or ""))
        if progress is not None and (number % 50 == 0 or number == len(elements)):
            progress(number, len(elements))
    if not blocks:
        raise AnalysisInputError("INPUT_EMPTY", f"the DOCX '{display_name}' contains no text")
    return ExtractedDocument(
        file_id=file_id,
        display_name=display_name,
        kind="docx",
        blocks=tuple(blocks),
        units=len(elements),
    )


def _docx_numbering(document: Any) -> Numbering:
    """The document's list numbering (``numbering.xml`` and the styles that carry numbering)."""
    try:
        numbering_part = document.part.numbering_part
    except (KeyError, NotImplementedError):
        numbering_part = None
    return Numbering(
        numbering_part.element if numbering_part is not None else None,
        document.styles.element,
    )


def extract_html(data: bytes, *, file_id: str = "", display_name: str = "page") -> ExtractedDocument:
    """One block per block-level element of an HTML page, markup removed."""
    paragraphs = html_paragraphs(data)
    blocks = tuple(
        Block(text=_clean(p.text), page=0, paragraph=i, file_id=file_id, style=p.style)
        for i, p in enumerate(paragraphs, start=1)
    )
    if not blocks:
        raise AnalysisInputError("INPUT_EMPTY", f"the HTML page '{display_name}' contains no text")
    return ExtractedDocument(file_id=file_id, display_name=display_name, kind="html", blocks=blocks, units=len(blocks))


def decode_text(data: bytes) -> str:
    """Decode a plain-text contract (UTF-8 with or without BOM, UTF-16 with BOM, else cp1252)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data[:4096]:
        raise AnalysisInputError("INPUT_UNPARSEABLE", "the file is binary, not a PDF, DOCX or plain-text contract")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def extract_text(text: str, *, file_id: str = "", display_name: str = "text") -> ExtractedDocument:
    """One block per blank-line-separated paragraph; lines inside a paragraph are kept. Markdown's raw HTML
    (``<p>``, ``<ul>``, ``<h2>`` ..., from the line that opens it to the blank line, as CommonMark reads an HTML
    block) is read as HTML, one block per block-level element (1.24.0)."""
    paragraphs = [p.strip("\n") for p in re.split(r"\n[ \t]*\n", _clean(text)) if p.strip()]
    pieces = [piece for p in paragraphs for piece in _markdown_blocks(p)]
    blocks = tuple(
        Block(text=body, page=0, paragraph=i, file_id=file_id, style=style)
        for i, (body, style) in enumerate(pieces, start=1)
    )
    if not blocks:
        raise AnalysisInputError("INPUT_EMPTY", "the contract contains no text")
    return ExtractedDocument(file_id=file_id, display_name=display_name, kind="text", blocks=blocks, units=len(blocks))


HTML_BLOCK = re.compile(
    r"[ ]{0,3}</?(?:address|article|aside|blockquote|center|details|dialog|dd|div|dl|dt|fieldset|figcaption|figure|"
    r"footer|form|h[1-6]|header|hr|main|nav|ol|p|pre|script|section|style|summary|table|tbody|td|tfoot|th|thead|"
    r"tr|ul|li)(?=[\s/>])",
    re.IGNORECASE,
)
"""The start of an HTML block in markdown: a block-level tag opening or closing at a line's start (CommonMark's HTML
blocks of kinds 1 and 6); a closing "</div>" alone is no clause, nor a heading of the clauses after it."""


def _markdown_blocks(paragraph: str) -> list[tuple[str, str]]:
    """A paragraph's text and styles: from the first line that opens an HTML block (which interrupts a paragraph,
    as in CommonMark) to the paragraph's end, read as HTML."""
    lines = paragraph.split("\n")
    start = next((i for i, line in enumerate(lines) if HTML_BLOCK.match(line)), None)
    if start is None:
        return [(paragraph, "")]
    text = "\n".join(lines[:start])
    return ([(text, "")] if text.strip() else []) + _html_block("\n".join(lines[start:]))


def _html_block(paragraph: str) -> list[tuple[str, str]]:
    """An HTML block's paragraphs and their styles; none for markup without content ("</div>")."""
    try:
        return [(_clean(p.text), p.style) for p in html_paragraphs(paragraph.encode("utf-8"))]
    except AnalysisInputError:
        return []  # lxml reads an empty document


_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"})
"""Typographic ligatures a PDF's text (or a text copied from one) keeps: "conﬁdentiality" is the word "confidentiality"
to read and to quote (1.23.0). Not NFKC as a whole, which would also turn a footnote's "¹" into a digit of the word."""


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u00a0", " ").replace("\u200b", "").replace("\x00", "")
    return text.translate(_LIGATURES)
