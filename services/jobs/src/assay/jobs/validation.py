"""CreateJob validation: every problem is reported as a field violation naming the field."""

from __future__ import annotations

import hashlib
import re
import uuid

from assay.common.analyzers import ANALYZER_NAMES, INPUT_RULES
from assay.common.errors import FieldViolation, InvalidArgument, invalid_field
from assay.common.nats import MAX_PRIORITY
from assay.jobs.codec import to_json
from assay.jobs.store import NewJob
from assay.v1 import jobs_service_pb2

REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
MAX_ATTEMPTS = 10


def parse_job_id(raw: str, field: str = "id") -> uuid.UUID:
    """A job id from a request, or INVALID_ARGUMENT naming ``field``."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise invalid_field(field, "must be a UUID") from None


def validate_create(
    request: jobs_service_pb2.CreateJobRequest, *, default_max_attempts: int, trace_id: str
) -> NewJob:
    """Check a CreateJob request and normalise it; raises INVALID_ARGUMENT with every violation."""
    violations: list[FieldViolation] = []
    analyzer = request.analyzer
    if not analyzer:
        violations.append(FieldViolation("analyzer", "is required"))
    elif analyzer not in ANALYZER_NAMES:
        violations.append(FieldViolation(
            "analyzer", f"unknown analyzer {analyzer!r}; known: {', '.join(ANALYZER_NAMES)}"))
    params = request.params
    chosen = params.WhichOneof("analyzer_params")
    if chosen is not None and analyzer and chosen != analyzer:
        violations.append(FieldViolation("params", f"holds {chosen} parameters but analyzer is {analyzer!r}"))
    if analyzer in INPUT_RULES:
        violations += _input_violations(request, analyzer)
    if request.request_id and not REQUEST_ID_PATTERN.match(request.request_id):
        violations.append(FieldViolation(
            "request_id", "must be 1-128 characters of letters, digits and . _ : -"))
    if not 0 <= request.priority <= MAX_PRIORITY:
        violations.append(FieldViolation("priority", f"must be between 0 and {MAX_PRIORITY}"))
    if not 0 <= request.max_attempts <= MAX_ATTEMPTS:
        violations.append(FieldViolation("max_attempts", f"must be between 1 and {MAX_ATTEMPTS} (0: default)"))
    if violations:
        raise InvalidArgument("INVALID_ARGUMENT", "; ".join(f"{v.field}: {v.description}" for v in violations),
                              violations=violations)
    if chosen is None:
        getattr(params, analyzer).SetInParent()
    body = request.SerializeToString(deterministic=True)
    canonical = jobs_service_pb2.CreateJobRequest.FromString(body)
    canonical.ClearField("request_id")
    return NewJob(
        analyzer=analyzer,
        params=to_json(params),
        inputs=to_json(request.inputs),
        request_id=request.request_id or None,
        request_hash=hashlib.sha256(canonical.SerializeToString(deterministic=True)).hexdigest(),
        priority=request.priority,
        max_attempts=request.max_attempts or default_max_attempts,
        trace_id=trace_id,
    )


def _input_violations(request: jobs_service_pb2.CreateJobRequest, analyzer: str) -> list[FieldViolation]:
    rules = INPUT_RULES[analyzer]
    inputs = request.inputs
    found: list[FieldViolation] = []
    if not inputs.text and not inputs.file_ids:
        found.append(FieldViolation("inputs", "name at least one file in file_ids or give text"))
    if inputs.text and inputs.file_ids:
        found.append(FieldViolation("inputs", "give either text or file_ids, not both"))
    if inputs.text:
        if not rules.accepts_text:
            found.append(FieldViolation("inputs.text", f"the {analyzer} analyzer does not accept inline text"))
        elif len(inputs.text) > rules.max_text_chars:
            found.append(FieldViolation(
                "inputs.text", f"is {len(inputs.text)} characters; the {analyzer} analyzer accepts at most "
                f"{rules.max_text_chars}"))
    if inputs.file_ids:
        if not rules.accepts_files:
            found.append(FieldViolation("inputs.file_ids", f"the {analyzer} analyzer does not accept files"))
        elif len(inputs.file_ids) > rules.max_files:
            found.append(FieldViolation("inputs.file_ids", f"at most {rules.max_files} file(s) per job"))
        if len(set(inputs.file_ids)) != len(inputs.file_ids):
            found.append(FieldViolation("inputs.file_ids", "must not repeat a file"))
        for index, file_id in enumerate(inputs.file_ids):
            try:
                uuid.UUID(file_id)
            except ValueError:
                found.append(FieldViolation(f"inputs.file_ids[{index}]", "must be a UUID"))
    return found
