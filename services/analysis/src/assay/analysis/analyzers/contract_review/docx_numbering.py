"""DOCX list numbering: the label Word shows before a numbered paragraph ("5.2", "(b)", "iii)").

Word does not store the label in the text; it computes it from ``word/numbering.xml``. A
paragraph names a numbering instance and a level (``w:numPr``: ``w:numId``, ``w:ilvl``), directly
or through its paragraph style (and the styles it is based on). The instance (``w:num``) points to
an abstract definition (``w:abstractNum``) whose levels give the format (decimal, lowerLetter,
upperLetter, lowerRoman, upperRoman, bullet, none), the start value and the label pattern
(``w:lvlText``, e.g. ``%1.%2`` or ``(%3)``). Instances of one definition share their counters,
as in Word; an instance with a ``w:startOverride`` restarts its level where it is first used; a
level counting up resets every deeper level; ``w:isLgl`` shows every level as a decimal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from docx.oxml.ns import qn

BULLET = "•"
_ROMAN = (
    (1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
    (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"),
)  # fmt: skip
MAX_LEVELS = 9


@dataclass(frozen=True)
class Level:
    """One level of an abstract numbering definition."""

    fmt: str = "decimal"
    text: str = ""
    start: int = 1
    legal: bool = False


@dataclass
class _Instance:
    abstract: str
    overrides: dict[int, int] = field(default_factory=dict)
    used: bool = False


def _val(element: Any, tag: str, default: str = "") -> str:
    child = element.find(qn(tag)) if element is not None else None
    if child is None:
        return default
    value = child.get(qn("w:val"))
    return default if value is None else str(value)


def _int(text: str, default: int) -> int:
    try:
        return int(text)
    except ValueError:
        return default


def format_number(value: int, fmt: str) -> str:
    """``value`` written in a ``w:numFmt`` format."""
    if fmt in ("lowerLetter", "upperLetter"):
        letters = ""
        n = value
        while n > 0:
            n, rest = divmod(n - 1, 26)
            letters = chr(ord("a") + rest) + letters
        return letters.upper() if fmt == "upperLetter" else letters
    if fmt in ("lowerRoman", "upperRoman"):
        roman = ""
        n = value
        for number, digits in _ROMAN:
            while n >= number:
                roman += digits
                n -= number
        return roman.upper() if fmt == "upperRoman" else roman
    if fmt == "decimalZero":
        return f"{value:02d}"
    if fmt == "none":
        return ""
    return str(value)


class Numbering:
    """The numbering of one document, applied paragraph by paragraph in reading order."""

    def __init__(self, numbering: Any | None, styles: Any | None) -> None:
        self.abstracts: dict[str, dict[int, Level]] = {}
        self.instances: dict[str, _Instance] = {}
        self.style_numbering: dict[str, tuple[str, int | None]] = {}
        self.style_parent: dict[str, str] = {}
        self.counters: dict[str, list[int | None]] = {}
        if numbering is not None:
            self._read_numbering(numbering)
        if styles is not None:
            self._read_styles(styles)

    def _read_numbering(self, root: Any) -> None:
        for abstract in root.iter(qn("w:abstractNum")):
            levels: dict[int, Level] = {}
            for lvl in abstract.iter(qn("w:lvl")):
                ilvl = _int(lvl.get(qn("w:ilvl"), "0"), 0)
                levels[ilvl] = Level(
                    fmt=_val(lvl, "w:numFmt", "decimal"),
                    text=_val(lvl, "w:lvlText", f"%{ilvl + 1}."),
                    start=_int(_val(lvl, "w:start", "1"), 1),
                    legal=lvl.find(qn("w:isLgl")) is not None,
                )
            self.abstracts[str(abstract.get(qn("w:abstractNumId")))] = levels
        for num in root.iter(qn("w:num")):
            overrides = {}
            for override in num.iter(qn("w:lvlOverride")):
                start = override.find(qn("w:startOverride"))
                if start is not None:
                    ilvl = _int(override.get(qn("w:ilvl"), "0"), 0)
                    overrides[ilvl] = _int(start.get(qn("w:val"), "1"), 1)
            self.instances[str(num.get(qn("w:numId")))] = _Instance(_val(num, "w:abstractNumId"), overrides)

    def _read_styles(self, root: Any) -> None:
        for style in root.iter(qn("w:style")):
            style_id = str(style.get(qn("w:styleId"), ""))
            based = _val(style, "w:basedOn")
            if based:
                self.style_parent[style_id] = based
            num_pr = style.find(f"{qn('w:pPr')}/{qn('w:numPr')}")
            if num_pr is not None:
                ilvl = _val(num_pr, "w:ilvl")
                self.style_numbering[style_id] = (_val(num_pr, "w:numId"), _int(ilvl, 0) if ilvl else None)

    def _numbering_of(self, paragraph: Any) -> tuple[str, int] | None:
        ppr = paragraph.find(qn("w:pPr"))
        num_pr = ppr.find(qn("w:numPr")) if ppr is not None else None
        num_id = _val(num_pr, "w:numId")
        ilvl_text = _val(num_pr, "w:ilvl")
        style = _val(ppr, "w:pStyle")
        seen: set[str] = set()
        while style and style not in seen and (not num_id or not ilvl_text):
            seen.add(style)
            if style in self.style_numbering:
                style_num, style_ilvl = self.style_numbering[style]
                num_id = num_id or style_num
                if not ilvl_text and style_ilvl is not None:
                    ilvl_text = str(style_ilvl)
                break
            style = self.style_parent.get(style, "")
        if not num_id or num_id == "0" or num_id not in self.instances:
            return None
        return num_id, min(_int(ilvl_text or "0", 0), MAX_LEVELS - 1)

    def label(self, paragraph: Any) -> str:
        """The label of a ``w:p`` element (counting it), or ``""`` when it is not numbered."""
        found = self._numbering_of(paragraph)
        if found is None:
            return ""
        num_id, ilvl = found
        instance = self.instances[num_id]
        levels = self.abstracts.get(instance.abstract, {})
        counters = self.counters.setdefault(instance.abstract, [None] * MAX_LEVELS)
        if not instance.used:
            instance.used = True
            for level_index, start in instance.overrides.items():
                if 0 <= level_index < MAX_LEVELS:
                    counters[level_index] = start - 1
        level = levels.get(ilvl, Level(text=f"%{ilvl + 1}."))
        current = counters[ilvl]
        counters[ilvl] = level.start if current is None else current + 1
        for deeper in range(ilvl + 1, MAX_LEVELS):
            counters[deeper] = None
        if level.fmt == "bullet":
            return BULLET
        text = level.text
        for index in range(MAX_LEVELS - 1, -1, -1):
            marker = f"%{index + 1}"
            if marker not in text:
                continue
            other = levels.get(index, Level())
            value = counters[index] if counters[index] is not None else other.start
            fmt = "decimal" if level.legal else other.fmt
            text = text.replace(marker, format_number(value or 0, fmt))
        return text.strip()
