"""The bank_statement analyzer plugin: a PDF or CSV bank statement into reconciled transactions.

One module per step: :mod:`.pdf_text` (open, decrypt, layout text), :mod:`.facts` (holder,
account, period, currency, balances), :mod:`.pdf_table` (rows of a PDF's table),
:mod:`.csv_export` (a CSV export's columns and rows), :mod:`.numbers` (amounts and dates),
:mod:`.reconcile`, :mod:`.fingerprint`, :mod:`.categories` (rules as data in ``rules.yaml``) and
:mod:`.artifacts`. :mod:`.spec` declares the analyzer.
"""

from assay.analysis.analyzers.bank_statement.analyzer import BankStatementAnalyzer
from assay.analysis.analyzers.bank_statement.spec import SPEC

ANALYZER = BankStatementAnalyzer()
"""The registered plugin object."""

__all__ = ["ANALYZER", "SPEC", "BankStatementAnalyzer"]
