"""The CLI's pure parts: the trace waterfall and --param parsing."""

from __future__ import annotations

import json

import pytest

from assay.cli.params import parse_params
from assay.cli.trace import build_tree, render
from assay.devstack.spans import load_spans
from assay.v1 import contract_review_pb2


def span(span_id: str, parent: str, name: str, service: str, start_ms: float, end_ms: float, status="OK"):
    return {"trace_id": "t" * 32, "span_id": span_id, "parent_id": parent, "name": name, "service": service,
            "start_ns": int(start_ms * 1e6), "end_ns": int(end_ms * 1e6), "status": status, "status_message": ""}


def test_the_waterfall_indents_children_under_parents_in_start_order(tmp_path):
    spans = [
        span("c2", "root", "publish assay.work", "assay-jobs", 5, 6),
        span("root", "", "POST /v1/jobs", "assay-gateway", 0, 10),
        span("c1", "root", "/assay.v1.JobService/CreateJob", "assay-jobs", 1, 4),
        span("g1", "c1", "INSERT", "assay-jobs", 2, 3, status="ERROR"),
    ]
    path = tmp_path / "spans.jsonl"
    path.write_text("".join(json.dumps(s) + "\n" for s in spans) + json.dumps({**spans[0], "trace_id": "x"}) + "\n")
    loaded = load_spans(path, "t" * 32)
    assert len(loaded) == 4, "spans of other traces are ignored"
    text = render("t" * 32, build_tree(loaded)).splitlines()
    assert text[0].startswith("trace tttt") and "4 spans" in text[0] and "10.0 ms" in text[0]
    names = [line.split("  ")[1:] for line in text[2:]]
    assert "POST /v1/jobs" in text[2]
    assert "  /assay.v1.JobService/CreateJob" in text[3]
    assert "    INSERT" in text[4] and "ERROR" in text[4]
    assert "  publish assay.work" in text[5] and "+5.0 ms" in text[5]
    assert len(names) == 4


def test_a_trace_without_spans_says_so(tmp_path):
    assert "no spans" in render("abc", build_tree(load_spans(tmp_path / "missing.jsonl", "abc")))


def test_enum_params_accept_their_short_names():
    params = parse_params("contract_review", ["contract_type=vendor_dpa", "jurisdiction=EU", "playbook=eu-gdpr"])
    assert params.contract_review.contract_type == contract_review_pb2.CONTRACT_TYPE_VENDOR_DPA
    assert params.contract_review.jurisdiction == contract_review_pb2.JURISDICTION_EU
    assert params.contract_review.playbook == "eu-gdpr"


@pytest.mark.parametrize(("analyzer", "pairs", "message"), [
    ("astrology", [], "unknown analyzer"),
    ("sentiment", ["text_column"], "not key=value"),
    ("sentiment", ["colour=red"], "no parameter 'colour'"),
    ("contract_review", ["jurisdiction=mars"], "jurisdiction must be one of"),
])
def test_bad_params_are_refused_with_a_clear_message(analyzer, pairs, message):
    with pytest.raises(ValueError, match=message):
        parse_params(analyzer, pairs)


def test_each_span_is_a_bar_on_the_trace_s_time_axis_with_its_status():
    spans = [
        span("root", "", "POST /v1/jobs", "assay-gateway", 0, 10),
        span("c1", "root", "/assay.v1.JobService/CreateJob", "assay-jobs", 0, 5, status="UNSET"),
        span("c2", "root", "analyze sentiment", "assay-analysis", 5, 6, status="ERROR"),
    ]
    spans[2]["status_message"] = "INPUT_UNPARSEABLE: scripted bad input"
    lines = render("t" * 32, build_tree(spans), bar_width=10).splitlines()
    header, root, create, analyze = lines[1:]
    assert "|0  10.0 ms|" in header
    bars = [line[line.index("|"):line.rindex("|") + 1] for line in (root, create, analyze)]
    assert bars == ["|██████████|", "|█████     |", "|     █    |"]
    assert root.endswith("|  OK") and create.endswith("|  UNSET")
    assert analyze.endswith("|  ERROR (INPUT_UNPARSEABLE: scripted bad input)")


def test_a_span_s_events_are_marked_at_their_time_under_it():
    record = span("w", "", "process assay.work.sentiment", "assay-analysis", 0, 10)
    record["events"] = [{"name": "assay.cancel_requested", "time_ns": int(7.5e6), "attributes": {}}]
    lines = render("t" * 32, build_tree([record]), bar_width=10).splitlines()
    assert lines[0].endswith("(1 spans, 10.0 ms)"), "event rows are not counted as spans"
    event = lines[3]
    assert "  ◆ assay.cancel_requested" in event and "+7.5 ms" in event
    assert event[event.index("|"):] == "|       ◆  |"


@pytest.mark.parametrize(("attributes", "shown"), [
    ({"rpc.grpc.status_code": 5}, "UNSET (grpc NOT_FOUND)"),
    ({"rpc.grpc.status_code": 0}, "UNSET"),
    ({"http.response.status_code": 404}, "UNSET (http 404)"),
    ({"http.status_code": 200}, "UNSET"),
])
def test_an_unset_span_that_answered_an_error_names_the_code(attributes, shown):
    record = {**span("s", "", "/assay.v1.JobService/GetJob", "assay-jobs", 0, 1, status="UNSET"),
              "attributes": attributes}
    assert render("t" * 32, build_tree([record])).splitlines()[2].endswith("|  " + shown)
