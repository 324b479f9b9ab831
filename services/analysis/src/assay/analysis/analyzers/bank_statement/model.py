"""The statement as read: header facts, transactions with exact decimal amounts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass
class Transaction:
    """One transaction as printed; ``amount`` is signed (negative: money out)."""

    date: dt.date
    description: str
    amount: Decimal
    page: int = 0
    line: int = 0
    value_date: dt.date | None = None
    balance: Decimal | None = None
    category: str = ""
    fingerprint: str = ""
    sign_printed: bool = True
    """False for an amount printed without a direction in a single amount column (see ``signs``)."""

    @property
    def debit(self) -> Decimal | None:
        return -self.amount if self.amount < 0 else None

    @property
    def credit(self) -> Decimal | None:
        return self.amount if self.amount >= 0 else None


@dataclass
class Statement:
    """Everything read from one statement, before reconciliation and categorisation."""

    format: str
    transactions: list[Transaction] = field(default_factory=list)
    account_holder: str = ""
    account_number: str = ""
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    currency: str = ""
    opening_balance: Decimal | None = None
    closing_balance: Decimal | None = None
    pages: int = 0
    bank: str = ""
    rows_without_amount: int = 0
    """Dated rows of a PDF table whose amount could not be read (not transactions)."""
