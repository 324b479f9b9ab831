"""A stable fingerprint per transaction, equal for the same booking on two overlapping statements.

SHA-256 (first 16 hex digits) over the account's last 4 characters, the booking date, the exact
amount, the description normalised (case, spacing and punctuation folded) and an occurrence number
for identical rows on the same day. The running balance, page and line are left out: they differ
between overlapping statements of the same account.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter

from assay.analysis.analyzers.bank_statement.model import Statement


def normalise_description(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())


def assign_fingerprints(statement: Statement) -> None:
    """Set ``fingerprint`` on every transaction of ``statement``."""
    account = re.sub(r"\W", "", statement.account_number)[-4:]
    seen: Counter[tuple[str, str, str]] = Counter()
    for transaction in statement.transactions:
        key = (transaction.date.isoformat(), str(transaction.amount.normalize()),
               normalise_description(transaction.description))
        seen[key] += 1
        material = "\x1f".join((account, *key, str(seen[key])))
        transaction.fingerprint = hashlib.sha256(material.encode()).hexdigest()[:16]
