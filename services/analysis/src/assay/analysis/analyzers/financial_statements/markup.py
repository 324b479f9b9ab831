"""HTML and markdown renderings of filings into blocks: one per table, with the text above it.

HTML tables of filings spread one figure over several cells ("$", "1,234", ")") and add empty
spacer columns; cells keep the index of the grid column they end in (colspans expanded), so the
table parser lines values up by column. Page breaks (CSS ``page-break-*``) count pages; the
printed page number in a page's footer names it when there is one.
"""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree, html

from assay.analysis.analyzers.financial_statements.blocks import Block, Cell, Line
from assay.analysis.plugin import AnalysisInputError

_BLOCK_TAGS = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "center", "table"})
_PAGE_BREAK = re.compile(r"page-break-(?:before|after)\s*:\s*always|break-(?:before|after)\s*:\s*page", re.I)
_HIDDEN = re.compile(r"display\s*:\s*none", re.I)
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?(\d{1,4})$", re.I)
_HEADING_LINES = 10


def _text(el: etree._Element) -> str:
    for br in el.iter("br"):
        br.tail = " " + (br.tail or "")
    return " ".join("".join(el.itertext()).replace("\u200b", "").split())


def _table_lines(table: etree._Element, page: int) -> list[Line]:
    lines: list[Line] = []
    occupied: dict[tuple[int, int], bool] = {}
    for r, tr in enumerate(table.iter("tr")):
        cells: list[Cell] = []
        col = 0
        for td in tr:
            if not isinstance(td.tag, str) or td.tag.lower() not in {"td", "th"}:
                continue
            while occupied.get((r, col)):
                col += 1
            span = int(td.get("colspan", "1") or 1) if str(td.get("colspan", "1")).isdigit() else 1
            rowspan = int(td.get("rowspan", "1") or 1) if str(td.get("rowspan", "1")).isdigit() else 1
            for extra in range(1, min(rowspan, 50)):
                for c in range(col, col + span):
                    occupied[(r + extra, c)] = True
            text = _text(td)
            if text:
                indent = _indent(td)
                cells.append(Cell(text=text, pos=float(col + span - 1), start=float(col) + indent / 1000))
            col += span
        if cells:
            lines.append(Line(cells=cells, page=page, number=len(lines) + 1, indent=cells[0].start % 1 * 1000))
    return lines


_PADDING = re.compile(r"(?:padding-left|margin-left|text-indent)\s*:\s*([\d.]+)\s*(pt|px|em)?", re.I)


def _indent(td: etree._Element) -> float:
    total = 0.0
    for el in (td, *td.iterdescendants()):
        style = el.get("style") if isinstance(el.tag, str) else None
        if style:
            for value, unit in _PADDING.findall(style):
                total += float(value) * (12.0 if unit == "em" else 1.0)
    return min(total, 900.0)


def html_blocks(path: Path) -> tuple[list[Block], list[str], int]:
    """Tables with the text above each; also the document's first text lines and its page count."""
    data = path.read_bytes()
    start = data.lower().find(b"<html")
    try:
        root = html.fromstring(data[start:] if start > 0 else data)
    except etree.ParserError as exc:
        raise AnalysisInputError("INPUT_UNPARSEABLE", f"the HTML cannot be read: {exc}") from exc
    blocks: list[Block] = []
    text_lines: list[str] = []
    head: list[str] = []
    page = 1
    printed: dict[int, int] = {}
    buffer: list[str] = []

    def flush() -> None:
        line = " ".join("".join(buffer).split())
        buffer.clear()
        if line:
            text_lines.append(line)
            if len(head) < 200:
                head.append(line)

    skip_depth = 0
    after_table = 0
    for event, el in etree.iterwalk(root, events=("start", "end")):
        if not isinstance(el.tag, str):
            if event == "end" and skip_depth == 0 and el.tail:
                buffer.append(el.tail)
            continue
        tag = el.tag.lower().split("}")[-1]
        style = el.get("style") or ""
        if event == "start":
            if skip_depth or _HIDDEN.search(style) or tag in {"script", "style", "head", "title"}:
                skip_depth += 1
                continue
            if _PAGE_BREAK.search(style) and "before" in style.lower():
                flush()
                _note_page_number(text_lines, page, printed)
                page += 1
            if tag == "table":
                flush()
                lines = _table_lines(el, page)
                if lines:
                    since = text_lines[after_table:][-_HEADING_LINES:]
                    blocks.append(Block(lines=lines, heading=since, page=page, tolerance=0.0,
                                        context=text_lines[-25:]))
                    text_lines.append(" ".join(line.text for line in lines[:1]))
                    after_table = len(text_lines)
                skip_depth += 1
                continue
            if tag in _BLOCK_TAGS:
                flush()
            if el.text:
                buffer.append(el.text)
        else:
            if skip_depth:
                skip_depth -= 1
                if skip_depth == 0 and el.tail:
                    buffer.append(el.tail)
                continue
            if tag in _BLOCK_TAGS:
                flush()
            if _PAGE_BREAK.search(style) and "after" in style.lower():
                flush()
                _note_page_number(text_lines, page, printed)
                page += 1
            if el.tail:
                buffer.append(el.tail)
    flush()
    for block in blocks:
        block.page = block.last_page = printed.get(block.page, block.page)
        for line in block.lines:
            line.page = block.page
    return blocks, head, page


def _note_page_number(lines: list[str], page: int, printed: dict[int, int]) -> None:
    for line in reversed(lines[-3:]):
        match = _PAGE_NUMBER.match(line.strip())
        if match:
            printed[page] = int(match.group(1))
            return


def markdown_blocks(text: str) -> tuple[list[Block], list[str]]:
    """Pipe tables (and whitespace-aligned figure lines) with the text above each."""
    blocks: list[Block] = []
    prose: list[str] = []
    table: list[Line] = []
    aligned: list[Line] = []
    heading_for_aligned: list[str] = []
    since = [0]  # prose index after the last table: a table's heading is the text since then
    lines = text.splitlines()

    def close_table() -> None:
        if table:
            blocks.append(Block(lines=list(table), heading=prose[since[0]:][-_HEADING_LINES:], page=1,
                                tolerance=0.0, context=prose[-25:]))
            table.clear()
            since[0] = len(prose)

    def close_aligned() -> None:
        if len(aligned) >= 3:
            blocks.append(Block(lines=list(aligned), heading=heading_for_aligned[-_HEADING_LINES:], page=1,
                                tolerance=2.0, context=heading_for_aligned[-25:]))
        aligned.clear()

    for number, raw in enumerate(lines, start=1):
        stripped = raw.strip()
        if stripped.startswith("|"):
            close_aligned()
            cells = [c.strip() for c in stripped.strip("|").split("|")]
            if all(re.fullmatch(r":?-{2,}:?", c) or not c for c in cells):
                continue
            positioned = [Cell(text=_unmark(c), pos=float(i), start=float(i) + _md_indent(c) / 1000)
                          for i, c in enumerate(cells) if _unmark(c)]
            if positioned:
                table.append(Line(cells=positioned, page=1, number=number, indent=_md_indent(cells[0])))
            continue
        close_table()
        found = _aligned_cells(raw)
        if len(found) >= 2 and re.search(r"\d", found[-1].text):
            if not aligned:
                heading_for_aligned[:] = prose[-_HEADING_LINES:]
            aligned.append(Line(cells=found, page=1, number=number, indent=found[0].start))
            continue
        if aligned and not stripped:
            continue
        if aligned and stripped and len(found) == 1:
            aligned.append(Line(cells=found, page=1, number=number, indent=found[0].start))
            continue
        close_aligned()
        if stripped:
            prose.append(_unmark(stripped.lstrip("#").strip()))
    close_table()
    close_aligned()
    return blocks, prose[:200]


def _unmark(text: str) -> str:
    return " ".join(re.sub(r"\*\*|__|`|\\(?=[$()*_])|&nbsp;", " ", text).split())


def _md_indent(cell: str) -> float:
    match = re.match(r"^((?:&nbsp;|\u00a0| )*)", cell)
    return float(len(match.group(1).replace("&nbsp;", " "))) if match else 0.0


def _aligned_cells(raw: str) -> list[Cell]:
    cells = []
    for match in re.finditer(r"\S+(?: \S+)*", raw.rstrip()):
        cells.append(Cell(text=match.group(0), pos=float(match.end()), start=float(match.start())))
    return cells
