"""Writes the artifact CSV: each input row with its label, scores and skip reason appended."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from assay.analysis.analyzers.sentiment._model import Scores
from assay.common.csv_cells import SpreadsheetSafeWriter

APPENDED_COLUMNS = ("label", "positive", "negative", "neutral", "compound", "skip_reason")
"""Result columns appended after the input's own columns (both models)."""
LEARNED_COLUMNS = ("confidence", "mixed", "language", "aspects")
"""Further columns of the learned model, after ``APPENDED_COLUMNS``."""


class ArtifactWriter:
    """A CSV file written row by row (UTF-8, RFC 4180 line endings); use as a context manager.

    Args:
        learned: also write ``LEARNED_COLUMNS`` (aspects as ``aspect:label`` joined by ``; ``).
    """

    def __init__(self, path: Path, columns: Sequence[str], *, learned: bool = False) -> None:
        self._file = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115 closed in __exit__
        self._writer = SpreadsheetSafeWriter(self._file)
        self._learned = learned
        self._writer.writerow([*columns, *APPENDED_COLUMNS, *(LEARNED_COLUMNS if learned else ())])

    def write(self, cells: Sequence[str], scores: Scores | None, skip_reason: str, language: str = "") -> None:
        if scores is None:
            blank: list[object] = ["", "", language, ""] if self._learned else []
            self._writer.writerow([*cells, "", "", "", "", "", skip_reason, *blank])
            return
        extra: list[object] = []
        if self._learned:
            aspects = "; ".join(f"{a.aspect}:{a.label.value}" for a in scores.aspects)
            extra = [scores.confidence, scores.mixed, scores.language, aspects]
        self._writer.writerow(
            [
                *cells,
                scores.label.value,
                scores.positive,
                scores.negative,
                scores.neutral,
                scores.compound,
                "",
                *extra,
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
