"""The API's JSON presentation, decided once: proto field names, enums by their proto value names,
int64 as JSON numbers up to 2^53 - 1 and as decimal strings beyond."""

from __future__ import annotations

import json

from assay.common.json_schema import params_schema
from assay.common.proto_json import MAX_SAFE_INTEGER, to_json
from assay.v1 import (
    compare_pb2,
    ingest_service_pb2,
    job_pb2,
    sentiment_pb2,
)


def test_int64_fields_are_numbers_up_to_two_to_the_53rd_and_strings_beyond() -> None:
    small = to_json(ingest_service_pb2.File(size_bytes=11))
    edge = to_json(ingest_service_pb2.File(size_bytes=MAX_SAFE_INTEGER))
    huge = to_json(ingest_service_pb2.File(size_bytes=MAX_SAFE_INTEGER + 1))
    negative = to_json(ingest_service_pb2.File(size_bytes=-(MAX_SAFE_INTEGER + 1)))
    assert small["size_bytes"] == 11 and edge["size_bytes"] == 9007199254740991
    assert huge["size_bytes"] == "9007199254740992", "a double cannot hold it exactly: kept a string"
    assert negative["size_bytes"] == "-9007199254740992"
    assert to_json(ingest_service_pb2.File())["size_bytes"] == 0, "zero is printed, as a number"


def test_nested_and_repeated_int64_fields_inside_a_job_result_are_numbers() -> None:
    result = sentiment_pb2.SentimentResult(
        statistics=sentiment_pb2.SentimentStatistics(rows_total=3, label_counts=[
            sentiment_pb2.SentimentLabelCount(label=sentiment_pb2.SENTIMENT_LABEL_POSITIVE, count=2, percentage=66.7)]),
        items=[sentiment_pb2.SentimentItem(row=1), sentiment_pb2.SentimentItem(row=2)])
    job = job_pb2.Job(id="j", state=job_pb2.Job.STATE_SUCCEEDED, result=job_pb2.JobResult(sentiment=result))
    rendered = to_json(job)
    sentiment = rendered["result"]["sentiment"]
    assert sentiment["statistics"]["rows_total"] == 3
    assert sentiment["statistics"]["label_counts"][0] == {
        "label": "SENTIMENT_LABEL_POSITIVE", "count": 2, "percentage": 66.7}
    assert [item["row"] for item in sentiment["items"]] == [1, 2]
    assert rendered["state"] == "STATE_SUCCEEDED", "enums by their proto value names"
    compared = to_json(compare_pb2.CompareResult(added=5))
    assert compared["added"] == 5
    assert json.loads(json.dumps(rendered)) == rendered


def test_the_params_schema_documents_int64_as_a_number_or_a_decimal_string() -> None:
    schema = params_schema(compare_pb2.CompareResult.DESCRIPTOR)
    assert schema["properties"]["added"]["type"] == ["integer", "string"]
    assert schema["properties"]["added"]["format"] == "int64"
