"""Splitting the debug_redact fields off a job's params and merging them back for the worker."""

from __future__ import annotations

from assay.jobs.codec import to_json
from assay.jobs.secret_params import reveal, split
from assay.v1 import bank_statement_pb2, job_pb2


def test_the_password_is_split_off_and_the_other_params_stay() -> None:
    params = job_pb2.JobParams(bank_statement=bank_statement_pb2.BankStatementParams(
        password="pw", bank_hint="Chase", category_rules=["Food=coffee"]))
    public, secret = split(to_json(params))
    assert public == {"bank_statement": {"bank_hint": "Chase", "category_rules": ["Food=coffee"]}}
    assert secret == {"bank_statement": {"password": "pw"}}
    job = job_pb2.Job(id="j")
    job.params.bank_statement.bank_hint = "Chase"
    revealed = reveal(job, secret)
    assert revealed.params.bank_statement.password == "pw" and revealed.params.bank_statement.bank_hint == "Chase"
    assert not job.params.bank_statement.password, "the job the caller holds is left as it was"


def test_params_without_secrets_have_none() -> None:
    public, secret = split({"bank_statement": {"bank_hint": "x"}})
    assert public == {"bank_statement": {"bank_hint": "x"}} and secret is None
    assert split({"sentiment": {"text_column": "t"}}) == ({"sentiment": {"text_column": "t"}}, None)
