"""The CLI's printing: the jobs table, API errors (its JSON is the gateway's to_json, tested end to end)."""

from __future__ import annotations

import grpc

from assay.cli import output
from assay.common.errors import ErrorDetails, FieldViolation
from assay.v1 import job_pb2


def test_the_jobs_table_has_a_header_aligned_with_its_rows():
    job = job_pb2.Job(id="0" * 36, state=job_pb2.Job.STATE_RUNNING, analyzer="sentiment", progress=40)
    header, line = output.job_header(), output.job_line(job)
    assert header.split() == ["ID", "STATE", "ANALYZER", "PROGRESS", "CREATED"]
    for column in ("STATE", "ANALYZER"):
        assert line[header.index(column):].startswith({"STATE": "RUNNING", "ANALYZER": "sentiment"}[column])
    assert line[header.index("PROGRESS"):header.index("PROGRESS") + 8].strip() == "40%"


def test_an_error_whose_violation_repeats_the_message_is_printed_once():
    message = "declared size 20 bytes exceeds the 10 byte upload limit"
    details = ErrorDetails(grpc.StatusCode.RESOURCE_EXHAUSTED, message, "FILE_TOO_LARGE",
                           (FieldViolation("header.file.size_bytes", message),))
    lines = output.error_lines(details)
    assert lines == [f"assay: RESOURCE_EXHAUSTED FILE_TOO_LARGE: {message}"]
    assert sum(message in line for line in lines) == 1


def test_a_violation_the_message_states_with_its_field_is_printed_once():
    description = "declared size 20 bytes exceeds the 10 byte upload limit"
    details = ErrorDetails(grpc.StatusCode.RESOURCE_EXHAUSTED, f"header.file.size_bytes: {description}",
                           "FILE_TOO_LARGE", (FieldViolation("header.file.size_bytes", description),))
    assert len(output.error_lines(details)) == 1


def test_violations_that_add_detail_are_printed():
    details = ErrorDetails(grpc.StatusCode.INVALID_ARGUMENT, "the request is invalid", "INVALID_ARGUMENT",
                           (FieldViolation("priority", "must be 0-9"),))
    assert output.error_lines(details)[1:] == ["  priority: must be 0-9"]


def test_a_running_job_with_cancel_requested_says_so(capsys):
    output.print_job(job_pb2.Job(id="j1", state=job_pb2.Job.STATE_RUNNING, cancel_requested=True))
    assert "cancel    requested" in capsys.readouterr().out


def test_a_job_answered_from_the_result_cache_names_its_source(capsys):
    output.print_job(job_pb2.Job(id="j2", state=job_pb2.Job.STATE_SUCCEEDED, cached_from="j1"))
    assert "cached    answered from job j1's result" in capsys.readouterr().out
