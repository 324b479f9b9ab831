"""A block's lines into header text, value columns and labelled rows."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from assay.analysis.analyzers.financial_statements.amounts import Amount, clean, is_amount, is_year, parse_amount
from assay.analysis.analyzers.financial_statements.blocks import Block, Cell, Line

_CURRENCY_ONLY = re.compile(r"^(?:[$€£¥₹]|US\$|\(|\)|%|\$\s*\(|\)\s*%)$")
_MIN_COLUMN_SHARE = 0.15
_WORDS = re.compile(r"[A-Za-z]{4,}")
_TRAILING_CURRENCY = re.compile(r"(?<=[\d)—–-])\s+(?:[$€£¥₹]|US\$)$")
"""A currency sign printed close after a figure belongs to the next column's figure."""


@dataclass
class Row:
    """A labelled row with its values by column index."""

    label: str
    values: dict[int, Amount]
    page: int
    line: int
    indent: float


@dataclass
class Table:
    """What a block holds: its header text (above the first row of figures), columns and rows."""

    header: list[str]
    header_cells: list[list[Cell]]
    columns: list[float]
    rows: list[Row]
    column_headers: list[str] = field(default_factory=list)
    """Each column's header text: the header cells printed over it, top to bottom."""


def _merge_marks(cells: list[Cell]) -> list[Cell]:
    """Join "$", "(" and ")" cells to the number they belong to; drop empty cells."""
    out: list[Cell] = []
    pending = ""
    for cell in cells:
        text = clean(cell.text)
        trimmed = _TRAILING_CURRENCY.sub("", text)
        if trimmed != text:  # the right edge moves back by the share of the characters dropped
            width = cell.pos - cell.start
            cell = Cell(trimmed, cell.pos - width * (len(text) - len(trimmed)) / max(1, len(text)), cell.start)
            text = trimmed
        if not text:
            continue
        if text in {"$", "US$", "€", "£", "¥", "₹"}:
            continue
        if text in {"(", "$(", "$ ("}:
            pending = "("
            continue
        if text in {"%", ")%"} and out:
            out[-1] = Cell(out[-1].text + text, out[-1].pos, out[-1].start)  # a ratio, dropped by column
            continue
        if text == ")" and out:
            out[-1] = Cell(out[-1].text + text, out[-1].pos, out[-1].start)
            continue
        out.append(Cell(pending + text, cell.pos, cell.start))
        pending = ""
    return out


def _split(cells: list[Cell]) -> tuple[list[Cell], list[Cell]]:
    """Label cells (up to the last non-amount cell) and the trailing value cells."""
    cut = len(cells)
    while cut > 0 and is_amount(cells[cut - 1].text):
        cut -= 1
    return cells[:cut], cells[cut:]


def _columns(positions: list[list[float]], tolerance: float) -> list[float]:
    """Right edges where values line up on enough lines, left to right."""
    flat = sorted(p for line in positions for p in line)
    if not flat:
        return []
    clusters: list[list[float]] = [[flat[0]]]
    for pos in flat[1:]:
        if pos - clusters[-1][-1] <= tolerance:
            clusters[-1].append(pos)
        else:
            clusters.append([pos])
    need = max(2, int(_MIN_COLUMN_SHARE * len(positions))) if len(positions) > 3 else 1
    kept = [c for c in clusters if len({id(x) for x in c}) and len(c) >= need]
    return [max(c) for c in kept]


def _snap_grid(prepared: list[tuple[Line, list[Cell], list[Cell]]]) -> list[tuple[Line, list[Cell], list[Cell]]]:
    """Grid rows with the usual number of figures place them in order; the others by where those stood.

    A rendering that dropped colspans (markdown from HTML) puts a figure after a "$" cell one grid
    column further right than the same column's figures without "$", and the shift adds up along
    the row; the k-th figure of a full row is still in the k-th column.
    """
    data = [values for _, label, values in prepared if values and not _is_header_line(values, label)]
    if not data:
        return prepared
    width = Counter(len(values) for values in data).most_common(1)[0][0]
    members: list[set[float]] = [set() for _ in range(width)]
    for values in data:
        if len(values) == width:
            for k, cell in enumerate(values):
                members[k].add(cell.pos)
    canonical = [max(m) for m in members]

    def snap(values: list[Cell]) -> list[Cell]:
        if len(values) == width:
            return [Cell(c.text, canonical[k], c.start) for k, c in enumerate(values)]
        out = []
        for cell in values:
            k = next((k for k, m in enumerate(members) if cell.pos in m), None)
            if k is None:
                k = min(range(width), key=lambda j: min(abs(cell.pos - x) for x in members[j]))
                if min(abs(cell.pos - x) for x in members[k]) > 1:
                    out.append(cell)
                    continue
            out.append(Cell(cell.text, canonical[k], cell.start))
        return out

    return [(line, label, snap(values) if values and not _is_header_line(values, label) else values)
            for line, label, values in prepared]


def _nearest(columns: list[float], pos: float, tolerance: float) -> int | None:
    best, distance = None, tolerance * 1.5 + 1e-9
    for index, column in enumerate(columns):
        if abs(column - pos) <= distance:
            best, distance = index, abs(column - pos)
    return best


def _resplit(cells: list[Cell], columns: list[float], tolerance: float) -> tuple[list[Cell], list[Cell]]:
    """Label cells, then value cells: from the first cell after the label that sits in a value column."""
    for index, cell in enumerate(cells):
        if index == 0 and not is_amount(cell.text):
            continue
        if _nearest(columns, cell.pos, tolerance) is not None:
            return cells[:index], cells[index:]
    return cells, []


def _is_header_line(values: list[Cell], label: list[Cell]) -> bool:
    """Years over the columns, alone or after a unit note ("(In thousands) 2023 2022")."""
    text = "".join(c.text for c in label).strip(" :")
    return bool(values) and all(is_year(v.text) for v in values) and (not text or _UNIT_NOTE.match(text) is not None)


_UNIT_NOTE = re.compile(r"^\(?(?:(?:amounts|dollars|figures|\$) )?in (?:thousands|millions|billions|crores?|lakhs?)\b",
                        re.I)



def parse_table(block: Block) -> Table:
    """Split ``block`` into header and rows; values are placed by column, never shifted."""
    prepared: list[tuple[Line, list[Cell], list[Cell]]] = []
    for line in block.lines:
        cells = _merge_marks(line.cells)
        label, values = _split(cells)
        prepared.append((line, label, values))
    if block.tolerance == 0:
        prepared = _snap_grid(prepared)
    data_positions = [[v.pos for v in values] for _, label, values in prepared
                      if values and not _is_header_line(values, label)]
    columns = _columns(data_positions, block.tolerance)
    percent = {i for _, label, values in prepared for v in values if v.text.endswith("%")
               if (i := _nearest(columns, v.pos, block.tolerance)) is not None}
    header: list[str] = []
    header_cells: list[list[Cell]] = []
    rows: list[Row] = []
    started = False
    seen_years = False
    for line, label, values in prepared:
        section = not values and (seen_years or line.text.rstrip().endswith(":"))
        if not started and not section and (not values or _is_header_line(values, label) or not columns):
            seen_years = seen_years or _is_header_line(values, label)
            header.append(line.text)
            header_cells.append(line.cells)
            continue
        started = True
        label, values = _resplit([*label, *values], columns, block.tolerance)
        placed: dict[int, Amount] = {}
        extra_label: list[str] = []
        for cell in values:
            index = _nearest(columns, cell.pos, block.tolerance)
            if index is None or index in placed:
                extra_label.append(cell.text)
                continue
            if index not in percent:
                placed[index] = parse_amount(cell.text)
        if placed and all(a.unreadable and _WORDS.search(a.raw) for a in placed.values()):
            placed = {}  # a header row inside the table ("Six months ended June 30,"), not figures
        text = clean(" ".join([*(c.text for c in label), *extra_label]))
        rows.append(Row(label=text, values=placed, page=line.page, line=line.number,
                        indent=line.indent))
    headers = _column_headers(header_cells, columns, block.tolerance)
    kept = [i for i in range(len(columns)) if i not in percent and not _notes_column(i, rows, headers)]
    renumber = {old: new for new, old in enumerate(kept)}
    for row in rows:
        row.values = {renumber[i]: amount for i, amount in row.values.items() if i in renumber}
    return Table(header=header, header_cells=header_cells, columns=[columns[i] for i in kept],
                 rows=_join_wrapped(rows), column_headers=[headers[i] for i in kept])


_NOTE_HEADER = re.compile(r"^notes?\b|^anm\.?$|^anmerkung|^nota$", re.I)
_NOTE_REF = re.compile(r"^\d{1,2}(?:\.\d{1,2})?[a-z]?$")


def _notes_column(index: int, rows: list[Row], headers: list[str]) -> bool:
    """The "Note" column of IFRS statements (note references, not amounts), by header or by content.

    By content: the first column, holding only small note numbers ("5", "12.3"), on fewer rows than
    the next column holds figures.
    """
    if index < len(headers) and _NOTE_HEADER.match(headers[index].strip()):
        return True
    if index != 0:
        return False
    cells = [row.values[0].raw for row in rows if 0 in row.values]
    following = sum(1 for row in rows if 1 in row.values)
    return len(cells) >= 2 and all(_NOTE_REF.match(c) for c in cells) and len(cells) < following


def _column_headers(lines: list[list[Cell]], columns: list[float], tolerance: float) -> list[str]:
    """The header cells over each column: a cell covers the columns whose right edge lies within it."""
    texts: list[list[str]] = [[] for _ in columns]
    slack = tolerance
    for cells in lines:
        for cell in cells:
            first = float(int(cell.start)) if tolerance == 0 else cell.start - slack
            for index, column in enumerate(columns):
                if first - 1e-9 <= column <= cell.pos + slack and len(cell.text) < 80:
                    texts[index].append(clean(cell.text))
    return [" ".join(t) for t in texts]


def _join_wrapped(rows: list[Row]) -> list[Row]:
    """A label-only row continued on the next line (which starts lower-case) is one row."""
    out: list[Row] = []
    for row in rows:
        if out and not out[-1].values and out[-1].label and not out[-1].label.endswith(":") \
                and row.label[:1].islower():
            prev = out.pop()
            row = Row(label=f"{prev.label} {row.label}", values=row.values, page=prev.page, line=prev.line,
                      indent=prev.indent)
        out.append(row)
    return out
