"""The xml_to_csv analyzer's spec (declared in ``assay.common.analyzers``) and its own limits."""

from __future__ import annotations

from assay.common.analyzers import XML_TO_CSV

SPEC = XML_TO_CSV
"""Name, inputs (one XML document or a ZIP of them) and limits, as CreateJob enforces them."""
MEMBERS_LISTED = 1000
"""Most documents listed in the stored result; the manifest artifact lists all."""
REPEATED_VALUES_LIMIT = 1000
"""Most document values repeated on every row; beyond it they go to the header table instead."""
