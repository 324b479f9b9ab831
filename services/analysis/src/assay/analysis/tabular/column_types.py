"""Column types inferred from values: reported to users, never used to change a value."""

from __future__ import annotations

import re
from typing import TypeAlias

from assay.v1 import tabular_pb2

_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(?:\d+\.\d*|\.\d+|\d+(?:\.\d*)?[eE][+-]?\d+|\.\d+[eE][+-]?\d+)")
_DATE = re.compile(r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?:Z|[+-]\d{2}:\d{2})?")
_DATETIME = re.compile(
    r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])[T ][0-2]\d:[0-5]\d(?::[0-5]\d(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"
)
_BOOLEAN = frozenset({"true", "false"})

# Each kind, in the order they are tried; a column's type is the narrowest kind that fits all values.
ColumnType: TypeAlias = tabular_pb2.ColumnType.ValueType
EMPTY = tabular_pb2.COLUMN_TYPE_EMPTY
INTEGER = tabular_pb2.COLUMN_TYPE_INTEGER
DECIMAL = tabular_pb2.COLUMN_TYPE_DECIMAL
DATE = tabular_pb2.COLUMN_TYPE_DATE
DATETIME = tabular_pb2.COLUMN_TYPE_DATETIME
BOOLEAN = tabular_pb2.COLUMN_TYPE_BOOLEAN
TEXT = tabular_pb2.COLUMN_TYPE_TEXT

_WIDENS_TO: dict[tuple[ColumnType, ColumnType], ColumnType] = {
    (INTEGER, DECIMAL): DECIMAL,
    (DECIMAL, INTEGER): DECIMAL,
    (DATE, DATETIME): DATETIME,
    (DATETIME, DATE): DATETIME,
}


def value_type(value: str) -> ColumnType:
    """The narrowest type of one value (surrounding whitespace allowed); EMPTY for blank."""
    text = value.strip()
    if not text:
        return EMPTY
    if _INTEGER.fullmatch(text):
        return INTEGER
    if _DECIMAL.fullmatch(text):
        return DECIMAL
    if _DATE.fullmatch(text):
        return DATE
    if _DATETIME.fullmatch(text):
        return DATETIME
    if text.lower() in _BOOLEAN:
        return BOOLEAN
    return TEXT


def combine(current: ColumnType, new: ColumnType) -> ColumnType:
    """The type of a column holding values of type ``current`` and then one of type ``new``."""
    if new in (EMPTY, current):
        return current
    if current == EMPTY:
        return new
    return _WIDENS_TO.get((current, new), TEXT)


class ColumnTypes:
    """Tracks the inferred type of each column of one table as values arrive."""

    def __init__(self) -> None:
        self._types: list[ColumnType] = []

    def observe(self, index: int, value: str) -> None:
        types = self._types
        if index >= len(types):
            types.extend([EMPTY] * (index + 1 - len(types)))
        current = types[index]
        if current != TEXT:
            types[index] = combine(current, value_type(value))

    def type_of(self, index: int) -> ColumnType:
        return self._types[index] if index < len(self._types) else EMPTY
