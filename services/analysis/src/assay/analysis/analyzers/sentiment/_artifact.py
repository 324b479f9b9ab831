"""Writes the artifact CSV: each input row with its label, scores and skip reason appended."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from assay.analysis.analyzers.sentiment._model import Scores
from assay.common.csv_cells import SpreadsheetSafeWriter

APPENDED_COLUMNS = ("label", "positive", "negative", "neutral", "compound", "skip_reason")
"""Result columns appended after the input's own columns."""


class ArtifactWriter:
    """A CSV file written row by row (UTF-8, RFC 4180 line endings); use as a context manager."""

    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        self._file = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115 closed in __exit__
        self._writer = SpreadsheetSafeWriter(self._file)
        self._writer.writerow([*columns, *APPENDED_COLUMNS])

    def write(self, cells: Sequence[str], scores: Scores | None, skip_reason: str) -> None:
        if scores is None:
            self._writer.writerow([*cells, "", "", "", "", "", skip_reason])
        else:
            self._writer.writerow(
                [
                    *cells,
                    scores.label.value,
                    scores.positive,
                    scores.negative,
                    scores.neutral,
                    scores.compound,
                    "",
                ]
            )

    def __enter__(self) -> ArtifactWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._file.close()
