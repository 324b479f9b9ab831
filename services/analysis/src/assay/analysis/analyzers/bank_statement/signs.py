"""Directions the statement does not print, proven by its own running balances.

Some statements print every amount unsigned in one column (money out and in alike) and only the
running balance tells which way it went. Where a row's amount was printed without a direction and
the previous balance minus it gives the printed balance while plus it does not, the amount is money
out. Nothing is guessed where the balances do not decide: the amount stays as printed.
"""

from __future__ import annotations

from decimal import Decimal

from assay.analysis.analyzers.bank_statement.model import Statement
from assay.analysis.analyzers.bank_statement.reconcile import chronological


def infer_signs(statement: Statement) -> int:
    """Flip the unsigned amounts the running balances prove to be money out; return how many."""
    flipped = 0
    previous: Decimal | None = statement.opening_balance
    for _, transaction in chronological(statement):
        if (not transaction.sign_printed and transaction.balance is not None and previous is not None
                and previous + transaction.amount != transaction.balance
                and previous - transaction.amount == transaction.balance):
            transaction.amount = -transaction.amount
            flipped += 1
        if transaction.balance is not None:
            previous = transaction.balance
        elif previous is not None:
            previous += transaction.amount
    return flipped
