"""The xml_to_csv analyzer's declaration: name, accepted inputs and limits, in one place."""

from __future__ import annotations

from assay.analysis.plugin import AnalyzerSpec

VERSION = "1.0.0"
MEDIA_TYPES = ("application/xml", "application/zip")
"""One XML document, or a ZIP archive of them (as sniffed by ingest)."""
MAX_INPUT_BYTES = 0
"""No limit of its own: memory is flat in the file size, so the platform's upload limit applies."""
TIME_LIMIT_SECONDS = 3600.0
"""Two streaming passes; about 1 GiB of XML at the measured throughput (see the README)."""
MEMBERS_LISTED = 1000
"""Most documents listed in the stored result; the manifest artifact lists all."""
REPEATED_VALUES_LIMIT = 1000
"""Most document values repeated on every row; beyond it they go to the header table instead."""

SPEC = AnalyzerSpec(
    name="xml_to_csv",
    version=VERSION,
    description=(
        "Converts an XML document or a ZIP of them into CSV tables, losslessly and streaming: records "
        "detected (or named by path), nested elements as dotted columns, attributes as @columns, "
        "repeated children as child tables or indexed columns, with a JSON manifest."
    ),
    accepted_media_types=MEDIA_TYPES,
    accepts_text=False,
    max_input_bytes=MAX_INPUT_BYTES,
    time_limit_seconds=TIME_LIMIT_SECONDS,
)
