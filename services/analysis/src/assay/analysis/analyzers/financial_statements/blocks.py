"""What every reader produces: blocks of positioned cells, one block per table or page region.

A :class:`Cell` carries its right edge (``pos``): points on a PDF page, a character offset in a
text rendering, a column index in an HTML/markdown table or a spreadsheet. Value columns are found
by where the numbers line up, so spacer columns, split cells and "$" cells do not matter.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Cell:
    """A run of text on one line and where it ends (and starts) horizontally."""

    text: str
    pos: float
    start: float = 0.0


@dataclass
class Line:
    """One printed line or table row."""

    cells: list[Cell]
    page: int
    number: int
    indent: float = 0.0

    @property
    def text(self) -> str:
        return " ".join(cell.text for cell in self.cells)


@dataclass
class Block:
    """A table (or a page region that reads as one) with the text printed just above it."""

    lines: list[Line]
    heading: list[str]
    page: int
    tolerance: float
    """How far apart two right edges may be and still be the same column."""
    last_page: int = 0
    context: list[str] = field(default_factory=list)
    """Text further above (the page's or section's first lines), for the unit and currency."""

    def __post_init__(self) -> None:
        self.last_page = self.last_page or self.page
