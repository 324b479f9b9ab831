"""The lossless check: every text and attribute value of a document, and every value in its CSVs.

``document_values`` reads the document with the same safe parser and keeps every attribute value
and every text that is not whitespace only (element text and tail text), empty attribute values
aside (an empty cell reads the same as an absent attribute); ``table_values`` reads
the written CSVs back (undoing the formula-injection quote, ``assay.common.csv_cells``), leaving
out the generated ``#row``/``#parent_row`` keys and, in a header table, the path column. The
conversion is lossless when the two multisets are equal.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from assay.analysis.analyzers.xml_to_csv.parse import XmlEvents
from assay.analysis.analyzers.xml_to_csv.tables import PARENT_ROW, ROW, HeaderTable
from assay.common.csv_cells import restore


def document_values(raw: IO[bytes], name: str = "document") -> Counter[str]:
    values: Counter[str] = Counter()
    stack = []
    for event, element in XmlEvents(raw, name):
        if event == "start":
            values.update(v for v in element.attrib.values() if v != "")
            stack.append(element)
        elif event == "end":
            stack.pop()
            for text in (element.text, *(child.tail for child in element)):
                if text and not text.isspace():
                    values[text] += 1
            del element[:]  # children are done; keep element.tail, which its parent still reads
    return values


def table_values(paths: Iterable[Path]) -> Counter[str]:
    values: Counter[str] = Counter()
    for path in paths:
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            header = next(reader)
            if tuple(header) == HeaderTable.COLUMNS:
                keep = [1]
            else:
                keep = [i for i, name in enumerate(header) if name not in (ROW, PARENT_ROW)]
            for line in reader:
                values.update(restore(line[i]) for i in keep if line[i] != "")
    return values
