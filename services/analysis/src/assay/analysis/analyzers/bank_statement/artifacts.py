"""The transactions CSV (safe to open in a spreadsheet) and the whole result as JSON."""

from __future__ import annotations

import json
from pathlib import Path

from google.protobuf import json_format

from assay.analysis.analyzers.bank_statement.model import Transaction
from assay.common.csv_cells import SpreadsheetSafeWriter
from assay.v1 import bank_statement_pb2 as pb

CSV_COLUMNS = ("row", "date", "value_date", "description", "amount", "debit", "credit", "balance", "category",
               "fingerprint", "page", "line")


def to_proto(row: int, t: Transaction) -> pb.BankTransaction:
    return pb.BankTransaction(
        row=row, page=t.page, line=t.line, date=t.date.isoformat(),
        value_date=t.value_date.isoformat() if t.value_date else "", description=t.description,
        amount=str(t.amount), debit=str(t.debit) if t.debit is not None else "",
        credit=str(t.credit) if t.credit is not None else "",
        balance=str(t.balance) if t.balance is not None else "", category=t.category, fingerprint=t.fingerprint)


def write_csv(path: Path, transactions: list[pb.BankTransaction]) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = SpreadsheetSafeWriter(out)
        writer.writerow(CSV_COLUMNS)
        for t in transactions:
            writer.writerow([str(getattr(t, column)) for column in CSV_COLUMNS])


def write_json(path: Path, result: pb.BankStatementResult, transactions: list[pb.BankTransaction]) -> None:
    whole = pb.BankStatementResult()
    whole.CopyFrom(result)
    del whole.transactions[:]
    whole.transactions.extend(transactions)
    whole.transactions_truncated = False
    document = json_format.MessageToDict(whole, preserving_proto_field_name=True)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
