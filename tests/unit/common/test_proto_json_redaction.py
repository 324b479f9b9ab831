"""The API's JSON rendering masks fields the contracts mark debug_redact (a PDF password)."""

from __future__ import annotations

from assay.common.proto_json import REDACTED, clear_redacted, redacted_paths, to_json
from assay.v1 import bank_statement_pb2, job_pb2, jobs_service_pb2


def _job(password: str) -> job_pb2.Job:
    return job_pb2.Job(id="j1", analyzer="bank_statement", params=job_pb2.JobParams(
        bank_statement=bank_statement_pb2.BankStatementParams(password=password, bank_hint="chase")))


def test_a_jobs_password_is_masked_wherever_the_job_is_rendered() -> None:
    rendered = to_json(_job("s3cret-PW"))
    assert rendered["params"]["bank_statement"] == {"password": REDACTED, "bank_hint": "chase",
                                                    "category_rules": []}
    listing = to_json(jobs_service_pb2.ListJobsResponse(jobs=[_job("s3cret-PW"), _job("")]))
    assert [j["params"]["bank_statement"]["password"] for j in listing["jobs"]] == [REDACTED, ""]
    assert "s3cret-PW" not in repr(listing)


def test_messages_without_redacted_fields_render_as_before() -> None:
    assert redacted_paths(job_pb2.Job.DESCRIPTOR) == (("params", "bank_statement", "password"),)
    assert to_json(job_pb2.Job(id="j2", analyzer="sentiment"))["id"] == "j2"
    assert redacted_paths(job_pb2.JobInputs.DESCRIPTOR) == ()


def test_clear_redacted_takes_the_password_out_of_nested_and_repeated_messages() -> None:
    listing = jobs_service_pb2.ListJobsResponse(jobs=[_job("s3cret-PW"), _job("other-PW")])
    clear_redacted(listing)
    assert [j.params.bank_statement.password for j in listing.jobs] == ["", ""]
    assert [j.params.bank_statement.bank_hint for j in listing.jobs] == ["chase", "chase"]
    assert listing.jobs[0].params.WhichOneof("analyzer_params") == "bank_statement"

