"""An error's trailers stay under gRPC's 8 KiB metadata limit however many violations it carries; past
the limit the client got RESOURCE_EXHAUSTED "Stream removed" (a 500 at the gateway) instead of the error."""

from __future__ import annotations

from google.rpc import error_details_pb2

from assay.common.errors import MAX_DETAILS_BYTES, MAX_MESSAGE_CHARS, FieldViolation, invalid_fields


def test_hundreds_of_long_violations_are_cut_and_the_rest_counted() -> None:
    violations = [FieldViolation(f"jobs[{i}].job.params.{'x' * 100}", "must be " + "y" * 400) for i in range(300)]
    status = invalid_fields(violations).to_status()
    assert sum(detail.ByteSize() for detail in status.details) <= MAX_DETAILS_BYTES + 200
    assert len(status.message) <= MAX_MESSAGE_CHARS + 1
    bad = error_details_pb2.BadRequest()
    status.details[1].Unpack(bad)
    kept = len(bad.field_violations) - 1
    assert 0 < kept < 300 and bad.field_violations[-1].description == f"… and {300 - kept} more"


def test_a_few_violations_are_sent_whole() -> None:
    status = invalid_fields([FieldViolation("a", "bad"), FieldViolation("b", "worse")]).to_status()
    bad = error_details_pb2.BadRequest()
    status.details[1].Unpack(bad)
    assert [(v.field, v.description) for v in bad.field_violations] == [("a", "bad"), ("b", "worse")]
    assert status.message == "a: bad; b: worse"
