"""The reporting entity's name, as the document states it."""

from __future__ import annotations

import re

_REGISTRANT = re.compile(r"exact name of (?:the )?registrant", re.I)
_LEGAL_FORM = re.compile(r"\b(?:inc\.?|incorporated|corp(?:oration)?\.?|company|co\.|ltd\.?|limited|plc|"
                         r"s\.a\.(?:b\.)?(?: de c\.v\.)?|ag|n\.v\.|gmbh|holdings?|group|llc|l\.p\.)(?:\W|$)", re.I)


def entity_name(lines: list[str]) -> str:
    """The line above "(Exact name of registrant ...)", else the first line naming a legal form."""
    for index, line in enumerate(lines):
        if _REGISTRANT.search(line):
            before = line[: _REGISTRANT.search(line).start()].strip(" (")  # type: ignore[union-attr]
            if len(before) > 2:
                return _tidy(before)
            for prev in reversed(lines[max(0, index - 3):index]):
                if prev.strip() and len(prev) < 120:
                    return _tidy(prev)
    for line in lines[:60]:
        text = line.strip()
        if 3 < len(text) < 90 and _LEGAL_FORM.search(text) and not re.search(r"\d{3}", text):
            return _tidy(text)
    return ""


def _tidy(text: str) -> str:
    return " ".join(text.split()).strip(" ,;:")
