"""Clause segmentation: numbered headings, paragraphs and list items, with stable clause ids.

Ids follow the document's own numbering so they survive edits elsewhere in the text:
``cl-5.2`` for clause 5.2, ``cl-5.2(a)`` for its list item (a), ``cl-5.2-p2`` for its second
unnumbered paragraph, ``h-annex-1`` for an unnumbered heading, ``p3`` for the third unnumbered
paragraph before any heading. A later input file gets a ``d2:`` (``d3:``, ...) prefix. Each
clause keeps its text as spans, one per page or paragraph it covers, so any sentence of it can
be quoted with the page or paragraph it is on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from assay.analysis.analyzers.contract_review.docx_numbering import format_number
from assay.analysis.analyzers.contract_review.extract import Block, ExtractedDocument
from assay.analysis.analyzers.contract_review.sentence_kind import FINITE_VERB

ClauseKind = Literal["heading", "paragraph", "list_item"]

_OUTLINE = r"[A-Z]\.\d{1,3}(?:\.(?:\d{1,3}|[a-z]))*"
"""An outline number: a letter, then levels of digits or a lower-case letter ("C.2", "H.1.a")."""
_SECTION = re.compile(
    rf"^(?:[*_]{{2}}(?=\d))?(?:(?i:section|clause|article|art\.|§)\s*|(?!\d{{3}}\s))"
    rf"(\d{{1,3}}(?:\.\d{{1,3}}){{0,4}}|{_OUTLINE})(?:\.(?!\d)|\))?(?:(?<=[\d.)])[*_]{{2}})?\s+"
    r"(?=[*_]{0,3}[A-Z\"'“‘(\[])"
)
"""A clause number before its text, which opens with a capital (after Markdown emphasis: "3.1 **Documented
instructions.** Process ...", 1.13.0; the number itself in bold: "**4.1** Ensure ...", 1.22.0). Three digits and
a space with no "Section" before them are a street number or an amount ("901 Brutscher Street" in a party's
address), no clause (1.21.0)."""
_SUB_CLAUSE = re.compile(rf"^(\d{{1,3}}(?:\.\d{{1,3}}){{1,4}}|{_OUTLINE})\.?\s+(?=[a-z])")
"""A sub-clause number (two levels or more, or an outline number) before text in lower case, an item
completing its clause's lead-in ("5.2 ... in relation to: 5.2.1 security of processing;", 1.13.0; "H.1
... will: H.1.a. return ...", 1.17.0)."""
_RUN_ON = re.compile(r"[a-z)][.!?]\W{0,3}\s+[A-Z]")
"""A sentence ending inside a line, and another starting ("(Articles 32–36).** Assist the ..."): no title."""
_SECTION_WORD = re.compile(r"^(?:section|clause|article)\s+(\d{1,3}(?:\.\d{1,3}){0,4})\b[.:]?\s*", re.IGNORECASE)
_ITEM_NUMBER = re.compile(r"^\d{1,2}[.)]\s")
"""A list item's number, "1." or "1)" (not "1 Canada Square", an address under a lead-in)."""
_LIST_PAREN = re.compile(r"^\(([a-z]{1,2}|[ivxlc]{1,6}|\d{1,2})\)\s+", re.IGNORECASE)
_LIST_DOT = re.compile(r"^([a-z]|[ivx]{1,4}|\d{1,2}(?=[.)]\s+[a-z]))[.)]\s+(?=\S)")
"""A list item's mark: "a.", "iv)", or a number before text in lower case ("2. delete all copies ...",
1.17.0; before a capital it is a clause number)."""
_BULLET = re.compile(r"^[•·▪◦‣●○■□\-–—*]\s+")
_SENTENCE_END = re.compile(r"[.;:!?)\"”’]$")
_MODALS = {"shall", "will", "must", "may", "should", "is", "are", "can"}
_DUTY_MODALS = _MODALS - {"is", "are"}
ATX_TITLE_WORDS = 16
"""A Markdown heading line up to this many words is a title (1.22.0)."""
_SMALL_WORDS = {
    "a", "an", "and", "as", "at", "by", "for", "in", "of", "on", "or", "the", "to", "with",
    "under", "from", "into", "its", "their", "per", "vs", "&",
}  # fmt: skip


@dataclass(frozen=True)
class Span:
    """Part of a clause that lies on one page (PDF) or in one paragraph (DOCX, text)."""

    text: str
    page: int
    paragraph: int
    file_id: str


@dataclass
class Clause:
    """One clause: a heading, a paragraph or a list item."""

    clause_id: str
    kind: ClauseKind
    number: str
    """The document's own label, e.g. ``5.2`` or ``(a)``; empty when unnumbered."""
    heading: str
    """Title of the enclosing section, e.g. ``Sub-processors``; empty when none."""
    spans: list[Span] = field(default_factory=list)
    ordinal: int = 0
    """Position in the document, 0-based."""

    @property
    def text(self) -> str:
        """The clause's text, spans joined with a space."""
        return " ".join(s.text for s in self.spans if s.text)


@dataclass(frozen=True)
class _Line:
    text: str
    block: Block
    heading_style: bool
    starts_block: bool
    starts_paragraph: bool = False
    """First line of its block or after a blank line."""
    whole_paragraph: bool = False
    """The only line of its paragraph."""
    label_row: bool = False
    """A Markdown table row whose first cell is a label ("| **Categories of data subjects:** | ...")."""


def _lines(document: ExtractedDocument) -> Iterator[_Line]:
    for block in document.blocks:
        heading_style = block.style.lower().startswith(("heading", "title"))
        raw_lines = [" ".join(_unquoted(raw).split()) for raw in block.text.strip("\n").split("\n")]
        for i, text in enumerate(raw_lines):
            if _no_text(text):
                # A blank line inside a block still ends the running paragraph; so does a
                # heading's underline or a rule ("- - -"), which is no text.
                yield _Line("", block, False, False)
                continue
            starts = i == 0 or _no_text(raw_lines[i - 1])
            if not starts and (_ATX_HEADING.match(text) or _ATX_HEADING.match(raw_lines[i - 1])):
                # A line opening with "#" to "######" (Markdown's ATX heading) starts a paragraph of
                # its own though no blank line sets it off, and is a heading when it reads as a
                # title ("### 4.1 Processing of Client Data"), not the clause it heads (1.9.0). Such
                # a heading is one line: the line under it starts its clause, also under a bare
                # number ("### 6.1") or a heading in sentence case ("## 1. Nature of the processing"),
                # which read as no title and would otherwise make the clause's first sentence a
                # heading (1.10.0).
                yield _Line("", block, False, False)
                starts = True
            label_row = _LABEL_ROW.match(text) is not None
            if not starts and label_row and raw_lines[i - 1].startswith("|"):
                # A Markdown table row whose first cell is a label ("| **Nature and purpose of the
                # processing:** | The Processor will ... |") is a "Label: value" line: it starts a
                # paragraph of its own, as the same details written one per line would (1.11.0).
                # Rows of other tables (a list of sub-processors, a security annex whose first
                # column names a measure) still run together.
                yield _Line("", block, False, False)
                starts = True
            underlined = i + 1 < len(raw_lines) and bool(_UNDERLINE.fullmatch(raw_lines[i + 1]))
            # An ATX heading is the whole of its paragraph: the line under it starts its own.
            heading_line = _ATX_HEADING.match(text) is not None
            alone = starts and (i + 1 == len(raw_lines) or not raw_lines[i + 1] or underlined or heading_line)
            # A line underlined with "---" or "===" is a heading (Markdown's setext headings, a
            # plain-text document's underlined titles), however long.
            yield _Line(
                text, block, heading_style or underlined, i == 0, starts or underlined, alone or underlined, label_row
            )


_UNDERLINE = re.compile(r"[-=~^]{3,}")
"""A line that only underlines the line above it (reStructuredText also with "~" or "^", 1.21.0)."""
_THEMATIC_BREAK = re.compile(r"(?:[-*_] ?){3,}")
"""Markdown's rule written with spaces or stars ("- - -", "* * *", "___"): no text, and no underline either
(a setext underline has no spaces), so the line above it stays what it is (1.20.0)."""


_MARKER_SERIES = (("decimal", 99), ("lowerLetter", 26), ("lowerRoman", 15))
"""The series a list marker may count in, written as DOCX numbering writes them, and how far each is read."""


def _marker_predecessors() -> dict[str, tuple[str, ...]]:
    """Each marker's predecessors, one per series it is in ("v": "u" and "iv"), written once at import."""
    table: dict[str, list[str]] = {}
    for series, last in _MARKER_SERIES:
        for value in range(2, last + 1):
            table.setdefault(format_number(value, series), []).append(format_number(value - 1, series))
    return {marker: tuple(previous) for marker, previous in table.items()}


_PREDECESSORS = _marker_predecessors()


def _previous_markers(marker: str) -> tuple[str, ...]:
    """The marker before ``marker`` in its series: "iii" before "iv" (roman), "b" before "c", "2" before "3"."""
    return _PREDECESSORS.get(marker, ())


def _no_text(line: str) -> bool:
    """A blank line, a heading's underline or a rule: it ends the running paragraph and holds no text."""
    return not line or bool(_UNDERLINE.fullmatch(line) or _THEMATIC_BREAK.fullmatch(line))


_QUOTE_MARK = re.compile(r"^[ \t]*>(?:[ \t]*>)*[ \t]?")
"""Markdown's blockquote marks at a line's start ("> ", "> > "): a line of them alone is a blank line."""
_ESCAPED_MARK = re.compile(r"^(\d{1,3}|[a-zA-Z])\\([.)])")
"""A list number whose dot or parenthesis Markdown escapes ("1\\. Access", "a\\) Name")."""
_LABEL_ROW = re.compile(r"\|\s*(?:\*\*[^|*]{3,}?[:?]\s*\*\*|__[^|_]{3,}?[:?]\s*__|[^|*_]{3,}?[:?])\s*\|\s*\S")
"""A Markdown table row whose first cell is a label, bold or not, ending with ":" or "?"
("| **Nature and purpose of processing:** | ..."), followed by a value cell."""
_ATX_HEADING = re.compile(r"#{1,6}\s+\S")
"""A Markdown heading line ("### 4.1 Processing of Client Data"): a paragraph of its own also when the
line above it is no blank (a heading right under another, "## 4. Data Use"), and the line under it
is not part of it."""


def _unquoted(line: str) -> str:
    """A line without its blockquote marks, its list number unescaped: a list quoted in Markdown ("> 1\\. Access,
    rectification, erasure", ">", "> 2\\. Restriction of processing") is read as the same list unquoted (1.18.0)."""
    if not line.lstrip().startswith(">"):
        return line
    return _ESCAPED_MARK.sub(r"\1\2", _QUOTE_MARK.sub("", line))


def _is_title(text: str) -> bool:
    """Whether a line reads as a title: short, mostly capitalised words, no sentence in it, and not
    ending in a small word that a next line would complete ("... Assist the Customer in", "... the
    Personal Data Breach; and": the first line of a wrapped clause, 1.13.0)."""
    if len(text) > 90 or (_SENTENCE_END.search(text) and not text.endswith(")")) or _RUN_ON.search(text):
        return False
    words = re.findall(r"[A-Za-z][A-Za-z'’\-]*", text)
    if not words or len(words) > 12 or words[-1] in _SMALL_WORDS:
        return False
    if text.upper() == text and any(c.isalpha() for c in text):
        return True
    content = [w for w in words if w.lower() not in _SMALL_WORDS]
    if not content:
        return False
    capitalised = sum(1 for w in content if w[0].isupper())
    return capitalised / len(content) >= 0.75


def _is_short_title(text: str) -> bool:
    """A numbered line of a few words without closing punctuation ("7. Automated decisions")."""
    words = text.split()
    return (
        0 < len(words) <= 8
        and not _SENTENCE_END.search(text)
        and text[0].isupper()
        and not any(w.lower() in _MODALS for w in words)
    )


_ATX_MARKS = re.compile(r"#{1,6}\s+(?:\d{1,3}(?:\.\d{1,3}){0,4}[.)]?\s+)?")
"""A Markdown heading's marks and the number after them ("## 1. ")."""


def _is_atx_title(text: str) -> bool:
    """A Markdown heading line whose words read as a title, also in sentence case ("## 1. Subject matter and
    duration", "## 5. Our obligations", 1.21.0) and also with a verb that states no duty ("### 8. Measures for
    ensuring physical security of locations at which personal data are processed", 1.22.0), or closed by a full
    stop without one ("### 4.1. Obligations."): its marks say it is a heading. A line that ends a sentence or
    holds a modal ("## 4. The Processor shall ...") is a clause."""
    marks = _ATX_MARKS.match(text)
    if marks is None:
        return False
    title = text[marks.end() :].strip("*_ ")
    words = title.split()
    return (
        0 < len(words) <= ATX_TITLE_WORDS
        and title[0].isupper()
        and not (_SENTENCE_END.search(title) and not title.endswith(")") and not _verbless_with_full_stop(title))
        and not any(w.lower() in _DUTY_MODALS for w in words)
    )


def _verbless_with_full_stop(title: str) -> bool:
    """A title closed by a full stop, with no verb that would make it a sentence ("### 4.1. Obligations.")."""
    return title.endswith(".") and FINITE_VERB.search(title) is None


def _slug(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())[:4]
    return "-".join(words) or "section"


class _Builder:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.clauses: list[Clause] = []
        self.current: Clause | None = None
        self.anchor = ""
        self.anchor_heading = ""
        self.used: dict[str, int] = {}
        self.child_counts: dict[str, int] = {}
        self.preamble = 0
        self.lead = -1
        """The index of the last clause that is no list item: what a list item after it completes."""
        self.first_item = ""
        """The number of the first numbered list item after ``lead`` ("" while there is none)."""
        self.section = ""
        """The number of the last numbered clause that is no list item (its heading's, "11")."""

    def _unique(self, base: str) -> str:
        n = self.used.get(base, 0) + 1
        self.used[base] = n
        return f"{self.prefix}{base}" if n == 1 else f"{self.prefix}{base}~{n}"

    def _start(self, base: str, kind: ClauseKind, number: str, heading: str) -> Clause:
        clause = Clause(
            clause_id=self._unique(base),
            kind=kind,
            number=number,
            heading=heading,
            ordinal=len(self.clauses),
        )
        self.clauses.append(clause)
        self.current = clause
        if kind != "list_item":
            self.lead, self.first_item = clause.ordinal, ""
            self.section = number or self.section
        elif number and not self.first_item:
            self.first_item = number
        return clause

    def _child(self, suffix: str) -> str:
        if not self.anchor:
            self.preamble += 1
            return f"{suffix}{self.preamble}"
        n = self.child_counts.get(self.anchor, 0) + 1
        self.child_counts[self.anchor] = n
        return f"{self.anchor}-{suffix}{n}"

    def _append(self, text: str, block: Block) -> None:
        assert self.current is not None
        spans = self.current.spans
        if spans and spans[-1].page == block.page and spans[-1].paragraph == block.paragraph:
            last = spans[-1]
            spans[-1] = Span(f"{last.text} {text}", last.page, last.paragraph, last.file_id)
        else:
            spans.append(Span(text, block.page, block.paragraph, block.file_id))

    def _completes_lead_in(self, number: str) -> bool:
        """Whether a numbered clause is an item of the lead-in before it (1.13.0): the last clause that
        is no list item ends with ":" and is either this clause's parent ("5.2 ... in relation to: 5.2.1
        ...") or unnumbered with sub-clauses of one parent after it ("Freepod will: 3.1 ... 3.2 ...";
        not a top-level "1." of an ordinary numbered list, not "4.1" after the run of "3.x"), or a list
        numbered afresh inside a numbered section."""
        if self.lead < 0:
            return False
        lead = self.clauses[self.lead]
        if lead.kind == "heading" or not lead.spans or not lead.spans[-1].text.rstrip(" *_").endswith(":"):
            return False
        first = (self.first_item or number).strip("()")
        if "." not in number:
            # A list numbered afresh inside a numbered clause or section ("11. RETENTION ... Hook0 will:
            # 1. Return ...; 2. Delete ...") is no run of top-level clauses: those would go on from 11, with
            # 12 next (1.17.0).
            section = self.section.split(".")[0]  # the lead-in's own number, or its section's
            if not (first.isdigit() and section.isdigit() and number.isdigit()):
                return False
            return int(first) < int(section) and int(number) != int(section) + 1
        if lead.number:
            return number.startswith(lead.number.rstrip(".") + ".")
        return number.rsplit(".", 1)[0] == first.rsplit(".", 1)[0]

    def _enumerated_inline(self, marker: str) -> bool:
        """Whether a line opening with a list marker goes on with the clause being read: the marker before it
        is inside that clause's text, not its own number ("Organization shall take sole responsibility for: (i)
        ...; (iii) ...;" with "(iv) ensuring that ..." at the start of the next line of the same paragraph,
        1.23.0). A list item of its own follows its sibling's clause, whose number that marker is."""
        current = self.current
        if current is None or current.kind == "heading":
            return False
        text = current.text
        return any(
            re.search(rf"\s\(?{re.escape(previous)}[.)]\s", text) is not None and current.number != f"({previous})"
            for previous in _previous_markers(marker)
        )

    def end_paragraph(self) -> None:
        if self.current is not None and self.current.kind == "heading":
            return
        self.current = None

    def add(self, line: _Line) -> None:
        text = line.text
        if not text:
            self.end_paragraph()
            return
        if line.starts_block and not line.block.continues:
            self.current = None
        word = _SECTION_WORD.match(text)
        section = word or _SECTION.match(text) or _SUB_CLAUSE.match(text)
        if section is not None:
            number = section.group(1).rstrip(".")
            rest = text[section.end() :]
            self.anchor = f"cl-{number}"
            # A verbless line numbered under a lead-in ("the rights of:" then "1. Data portability") is its item,
            # not a heading, though it reads as a title (1.18.0); a line with a verb that reads as one stays a
            # heading ("3. Annex II: Technical and organisational measures ...: TOMs are as set forth in ...").
            completes = self._completes_lead_in(number)
            item = (
                completes
                and not line.heading_style
                and bool(rest)
                and _ITEM_NUMBER.match(text) is not None
                and FINITE_VERB.search(rest) is None
            )
            is_heading = not item and (
                line.heading_style or not rest or _is_title(rest) or (line.whole_paragraph and _is_short_title(rest))
            )
            if is_heading:
                self.anchor_heading = rest.strip() or text
                self._start(self.anchor, "heading", number, self.anchor_heading)
            else:
                kind: ClauseKind = "list_item" if completes else "paragraph"
                self._start(self.anchor, kind, number, self.anchor_heading)
            self._append(text, line.block)
            return
        listed = _LIST_PAREN.match(text) or _LIST_DOT.match(text)
        if listed is not None and self._enumerated_inline(listed.group(1).lower()):
            self._append(text, line.block)  # "...; (iii) ...;" then "(iv) ensuring ..." wrapped to a new line
            return
        if listed is not None:
            label = f"({listed.group(1).lower()})"
            base = f"{self.anchor}{label}" if self.anchor else f"item{label}"
            self._start(base, "list_item", label, self.anchor_heading)
            self._append(text, line.block)
            return
        if _BULLET.match(text):
            self._start(self._child("b"), "list_item", "", self.anchor_heading)
            self._append(text, line.block)
            return
        if (
            line.heading_style
            or (_is_title(text) and line.starts_paragraph and not line.label_row)
            or _is_atx_title(text)
        ):
            self.anchor = f"h-{_slug(text)}"
            self.anchor_heading = text
            self._start(self.anchor, "heading", "", text)
            self._append(text, line.block)
            return
        if self.current is None or self.current.kind == "heading":
            self._start(self._child("p"), "paragraph", "", self.anchor_heading)
        self._append(text, line.block)


def segment(documents: Sequence[ExtractedDocument]) -> list[Clause]:
    """Split the documents into clauses, in reading order."""
    clauses: list[Clause] = []
    for index, document in enumerate(documents):
        builder = _Builder(prefix="" if index == 0 else f"d{index + 1}:")
        for line in _lines(document):
            builder.add(line)
        for clause in builder.clauses:
            clause.ordinal = len(clauses)
            clauses.append(clause)
    return clauses


_ABBREVIATIONS = {
    "art", "arts", "no", "nos", "e.g", "i.e", "etc", "cf", "sec", "para", "paras", "ltd", "inc",
    "co", "corp", "mr", "mrs", "ms", "dr", "st", "vs", "u.s", "u.k", "e.u", "ch", "pp", "p",
    "s", "ss", "reg", "regs", "cl", "sch", "incl", "approx", "fig", "al",
}  # fmt: skip
_BOUNDARY = re.compile(r"(?<=[.!?;])[\"”’)]?\s+(?=[\"“‘(\[]?[A-Z0-9(])")
MAX_SENTENCE_CHARS = 600


def _whole_sentences(text: str) -> list[str]:
    """A span's text split into sentences (semicolon-separated limbs count as sentences)."""
    out: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.start()
        candidate = text[start:end].strip()
        tail = re.search(r"([A-Za-z.]+)[.]$", text[start : match.end()].rstrip())
        if tail is not None and tail.group(1).lower().rstrip(".") in _ABBREVIATIONS:
            continue
        if len(candidate) < 3:
            continue
        out.append(text[start : match.end()].strip())
        start = match.end()
    rest = text[start:].strip()
    if rest:
        out.append(rest)
    return out


def sentences(text: str) -> list[str]:
    """Split a span's text into sentences (semicolon-separated limbs count as sentences); an
    over-long sentence is cut into parts of at most MAX_SENTENCE_CHARS."""
    return [part for sentence in _whole_sentences(text) for part in _parts(sentence)]


def sentence_parts(text: str) -> list[tuple[str, str]]:
    """Like :func:`sentences`, each part with its sentence up to the part's end: a later part of
    an over-long sentence ("..., ensuring that all such individuals are subject to
    confidentiality undertakings") is still governed by what the sentence opened with ("It is
    not agreed that the Processor shall take reasonable steps ...")."""
    out: list[tuple[str, str]] = []
    for sentence in _whole_sentences(text):
        parts = _parts(sentence)
        out.extend((part, " ".join(parts[: index + 1])) for index, part in enumerate(parts))
    return out


def _parts(sentence: str) -> list[str]:
    """An over-long sentence cut at commas (or spaces) into parts of at most MAX_SENTENCE_CHARS."""
    result: list[str] = []
    while len(sentence) > MAX_SENTENCE_CHARS:
        cut = sentence.rfind(", ", 0, MAX_SENTENCE_CHARS)
        cut = cut + 1 if cut > 100 else sentence.rfind(" ", 0, MAX_SENTENCE_CHARS)
        if cut <= 0:
            cut = MAX_SENTENCE_CHARS
        result.append(sentence[:cut].strip())
        sentence = sentence[cut:].strip()
    if sentence:
        result.append(sentence)
    return result
