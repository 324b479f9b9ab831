"""How values are compared: exactly (the default) or with whitespace, case or number format ignored."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_NUMBER = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*")

Normalizer = Callable[[str], str]


@dataclass(frozen=True)
class Normalization:
    """The chosen normalisations; ``names`` is what the result reports."""

    trim_whitespace: bool = False
    ignore_case: bool = False
    normalize_numbers: bool = False

    @property
    def names(self) -> list[str]:
        return [name for name in ("trim_whitespace", "ignore_case", "normalize_numbers") if getattr(self, name)]

    @property
    def exact(self) -> bool:
        return not self.names

    def function(self) -> Normalizer:
        """A function from a value to its comparison form (identity when exact)."""
        steps: list[Normalizer] = []
        if self.trim_whitespace:
            steps.append(str.strip)  # Python's whitespace includes the no-break space U+00A0
        if self.normalize_numbers:
            steps.append(_number)
        if self.ignore_case:
            steps.append(str.casefold)
        if not steps:
            return _identity

        def normalize(value: str) -> str:
            for step in steps:
                value = step(value)
            return value

        return normalize


def _identity(value: str) -> str:
    return value


def _number(value: str) -> str:
    if not _NUMBER.fullmatch(value):
        return value
    try:
        number = Decimal(value.strip()).normalize()
    except InvalidOperation:  # pragma: no cover - the pattern only lets numbers through
        return value
    return format(number, "f") if number == number.to_integral_value() else str(number)
