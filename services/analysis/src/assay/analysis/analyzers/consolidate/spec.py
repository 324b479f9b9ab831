"""The consolidate analyzer's spec (declared in ``assay.common.analyzers``)."""

from __future__ import annotations

from assay.common.analyzers import CONSOLIDATE

SPEC = CONSOLIDATE
"""Name, inputs (the results of the financial_statements jobs in ``inputs.jobs``) and limits."""
