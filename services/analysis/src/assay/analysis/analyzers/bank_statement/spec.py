"""The bank_statement analyzer's spec (declared in ``assay.common.analyzers``) and its own limits."""

from __future__ import annotations

from assay.common.analyzers import BANK_STATEMENT

SPEC = BANK_STATEMENT
"""Name, inputs (one PDF or CSV statement) and limits, as CreateJob enforces them."""
TRANSACTIONS_LISTED = 1000
"""Most transactions listed in the stored result; the CSV and JSON artifacts hold all."""
TRANSACTIONS_CSV = "transactions.csv"
RESULT_JSON = "statement.json"
MAX_CATEGORY_RULES = 200
"""Most category_rules one job may add."""
