"""The consolidate analyzer plugin: several financial_statements results as one set of multi-period statements.

One module per step: :mod:`.filings` (the dependencies' results, ordered, refused when they do not belong
together), :mod:`.align` (lines matched across filings, figures merged, restatements found), :mod:`.figures`
(period order, changes, CAGR, trend), :mod:`.build` (the typed result), :mod:`.artifacts` (JSON and the
workbook, written by financial_statements' workbook module).
"""

from assay.analysis.analyzers.consolidate.analyzer import ConsolidateAnalyzer
from assay.analysis.analyzers.consolidate.spec import SPEC

ANALYZER = ConsolidateAnalyzer()
"""The registered plugin object."""

__all__ = ["ANALYZER", "SPEC", "ConsolidateAnalyzer"]
