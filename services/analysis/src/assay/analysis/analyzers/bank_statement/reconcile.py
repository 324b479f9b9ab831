"""Do the numbers add up: opening + Σ amounts = closing, and each running balance from the previous."""

from __future__ import annotations

from decimal import Decimal

from assay.analysis.analyzers.bank_statement.model import Statement, Transaction
from assay.v1 import bank_statement_pb2 as pb

MISMATCHES_LISTED = 100


def chronological(statement: Statement) -> list[tuple[int, Transaction]]:
    """The transactions with their 1-based row, oldest first: a list printed newest first
    (its first date after its last) is walked from the bottom."""
    rows = list(enumerate(statement.transactions, start=1))
    if len(rows) > 1 and rows[0][1].date > rows[-1][1].date:
        rows.reverse()
    return rows


def reconcile(statement: Statement) -> pb.BankReconciliation:
    """Every check the statement's figures allow, with each failure's row and figures."""
    total = sum((t.amount for t in statement.transactions), Decimal(0))
    out = pb.BankReconciliation(sum_of_transactions=str(total))
    mismatches: list[pb.BankMismatch] = []
    if statement.opening_balance is not None and statement.closing_balance is not None:
        out.total_checked = True
        expected = statement.opening_balance + total
        out.total_ok = expected == statement.closing_balance
        if not out.total_ok:
            mismatches.append(pb.BankMismatch(
                kind=pb.BANK_CHECK_KIND_TOTAL, expected=str(expected), actual=str(statement.closing_balance),
                message=(f"opening {statement.opening_balance} + transactions {total} = {expected}, "
                         f"but the closing balance is {statement.closing_balance}")))
    previous = statement.opening_balance
    for row, transaction in chronological(statement):
        if transaction.balance is None:
            previous = previous + transaction.amount if previous is not None else None
            continue
        if previous is not None:
            out.running_checked += 1
            expected = previous + transaction.amount
            if expected == transaction.balance:
                out.running_ok += 1
            else:
                mismatches.append(pb.BankMismatch(
                    kind=pb.BANK_CHECK_KIND_RUNNING_BALANCE, row=row, expected=str(expected),
                    actual=str(transaction.balance),
                    message=(f"row {row} ({transaction.date.isoformat()}, page {transaction.page}, line "
                             f"{transaction.line}): {previous} + {transaction.amount} = {expected}, but the "
                             f"balance printed is {transaction.balance}")))
        previous = transaction.balance
    out.mismatches.extend(mismatches[:MISMATCHES_LISTED])
    out.mismatches_total = len(mismatches)
    out.reconciled = not mismatches and (out.total_checked or out.running_checked > 0)
    return out
