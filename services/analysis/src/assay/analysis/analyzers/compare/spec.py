"""The compare analyzer's spec (declared in ``assay.common.analyzers``) and its own limits."""

from __future__ import annotations

from assay.common.analyzers import COMPARE

SPEC = COMPARE
"""Name, inputs (two files: old, then new) and limits, as CreateJob enforces them."""
PARTITION_BYTES = 8 * 1024 * 1024
"""Input bytes per hash partition held in memory at once (memory stays flat in the file size)."""
SAMPLE_ROWS = 10_000
"""Rows of each dataset read first to detect the key and renamed columns."""
ROWS_LISTED = 1000
"""Most rows per list (changed, added, removed) in the stored result; the diff artifact has all."""
CONTENT_MATCH_LIMIT = 20_000
"""Most unpaired rows per side that content matching holds to pair by similarity (its inverted index
has a key per value); past it every unpaired row is reported added or removed."""
