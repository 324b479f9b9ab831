"""OCR of PDF pages that have no text layer: PDFium renders the page, Tesseract reads its words.

Shared by the analyzers that read PDFs (``financial_statements``, ``bank_statement``). A page is
rendered in grey at ``ASSAY_OCR_DPI`` (lowered for a page so large that its bitmap would pass
``ASSAY_OCR_MAX_PAGE_PIXELS``: the memory bound of one page), and Tesseract (``pytesseract``,
one ``tesseract`` process per page, killed after ``ASSAY_OCR_PAGE_TIMEOUT_SECONDS``) reads it as
one uniform block of text (``--psm 6``), so a table row stays one line, with every word's box.
Boxes are returned in PDF points with the origin at the bottom left, as PDFium's character boxes
are, so a reader places OCR words exactly as it places text-layer glyphs.

The ``tesseract`` process is a child of the analyzer's process and inherits its address-space
limit (``ASSAY_WORKER_MEMORY_LIMIT_BYTES``); it runs single-threaded (``OMP_THREAD_LIMIT``,
``ASSAY_OCR_THREADS``): on a loaded machine Tesseract's OpenMP threads spin against each other
and a page takes several times longer.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import statistics
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from opentelemetry import trace
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from assay.analysis.plugin import AnalysisInputError
from assay.v1 import ocr_pb2

if TYPE_CHECKING:
    import pypdfium2 as pdfium
    from PIL.Image import Image

_tracer = trace.get_tracer(__name__)
_PSM_UNIFORM_BLOCK = 6
"""Tesseract page segmentation: one block of text, so a table row is one line, not a column of cells."""
_PSM_SINGLE_LINE = 7
"""Tesseract page segmentation for one word or line cut out of the page."""
MAX_PAGES_LISTED = 20
"""Page numbers an error message lists before it says how many more."""


class OcrSettings(BaseSettings):
    """How pages are OCR'd (``ASSAY_OCR_*``)."""

    model_config = SettingsConfigDict(env_prefix="ASSAY_OCR_", frozen=True, extra="ignore")

    tesseract_cmd: str = "tesseract"
    """The Tesseract executable (a name on PATH or a path); empty disables OCR."""
    language: str = "eng"
    """Tesseract language(s), ``+``-joined (``eng+deu``); each needs its traineddata installed."""
    dpi: int = Field(default=300, ge=72, le=600)
    """Rendering resolution of a page for OCR."""
    max_page_pixels: int = Field(default=36_000_000, ge=1_000_000)
    """Largest bitmap one page is rendered to (a larger page is rendered at a lower resolution)."""
    page_timeout_seconds: float = Field(default=60.0, gt=0)
    """Longest one page's OCR may take; the page is then reported unread."""
    threads: int = Field(default=1, ge=1, le=64)
    """Tesseract's OpenMP threads per page (OMP_THREAD_LIMIT)."""
    second_look_confidence: float = Field(default=60.0, ge=0, le=100)
    """A word with a figure read with less confidence is read again on its own (a lost minus sign)."""
    second_looks_per_page: int = Field(default=40, ge=0)
    """Most words of one page read again."""


@dataclass(frozen=True)
class OcrWord:
    """A recognised word and its box in PDF points (origin bottom left)."""

    text: str
    left: float
    bottom: float
    right: float
    top: float
    line: tuple[int, int, int]
    """Tesseract's block, paragraph and line numbers: words with the same key were read as one line."""
    confidence: float


@dataclass(frozen=True)
class OcrPage:
    """One page read by OCR."""

    number: int
    """1-based page number."""
    words: tuple[OcrWord, ...]
    seconds: float
    dpi: int

    def lines(self) -> list[list[OcrWord]]:
        """The words line by line, in Tesseract's reading order."""
        out: dict[tuple[int, int, int], list[OcrWord]] = {}
        for word in self.words:
            out.setdefault(word.line, []).append(word)
        return list(out.values())

    def text(self) -> str:
        """The page as plain text, one line per recognised line."""
        return "\n".join(" ".join(w.text for w in line) for line in self.lines())


@dataclass
class OcrRun:
    """The pages one document needed OCR for: read, unread and why, in a summary for the result."""

    settings: OcrSettings = field(default_factory=OcrSettings)
    pages: dict[int, OcrPage] = field(default_factory=dict)
    unread: dict[int, str] = field(default_factory=dict)
    """Pages without a text layer that OCR could not read, with the reason."""

    @functools.cached_property
    def engine(self) -> str:
        """``tesseract <version>``, or "" when Tesseract (or its language data) is not installed."""
        return _engine(self.settings.tesseract_cmd, self.settings.language)

    def read(self, page: pdfium.PdfPage, number: int) -> OcrPage | None:
        """The page's words, or None (the reason kept in ``unread``) when OCR is unavailable or fails."""
        if not self.engine:
            self.unread[number] = self.unavailable_reason()
            return None
        try:
            result = _read_page(page, number, self.settings)
        except _PageFailed as exc:
            self.unread[number] = str(exc)
            return None
        self.pages[number] = result
        return result

    def read_pages(self, doc: pdfium.PdfDocument, numbers: Sequence[int]) -> Iterator[tuple[int, OcrPage | None]]:
        """Each of the 1-based pages ``numbers`` of ``doc`` as :meth:`read` reads it, one page loaded at a time."""
        for number in numbers:
            page = doc[number - 1]
            try:
                scanned = self.read(page, number)
            finally:
                page.close()
            yield number, scanned

    def unavailable_reason(self) -> str:
        if not self.settings.tesseract_cmd:
            return "OCR is disabled (ASSAY_OCR_TESSERACT_CMD is empty)"
        return (f"OCR is not available: {self.settings.tesseract_cmd!r} is not installed or lacks the "
                f"{self.settings.language!r} language data")

    def summary(self) -> ocr_pb2.OcrSummary:
        """What the result says about OCR (empty when no page needed it)."""
        words = [w.confidence for p in self.pages.values() for w in p.words if w.confidence >= 0]
        return ocr_pb2.OcrSummary(
            pages=sorted(self.pages), unread_pages=sorted(self.unread),
            unread_reason="; ".join(sorted(set(self.unread.values()))) if self.unread else "",
            seconds=round(sum(p.seconds for p in self.pages.values()), 3),
            engine=self.engine if self.pages else "",
            mean_word_confidence=round(statistics.fmean(words), 1) if words else 0.0)

    def error(self, total: int, what: str) -> AnalysisInputError:
        """``OCR_UNAVAILABLE`` (or ``OCR_FAILED``) naming the unread pages: ``what`` could not be found without them."""
        numbers = sorted(self.unread)
        listed = ", ".join(str(n) for n in numbers[:MAX_PAGES_LISTED])
        if len(numbers) > MAX_PAGES_LISTED:
            listed += f" and {len(numbers) - MAX_PAGES_LISTED} more"
        reasons = "; ".join(sorted(set(self.unread.values())))
        code = "OCR_UNAVAILABLE" if not self.engine else "OCR_FAILED"
        return AnalysisInputError(code, f"page(s) {listed} of {total} have no text layer and were not read "
                                        f"({reasons}); {what}")


class _PageFailed(Exception):
    """Tesseract could not read one page (timed out, crashed, ran out of memory)."""


@functools.cache
def _engine(cmd: str, language: str) -> str:
    if not cmd or shutil.which(cmd) is None:
        return ""
    import pytesseract

    pytesseract.pytesseract.tesseract_cmd = cmd
    try:
        version = pytesseract.get_tesseract_version()
        languages = set(pytesseract.get_languages(config=""))
    except (pytesseract.TesseractError, OSError, RuntimeError):
        return ""
    if not set(language.split("+")) <= languages:
        return ""
    return f"tesseract {version}"


def render_scale(width_pt: float, height_pt: float, settings: OcrSettings) -> float:
    """Pixels per point: ``dpi / 72``, lowered so the bitmap stays within ``max_page_pixels``."""
    scale = settings.dpi / 72
    pixels = width_pt * scale * height_pt * scale
    if pixels > settings.max_page_pixels:
        scale *= (settings.max_page_pixels / pixels) ** 0.5
    return scale


def _read_page(page: pdfium.PdfPage, number: int, settings: OcrSettings) -> OcrPage:
    width, height = page.get_size()
    scale = render_scale(width, height, settings)
    os.environ["OMP_THREAD_LIMIT"] = str(settings.threads)  # pytesseract hands os.environ to tesseract
    with _tracer.start_as_current_span("ocr.page", attributes={"assay.page": number}) as span:
        started = time.monotonic()
        bitmap = page.render(scale=scale, grayscale=True)
        try:
            image = bitmap.to_pil()
            try:
                data = _tesseract(image, _PSM_UNIFORM_BLOCK, settings, started + settings.page_timeout_seconds)
                second_looks = _second_look(image, data, settings, started + settings.page_timeout_seconds)
            finally:
                image.close()
        finally:
            bitmap.close()
        seconds = time.monotonic() - started
        words = tuple(_joined(_words(data, scale, height)))
        span.set_attribute("assay.ocr.words", len(words))
        span.set_attribute("assay.ocr.second_looks", second_looks)
        span.set_attribute("assay.ocr.dpi", round(scale * 72))
    return OcrPage(number=number, words=words, seconds=seconds, dpi=round(scale * 72))


def _tesseract(image: Image, psm: int, settings: OcrSettings, deadline: float) -> dict[str, list[object]]:
    """Tesseract's words and boxes for ``image``; :class:`_PageFailed` past ``deadline`` or on a crash."""
    import pytesseract

    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _PageFailed(f"OCR timed out after {settings.page_timeout_seconds:g} s")
    try:
        data: dict[str, list[object]] = pytesseract.image_to_data(
            image, lang=settings.language, config=f"--psm {psm}", output_type=pytesseract.Output.DICT,
            timeout=remaining)
    except RuntimeError as exc:  # pytesseract's timeout: the process was killed
        raise _PageFailed(f"OCR timed out after {settings.page_timeout_seconds:g} s") from exc
    except pytesseract.TesseractError as exc:
        raise _PageFailed(f"tesseract failed (exit status {exc.status})") from exc
    return data


def needs_second_look(text: str, confidence: float, settings: OcrSettings) -> bool:
    """Whether a word is a figure read with low confidence or with a misread separator."""
    return any(ch.isdigit() for ch in text) and (confidence < settings.second_look_confidence
                                                 or _ODD_FIGURE.search(text) is not None)


def _second_look(image: Image, data: dict[str, list[object]], settings: OcrSettings, deadline: float) -> int:
    """Figures read with low confidence, read again each on its own (``--psm 7``) with some margin.

    In a full page Tesseract can drop a minus sign before a figure or read a separator as another
    ("07/07" as "0707", "27.75" as "27:75"); cut out with room to its left, the figure is read whole.
    The second reading replaces the first when it is one word with the same digits. Returns how
    many words were read again.
    """
    looked = 0
    for i, raw in enumerate(data["text"]):
        text = str(raw).strip()
        if looked >= settings.second_looks_per_page or not needs_second_look(text, float(str(data["conf"][i])),
                                                                             settings):
            continue
        looked += 1
        left, top = int(str(data["left"][i])), int(str(data["top"][i]))
        width, height = int(str(data["width"][i])), int(str(data["height"][i]))
        crop = image.crop((max(0, left - height), max(0, top - height // 2),
                           left + width + height // 2, top + height + height // 2))
        try:
            again = _tesseract(crop, _PSM_SINGLE_LINE, settings, deadline)
        finally:
            crop.close()
        found = [(str(t).strip(), c) for t, c in zip(again["text"], again["conf"], strict=True) if str(t).strip()]
        # only signs and separators may change, and only into a figure's own characters
        if len(found) == 1 and _digits(found[0][0]) == _digits(text) and set(found[0][0]) <= _FIGURE_CHARS:
            data["text"][i], data["conf"][i] = found[0]
    return looked


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


_FIGURE_CHARS = set("0123456789.,-()/$€£%+")
_ODD_FIGURE = re.compile(r"\d[:;]\d|\d\.$")
"""A figure with a separator misread ("27:75", "2:723") or a trailing point ("7732." for "7,732"): read
again whatever its confidence."""
_SPLIT_NUMBER_GAP = 0.6
"""A gap narrower than this share of the words' height between two digits is no space: Tesseract
splits figures at narrow digits ("03/1 1/2024", "3,51 1"); figures in separate columns stand much
further apart."""


def _joined(words: list[OcrWord]) -> list[OcrWord]:
    """Words of one line where a figure was split at a narrow gap, put back together."""
    out: list[OcrWord] = []
    for word in words:
        prev = out[-1] if out else None
        if (prev is not None and prev.line == word.line and prev.text[-1].isdigit() and word.text[0].isdigit()
                and word.left - prev.right < _SPLIT_NUMBER_GAP * max(prev.top - prev.bottom, word.top - word.bottom)):
            out[-1] = OcrWord(text=prev.text + word.text, left=prev.left, right=word.right,
                              bottom=min(prev.bottom, word.bottom), top=max(prev.top, word.top), line=prev.line,
                              confidence=min(prev.confidence, word.confidence))
        else:
            out.append(word)
    return out


def _words(data: dict[str, list[object]], scale: float, page_height: float) -> list[OcrWord]:
    """Tesseract's TSV rows (pixels, origin top left) as words in PDF points (origin bottom left)."""
    out = []
    for i, raw in enumerate(data["text"]):
        text = str(raw).strip()
        if not text:
            continue
        left, top = int(str(data["left"][i])) / scale, int(str(data["top"][i])) / scale
        width, height = int(str(data["width"][i])) / scale, int(str(data["height"][i])) / scale
        out.append(OcrWord(
            text=text, left=left, right=left + width, top=page_height - top, bottom=page_height - top - height,
            line=(int(str(data["block_num"][i])), int(str(data["par_num"][i])), int(str(data["line_num"][i]))),
            confidence=float(str(data["conf"][i]))))
    return out
