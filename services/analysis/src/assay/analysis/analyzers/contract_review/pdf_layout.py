"""PDF pages into clean paragraphs, read from PDFium's positioned text boxes.

- **Lines** are rebuilt from PDFium's text and character boxes: runs that share a height are one
  printed line, whatever order the generator drew them in, so a text layer that holds one word
  per text object no longer becomes one "line" per word, and a paragraph's first word drawn
  apart is not a heading of its own.
- **Running headers, footers and page numbers** are dropped: a line in the top or bottom margin
  whose text (digits ignored) recurs at the same height on at least half of the pages, and any
  bare page number ("3", "Page 3 of 12", "- 3 -", "1 / 12") in a margin.
- **Paragraphs** end at extra spacing, a change of font size, a line that starts a clause number
  or list mark, or a short line that closes a sentence; their lines are joined, end-of-line
  hyphenation undone ("con-" + "tract"; compound prefixes such as "sub-" keep their hyphen).
- **Page breaks**: a paragraph a page leaves unfinished continues on the next page
  (:attr:`PdfPage.continues`), and the rest of its sentence is moved back to the page where the
  sentence starts, so every sentence is quoted whole with the page it starts on.
"""

from __future__ import annotations

import ctypes
import itertools
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pypdfium2.raw as pdfium_c

MARGIN = 0.13
"""Share of the page height at the top and at the bottom where running lines are looked for."""
RUNNING_SHARE = 0.5
"""A margin line recurring on at least this share of the pages (and on two) is running."""
RUNNING_TOLERANCE = 12.0
"""Points a running line may move up or down from page to page."""

JOIN_GAP = 1.0
"""Points between two boxes of a line above which a space separates them."""
COLUMN_GAP = 3.0
"""Boxes at one height further apart than this many line heights are separate lines (columns)."""

_PAGE_NUMBER = re.compile(
    r"^(?:(?:page|seite|side|sida|pagina|página|p\.)\s*)?[-–—]?\s*\d{1,4}\s*[-–—]?"
    r"(?:\s*(?:/|of|von|af|av|de|sur|di)\s*\d{1,4})?$",
    re.IGNORECASE,
)
_STARTS_ITEM = re.compile(
    r"^(?:(?:section|clause|article|art\.|§|annex|appendix|schedule|exhibit)\s+\S+"
    r"|\d{1,3}(?:\.\d{1,3}){0,4}[.)]?\s+\S"
    r"|\(\s?(?:[a-z]{1,2}|[ivxlc]{1,6}|\d{1,2})\s?\)\s+\S"
    r"|(?:[a-z]|[ivx]{1,4})[.)]\s+\S"
    r"|[•·▪◦‣●○■□\-–—*]\s+\S)",
    re.IGNORECASE,
)
_RUN = re.compile(r"[^\r\n\ufffe]*[^\s\ufffe][^\r\n\ufffe]*\ufffe?")
"""A run of PDFium's text up to a line break; PDFium joins a hyphenated line to the next one
with U+FFFE, which ends a run here too."""
_SENTENCE_END = re.compile(r"[.!?;:][\"”’)]?$")
_SOFT_HYPHENS = "\u00ad\ufffe\x02"
_KEEP_HYPHEN = frozenset({
    "sub", "non", "self", "third", "cross", "co", "multi", "anti", "pre", "post", "re", "e", "ex",
    "opt", "follow", "set", "sign", "check", "log", "up", "on", "off", "data", "end", "well",
})  # fmt: skip
_SENTENCE_BREAK = re.compile(r"(?<=[.!?;])[\"”’)]?\s+(?=[\"“‘(\[]?[A-Z0-9(])")
_ABBREVIATION = re.compile(
    r"\b(?:art|arts|no|nos|e\.g|i\.e|etc|cf|sec|para|paras|ltd|inc|co|corp|mr|mrs|ms|dr|st|vs|"
    r"u\.s|u\.k|e\.u|ch|pp|p|s|ss|reg|regs|cl|sch|incl|approx|fig|al|sent|lit|abs|nr|ff|seq|et)\.$",
    re.IGNORECASE,
)


@dataclass
class TextLine:
    """One printed line: its text and its box in points (PDF coordinates, origin bottom left)."""

    text: str
    left: float
    bottom: float
    right: float
    top: float

    @property
    def height(self) -> float:
        return self.top - self.bottom

    @property
    def centre(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass
class PdfPage:
    """A page's paragraphs, in reading order, after its running lines were dropped."""

    number: int
    paragraphs: list[str] = field(default_factory=list)
    continues: bool = False
    """Whether the first paragraph goes on with the previous page's last one."""
    open_end: bool = False
    """Whether the page's last line runs to the right margin (its paragraph may go on)."""

    @property
    def text(self) -> str:
        """Paragraphs separated by a blank line, each on one line."""
        return "\n\n".join(self.paragraphs)


def page_lines(textpage: Any) -> list[TextLine]:
    """The page's printed lines in PDFium's reading order.

    ``textpage`` is a ``pypdfium2.PdfTextPage``. PDFium's text has a line break wherever it sees
    a new line; each such run is placed by its first and last characters (their edges, baseline
    and font size: a few look-ups a line, not one a character). Runs at
    the same height and close together are one printed line, put in order left to right.
    """
    count = textpage.count_chars()
    text = textpage.get_text_range()
    if len(text) != count:  # characters PDFium generated differently: read them one by one
        text = "".join(textpage.get_text_range(i, 1) for i in range(count))
    lines: list[TextLine] = []
    pieces: list[tuple[float, float, str]] = []
    for match in _RUN.finditer(text):
        piece = match.group()
        first = match.start() + len(piece) - len(piece.lstrip())
        last = match.start() + len(piece.rstrip().rstrip("\ufffe").rstrip()) - 1
        left, base_a, _, size_a = _glyph(textpage, first)
        _, base_b, right, size_b = _glyph(textpage, last)
        size = max(size_a, size_b)
        if size <= 0:
            continue
        bottom, top = min(base_a, base_b) - 0.2 * size, max(base_a, base_b) + 0.8 * size
        line = lines[-1] if lines else None
        if line is not None and _same_height(line, bottom, top) and left <= line.right + COLUMN_GAP * (top - bottom):
            pieces.append((left, right, piece))
            line.left, line.right = min(line.left, left), max(line.right, right)
            line.bottom, line.top = min(line.bottom, bottom), max(line.top, top)
            line.text = _join_pieces(pieces)
            continue
        pieces = [(left, right, piece)]
        lines.append(TextLine(_join_pieces(pieces), left, bottom, right, top))
    return lines


def _glyph(textpage: Any, index: int) -> tuple[float, float, float, float]:
    """A character's left and right edge, baseline and font size (points): the baseline and size
    place a line the same way whatever its letters (a tight box of "a" is lower than of "T")."""
    left, bottom, right, top = textpage.get_charbox(index)
    x, y = ctypes.c_double(), ctypes.c_double()
    if pdfium_c.FPDFText_GetCharOrigin(textpage.raw, index, ctypes.byref(x), ctypes.byref(y)):
        bottom = y.value
    size = float(pdfium_c.FPDFText_GetFontSize(textpage.raw, index))
    return left, bottom, right, size if size > 0 else top - bottom


def _same_height(line: TextLine, bottom: float, top: float) -> bool:
    overlap = min(line.top, top) - max(line.bottom, bottom)
    return overlap > 0.5 * min(line.height, top - bottom)


def _join_pieces(pieces: list[tuple[float, float, str]]) -> str:
    """Boxes of one line, left to right; a space only where the text or a gap has one."""
    text = ""
    end = 0.0
    for left, right, piece in sorted(pieces, key=lambda p: p[0]):
        words = " ".join(piece.split())
        if not words:
            continue
        gap = text and (piece[:1].isspace() or text.endswith(" ") or left - end > JOIN_GAP)
        text = f"{text.rstrip()} {words}" if gap else text + words
        if piece[-1:].isspace():
            text += " "
        end = right
    return text.strip()


def running_lines(pages: list[list[TextLine]], heights: list[float]) -> set[tuple[int, int]]:
    """``(page index, line index)`` of headers, footers and page numbers to drop."""
    drop: set[tuple[int, int]] = set()
    seen: dict[str, list[tuple[int, int, float]]] = defaultdict(list)
    for p, (lines, height) in enumerate(zip(pages, heights, strict=True)):
        for i, line in enumerate(lines):
            if not _in_margin(line, height):
                continue
            if _PAGE_NUMBER.match(line.text.strip()):
                drop.add((p, i))
            elif _STARTS_ITEM.match(line.text):
                continue  # a numbered clause or list item at the same place on every page is content
            key = re.sub(r"\d+", "#", " ".join(line.text.lower().split()))
            seen[key].append((p, i, line.centre))
    needed = max(2, round(RUNNING_SHARE * len(pages)))
    for places in seen.values():
        if len({p for p, _, _ in places}) < needed:
            continue
        middle = statistics.median(c for _, _, c in places)
        near = [(p, i) for p, i, c in places if abs(c - middle) <= RUNNING_TOLERANCE]
        if len({p for p, _ in near}) >= needed:
            drop.update(near)
    return drop


def _in_margin(line: TextLine, page_height: float) -> bool:
    return line.centre >= (1 - MARGIN) * page_height or line.centre <= MARGIN * page_height


def paragraphs(lines: list[TextLine]) -> tuple[list[str], bool]:
    """The lines of one page (running lines already dropped) grouped into paragraphs, and whether
    the last line runs to the right margin (so its paragraph may go on over the page)."""
    if not lines:
        return [], False
    height = statistics.median(ln.height for ln in lines)
    leadings = [a.bottom - b.bottom for a, b in itertools.pairwise(lines)
                if 0 < a.bottom - b.bottom < 3 * height]
    leading = statistics.median(leadings) if leadings else 1.2 * height
    left = min(ln.left for ln in lines)
    rights = sorted(ln.right for ln in lines)
    width = max(rights[int(0.9 * (len(rights) - 1))] - left, 1.0)
    out: list[list[str]] = []
    previous: TextLine | None = None
    for line in lines:
        if previous is None or _breaks(previous, line, leading, left, width):
            out.append([line.text])
        else:
            out[-1].append(line.text)
        previous = line
    full = lines[-1].right >= left + 0.8 * width
    return [joined for group in out if (joined := join_lines(group))], full


def _breaks(previous: TextLine, line: TextLine, leading: float, left: float, width: float) -> bool:
    """Whether ``line`` starts a new paragraph after ``previous``."""
    step = previous.bottom - line.bottom
    if step <= 0 or step > 1.3 * leading:
        return True  # extra spacing, or a jump up (a new column or a box drawn out of order)
    if abs(line.height - previous.height) > 0.35 * max(line.height, previous.height):
        return True  # a change of font size: a heading ends or starts
    short = previous.right < left + 0.8 * width
    ended = ends_sentence(previous.text)
    if _STARTS_ITEM.match(line.text) and (short or ended):
        return True
    if short and ended:
        return True
    return short and previous.right < left + 0.7 * width and line.text[:1].isupper()


def ends_sentence(text: str) -> bool:
    """Whether the text ends a sentence (not an abbreviation such as "Art." or "No.")."""
    text = text.rstrip()
    return bool(_SENTENCE_END.search(text)) and not _ABBREVIATION.search(text.rstrip("\"”’)"))


def join_lines(lines: list[str]) -> str:
    """A paragraph's lines as one line, end-of-line hyphenation undone."""
    text = ""
    for raw in lines:
        line = " ".join(raw.split())
        if not line:
            continue
        if not text:
            text = line
            continue
        if text[-1] in _SOFT_HYPHENS:
            text = text[:-1] + "-"
        hyphenated = re.search(r"(\w+)-$", text)
        if hyphenated is not None and line[:1].islower() and not hyphenated.group(1)[-1].isdigit():
            keep = hyphenated.group(1).lower() in _KEEP_HYPHEN or "@" in line.split(" ", 1)[0]
            text = text + line if keep else text[:-1] + line
            continue
        text = f"{text} {line}"
    return text.translate({ord(c): None for c in _SOFT_HYPHENS})


def _first_sentence_end(paragraph: str) -> int:
    """Where the paragraph's first sentence ends (its length when it has one sentence only)."""
    for match in _SENTENCE_BREAK.finditer(paragraph):
        if _ABBREVIATION.search(paragraph[: match.start() + 1].rstrip("\"”’)")):
            continue
        return match.start()
    return len(paragraph)


def stitch(pages: list[PdfPage]) -> None:
    """Mark paragraphs that run on over a page break, and move the rest of a sentence a page
    leaves unfinished back to that page (in place)."""
    previous: PdfPage | None = None
    for page in pages:
        if previous is not None and previous.paragraphs and page.paragraphs:
            tail, head = previous.paragraphs[-1], page.paragraphs[0]
            if (not ends_sentence(tail) or previous.open_end) and not _STARTS_ITEM.match(head):
                cut = 0 if ends_sentence(tail) else _first_sentence_end(head)
                moved, rest = head[:cut].strip(), head[cut:].strip()
                if moved:
                    previous.paragraphs[-1] = join_lines([tail, moved])
                if rest:
                    page.paragraphs[0] = rest
                    page.continues = True
                else:
                    page.paragraphs.pop(0)
        if page.paragraphs:
            previous = page
