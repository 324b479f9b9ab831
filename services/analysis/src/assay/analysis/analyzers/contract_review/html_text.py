"""HTML contracts into paragraphs of clean text: a real parser, markup never reaches a quote.

lxml's HTML parser (libxml2, network access off, comments and processing instructions dropped)
reads the page; ``script``, ``style``, ``template``, ``noscript`` and the ``head`` are skipped
and anything hidden with ``display:none`` or ``hidden``. Every block-level element (``p``,
``li``, ``h1`` to ``h6``, ``td``, ``div`` text, ...) becomes one paragraph, its inline markup
(``<span>``, ``<b>``, ``<a>``) flattened into its text and ``<br>`` a line break; headings carry a
``Heading N`` style like DOCX headings, and list items are written as ``- item`` or ``3. item``
so the segmenter sees them as list items. A clause number alone in its element numbers the text of the next
("<div>1.1<div>This DPA ...</div></div>" is "1.1 This DPA ...").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree, html

from assay.analysis.plugin import AnalysisInputError

_SKIPPED = frozenset({"script", "style", "template", "noscript", "head", "title", "meta", "link", "svg", "math",
                      "object", "embed", "iframe", "select", "button"})
_BLOCKS = frozenset({
    "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "table", "tr",
    "td", "th", "caption", "thead", "tbody", "tfoot", "blockquote", "pre", "section", "article", "header",
    "footer", "main", "nav", "aside", "address", "figure", "figcaption", "hr", "form", "fieldset", "center",
    "body", "html",
})
_HEADING = re.compile(r"^h([1-6])$")
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


@dataclass(frozen=True)
class HtmlParagraph:
    """One block-level element's text; ``style`` is ``Heading N`` for ``<hN>``."""

    text: str
    style: str = ""


_CLAUSE_NUMBER = re.compile(r"(?:§\s*)?(?:\d{1,3}(?:\.\d{1,3})*\.?|\(?[a-z]{1,2}\)|\(?[ivx]{1,5}\)|\(\d{1,3}\))")
"""A clause number alone in its element ("1.1", "(a)", "§ 3"): it numbers the next element's text."""


@dataclass
class _Walker:
    paragraphs: list[HtmlParagraph] = field(default_factory=list)
    buffer: list[str] = field(default_factory=list)
    style: str = ""
    number: str = ""
    """A clause number waiting for the text it numbers (``<div>1.1<div>This DPA ...</div></div>``, 1.24.0)."""

    def flush(self) -> None:
        lines = (" ".join(line.split()) for line in "".join(self.buffer).split("\n"))
        text = "\n".join(line for line in lines if line)
        if _CLAUSE_NUMBER.fullmatch(text) and not self.style:
            self.number = f"{self.number}{text} "
        elif text:
            self.paragraphs.append(HtmlParagraph(self.number + text, self.style))
            self.number = ""
        self.buffer.clear()
        self.style = ""

    def walk(self, element: etree._Element) -> None:
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if not tag or tag in _SKIPPED or _hidden(element):
            return  # comments and processing instructions are dropped by the parser; their tail is the parent's
        block = tag in _BLOCKS
        if block:
            self.flush()
            heading = _HEADING.match(tag)
            if heading is not None:
                self.style = f"Heading {heading.group(1)}"
            elif tag == "li":
                self.buffer.append(_list_marker(element))
        if tag == "br":
            self.buffer.append("\n")
        if element.text:
            self.buffer.append(_flat(element.text))
        for child in element:
            self.walk(child)
            if child.tail:
                self.buffer.append(_flat(child.tail))
        if block:
            self.flush()
        elif tag in {"td", "th"}:
            self.buffer.append(" ")


def _flat(text: str) -> str:
    """Source line breaks are spaces in HTML; only ``<br>`` breaks a line."""
    return text.replace("\r", " ").replace("\n", " ")


def _hidden(element: etree._Element) -> bool:
    return element.get("hidden") is not None or bool(_HIDDEN.search(element.get("style") or ""))


def _list_marker(item: etree._Element) -> str:
    parent = item.getparent()
    if parent is None or not isinstance(parent.tag, str) or parent.tag.lower() != "ol":
        return "- "
    siblings = [c for c in parent if isinstance(c.tag, str) and c.tag.lower() == "li"]
    start = parent.get("start", "1")
    first = int(start) if start.isdigit() else 1
    return f"{first + siblings.index(item)}. "


_DECLARED_CHARSET = re.compile(rb"<meta[^>]*charset", re.IGNORECASE)
_BYTE_ORDER_MARKS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def undeclared_encoding(data: bytes) -> str | None:
    """The encoding of a page that does not declare one: UTF-8 when its bytes are UTF-8, else
    cp1252; ``None`` (the parser follows the page) when a byte-order mark or a ``<meta>`` charset
    within the first 1,024 bytes (HTML's prescan) declares it. libxml2 would read an undeclared
    page as Latin-1, so each curly quote of a UTF-8 page became three characters in every quote."""
    if data.startswith(_BYTE_ORDER_MARKS) or _DECLARED_CHARSET.search(data[:1024]):
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def html_paragraphs(data: bytes) -> list[HtmlParagraph]:
    """The page's paragraphs in reading order.

    Raises:
        AnalysisInputError: ``INPUT_UNPARSEABLE`` when the page cannot be parsed.
    """
    parser = html.HTMLParser(
        no_network=True, remove_comments=True, remove_pis=True, recover=True, encoding=undeclared_encoding(data)
    )
    try:
        root = html.fromstring(data, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise AnalysisInputError("INPUT_UNPARSEABLE", f"the HTML cannot be read: {exc}") from exc
    walker = _Walker()
    walker.walk(root)
    walker.flush()
    return walker.paragraphs
