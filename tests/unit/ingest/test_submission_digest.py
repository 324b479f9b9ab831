"""A SubmitDocument claim's stored digest is not derived from a secret param (a PDF password)."""

from __future__ import annotations

from assay.ingest.submission import request_digest
from assay.v1 import bank_statement_pb2, job_pb2
from assay.v1 import ingest_service_pb2 as ing


def _header(password: str) -> ing.SubmitDocumentHeader:
    return ing.SubmitDocumentHeader(analyzer="bank_statement", request_id="r1", params=job_pb2.JobParams(
        bank_statement=bank_statement_pb2.BankStatementParams(password=password, bank_hint="chase")))


def test_the_digest_ignores_the_password_and_nothing_else() -> None:
    assert request_digest(_header("one-PW")) == request_digest(_header("other-PW")) == request_digest(_header(""))
    other_hint = _header("one-PW")
    other_hint.params.bank_statement.bank_hint = "boi"
    assert request_digest(other_hint) != request_digest(_header("one-PW"))
