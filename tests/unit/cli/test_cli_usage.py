"""``assay usage`` and a refused quota, as the CLI prints them."""

from __future__ import annotations

from datetime import UTC, datetime

import grpc

from assay.cli import output
from assay.cli.__main__ import build_parser
from assay.cli.usage import render
from assay.common.errors import ErrorDetails
from assay.v1 import jobs_service_pb2


def test_usage_is_a_table_with_none_for_a_quota_without_limit() -> None:
    daily = jobs_service_pb2.QuotaUsage(quota="jobs_per_day", used=1234, limit=10000)
    daily.resets_at.FromDatetime(datetime(2026, 12, 5, tzinfo=UTC))
    queued = jobs_service_pb2.QuotaUsage(quota="max_queued", used=3)

    lines = render([daily, queued]).splitlines()

    assert lines[0].split() == ["QUOTA", "USED", "LIMIT", "RESETS"]
    assert lines[1].split() == ["jobs_per_day", "1,234", "10,000", "2026-12-05", "00:00", "UTC"]
    assert lines[2].split() == ["max_queued", "3", "none"]
    assert lines[1].index("1,234") == lines[0].index("USED")


def test_the_command_parses() -> None:
    assert build_parser().parse_args(["usage", "--json"]).command == "usage"


def test_a_refused_quota_says_which_how_much_and_when_to_try_again() -> None:
    details = ErrorDetails(grpc.StatusCode.RESOURCE_EXHAUSTED, "tenant acme has used 3 of its 3 jobs per day",
                           "QUOTA_EXCEEDED", (), {"quota": "jobs_per_day", "limit": "3", "usage": "3",
                                                  "retry_after_seconds": "3700"})
    assert output.error_lines(details)[1] == "  quota jobs_per_day: 3 of 3 used; try again in 1h 01m"
    no_wait = ErrorDetails(grpc.StatusCode.RESOURCE_EXHAUSTED, "over", "QUOTA_EXCEEDED", (),
                           {"quota": "max_queued", "limit": "2", "usage": "2"})
    assert output.error_lines(no_wait)[1] == "  quota max_queued: 2 of 2 used"
