"""The compare analyzer's declaration: name, accepted inputs and limits, in one place."""

from __future__ import annotations

from assay.analysis.plugin import AnalyzerSpec

VERSION = "1.0.0"
MEDIA_TYPES = (
    "text/csv",
    "text/plain",
    "application/x-ndjson",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)
"""CSV/TSV (text/plain when ingest saw no consistent delimiter in the head), JSON Lines, XLSX."""
MAX_INPUT_BYTES = 0
"""No limit of its own: rows are partitioned to disk, so the platform's upload limit applies."""
TIME_LIMIT_SECONDS = 3600.0
PARTITION_BYTES = 8 * 1024 * 1024
"""Input bytes per hash partition held in memory at once (memory stays flat in the file size)."""
SAMPLE_ROWS = 10_000
"""Rows of each dataset read first to detect the key and renamed columns."""
ROWS_LISTED = 1000
"""Most rows per list (changed, added, removed) in the stored result; the diff artifact has all."""
CONTENT_MATCH_LIMIT = 100_000
"""Most unpaired rows per side that content matching pairs by similarity; beyond, they stay added/removed."""

SPEC = AnalyzerSpec(
    name="compare",
    version=VERSION,
    description=(
        "Compares two tabular datasets (CSV/TSV, XLSX, JSON Lines) row by row: added, removed and "
        "changed rows by a given or detected key (or by content), schema differences, similarity "
        "scores and a diff CSV artifact."
    ),
    accepted_media_types=MEDIA_TYPES,
    accepts_text=False,
    max_input_bytes=MAX_INPUT_BYTES,
    time_limit_seconds=TIME_LIMIT_SECONDS,
)
