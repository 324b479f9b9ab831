"""The financial_statements analyzer plugin: primary financial statements found, read and checked.

One module per step: :mod:`.formats` (which reader), :mod:`.pdf` (page scan, positioned words),
:mod:`.markup` (HTML and markdown tables), :mod:`.sheets` (CSV, XLSX), :mod:`.table` (a block into
header, columns and rows), :mod:`.amounts` (exact decimals), :mod:`.classify` (statement type),
:mod:`.periods` (period columns, unit, currency), :mod:`.statements` (typed statements),
:mod:`.checks` (arithmetic checks), :mod:`.artifacts` (CSV per statement, JSON of the result).
"""

from assay.analysis.analyzers.financial_statements.analyzer import FinancialStatementsAnalyzer
from assay.analysis.analyzers.financial_statements.spec import SPEC

ANALYZER = FinancialStatementsAnalyzer()
"""The registered plugin object."""

__all__ = ["ANALYZER", "SPEC", "FinancialStatementsAnalyzer"]
