"""The ``view`` query parameter of job reads (AIP-157): ``BASIC`` or ``FULL``."""

from __future__ import annotations

from assay.common.errors import FieldViolation
from assay.gateway.problems import bad_request
from assay.v1 import jobs_service_pb2

_VIEWS: dict[str, jobs_service_pb2.JobView.ValueType] = {}
for _value in jobs_service_pb2.JobView.DESCRIPTOR.values:
    if _value.number:
        _short = _value.name.removeprefix("JOB_VIEW_")
        for _alias in (_value.name, _short, _short.lower()):
            _VIEWS[_alias] = jobs_service_pb2.JobView.Value(_value.name)
VIEW_QUERY_VALUES = list(_VIEWS)
"""What ``view=`` accepts: ``BASIC`` / ``FULL``, lower case or the proto names alike."""


def parse_view(value: str | None) -> jobs_service_pb2.JobView.ValueType:
    """The JobView a ``view`` query value names (unset: the method's default); 400 otherwise."""
    if not value:
        return jobs_service_pb2.JOB_VIEW_UNSPECIFIED
    if value not in _VIEWS:
        raise bad_request(f"unknown view {value!r}", violations=[FieldViolation("view", "must be BASIC or FULL")])
    return _VIEWS[value]
