"""The financial_statements analyzer's spec (declared in ``assay.common.analyzers``)."""

from __future__ import annotations

from assay.common.analyzers import FINANCIAL_STATEMENTS

SPEC = FINANCIAL_STATEMENTS
"""Name, inputs (one PDF, HTML, markdown, CSV or XLSX document) and limits, as CreateJob enforces them."""
