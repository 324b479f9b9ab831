"""CreateJob validation: every problem is reported as a field violation naming the field."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Sequence

from opentelemetry import trace

from assay.common.analyzers import ANALYZER_NAMES, SPECS, AnalyzerSpec
from assay.common.errors import FieldViolation, invalid_fields
from assay.common.fields import request_id_violation
from assay.common.nats import MAX_PRIORITY
from assay.common.proto_json import clear_redacted
from assay.common.spec_checks import file_violations, params_violations, text_violations
from assay.jobs.codec import to_json
from assay.jobs.dependencies import MAX_DEPENDENCIES
from assay.jobs.metrics import JOBS_REFUSED
from assay.jobs.store import NewJob
from assay.v1 import ingest_service_pb2, job_pb2, jobs_service_pb2

INDEX = re.compile(r"\[\d+\]")
"""``[0]`` in ``inputs.file_ids[0]``: dropped from metric labels to bound their number."""
MAX_ATTEMPTS = 10


def files_to_look_up(request: jobs_service_pb2.CreateJobRequest) -> list[str]:
    """The input file ids worth asking ingest about: none unless every one is a distinct UUID and
    the analyzer takes that many (otherwise ``validate_create`` refuses the request anyway)."""
    spec = SPECS.get(request.analyzer)
    file_ids = list(request.inputs.file_ids)
    too_many = spec is not None and len(file_ids) > spec.max_files
    if too_many or len(set(file_ids)) != len(file_ids):
        return []
    try:
        for file_id in file_ids:
            uuid.UUID(file_id)
    except ValueError:
        return []
    return file_ids


def validate_create(
    request: jobs_service_pb2.CreateJobRequest, files: Sequence[ingest_service_pb2.File] = (), *,
    default_max_attempts: int, trace_id: str,
) -> NewJob:
    """Check a CreateJob request against its analyzer's spec and normalise it; raises
    INVALID_ARGUMENT with every violation. ``files`` is ingest's metadata of the input files
    (``files_to_look_up``), checked against the media types and size the analyzer accepts."""
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
    spec = SPECS.get(analyzer)
    if spec is not None:
        violations += _input_violations(request, spec, files)
        if chosen in (None, analyzer):
            violations += params_violations(spec, params)
    violations += _dependency_violations(request.inputs.jobs)
    if (bad_request_id := request_id_violation(request.request_id, "request_id")) is not None:
        violations.append(bad_request_id)
    if not 0 <= request.priority <= MAX_PRIORITY:
        violations.append(FieldViolation("priority", f"must be between 0 and {MAX_PRIORITY}"))
    if not 0 <= request.max_attempts <= MAX_ATTEMPTS:
        violations.append(FieldViolation("max_attempts", f"must be between 1 and {MAX_ATTEMPTS} (0: default)"))
    if violations:
        _count_refusal(analyzer, violations)
        raise invalid_fields(violations)
    if chosen is None:
        getattr(params, analyzer).SetInParent()
    body = request.SerializeToString(deterministic=True)
    canonical = jobs_service_pb2.CreateJobRequest.FromString(body)
    canonical.ClearField("request_id")
    clear_redacted(canonical)  # the stored digest must not be a way to test guesses of a password
    return NewJob(
        analyzer=analyzer,
        params=to_json(params),
        inputs=to_json(request.inputs),
        request_id=request.request_id or None,
        request_hash=hashlib.sha256(canonical.SerializeToString(deterministic=True)).hexdigest(),
        priority=request.priority,
        max_attempts=request.max_attempts or default_max_attempts,
        trace_id=trace_id,
        dependencies=tuple(uuid.UUID(job_id) for job_id in request.inputs.jobs),
    )


def _dependency_violations(job_ids: Sequence[str]) -> list[FieldViolation]:
    """``inputs.jobs``: distinct job UUIDs, at most ``MAX_DEPENDENCIES`` (existence is the store's)."""
    found: list[FieldViolation] = []
    if len(job_ids) > MAX_DEPENDENCIES:
        found.append(FieldViolation("inputs.jobs", f"at most {MAX_DEPENDENCIES} jobs per job"))
    parsed: set[uuid.UUID] = set()
    malformed = 0
    for index, job_id in enumerate(job_ids):
        try:
            parsed.add(uuid.UUID(job_id))
        except ValueError:
            malformed += 1
            found.append(FieldViolation(f"inputs.jobs[{index}]", "must be a UUID"))
    if len(parsed) + malformed < len(job_ids):
        found.append(FieldViolation("inputs.jobs", "must not repeat a job"))
    return found


def _count_refusal(analyzer: str, violations: Sequence[FieldViolation]) -> None:
    """Record the refused fields on the CreateJob span and in ``assay_jobs_refused_total``."""
    fields = [v.field for v in violations]
    trace.get_current_span().set_attribute("assay.invalid_fields", fields)
    label = analyzer if analyzer in ANALYZER_NAMES else "unknown"
    for field in fields:
        JOBS_REFUSED.labels(analyzer=label, field=INDEX.sub("", field)).inc()


def _dependency_input_violations(inputs: job_pb2.JobInputs, spec: AnalyzerSpec) -> list[FieldViolation]:
    """An analyzer that reads only its dependencies' results: at least one job, no file, no text."""
    found: list[FieldViolation] = []
    if not inputs.jobs:
        found.append(FieldViolation(
            "inputs.jobs", f"the {spec.name} analyzer reads the results of other jobs: name at least one"))
    if inputs.file_ids:
        found.append(FieldViolation("inputs.file_ids", f"the {spec.name} analyzer does not accept files"))
    if inputs.text:
        found.append(FieldViolation("inputs.text", f"the {spec.name} analyzer does not accept inline text"))
    return found


def _input_violations(
    request: jobs_service_pb2.CreateJobRequest, spec: AnalyzerSpec, files: Sequence[ingest_service_pb2.File]
) -> list[FieldViolation]:
    inputs = request.inputs
    found: list[FieldViolation] = []
    if spec.inputs_from_dependencies:
        return _dependency_input_violations(inputs, spec)
    if not inputs.text and not inputs.file_ids and not (spec.reads_dependency_tables and inputs.jobs):
        found.append(FieldViolation("inputs", "name at least one file in file_ids or give text"))
    if inputs.text and inputs.file_ids:
        found.append(FieldViolation("inputs", "give either text or file_ids, not both"))
    if inputs.text:
        found += text_violations(spec, inputs.text)
    if inputs.file_ids:
        if not spec.accepts_files:
            found.append(FieldViolation("inputs.file_ids", f"the {spec.name} analyzer does not accept files"))
        elif len(inputs.file_ids) > spec.max_files:
            found.append(FieldViolation("inputs.file_ids", f"at most {spec.max_files} file(s) per job"))
        if len(set(inputs.file_ids)) != len(inputs.file_ids):
            found.append(FieldViolation("inputs.file_ids", "must not repeat a file"))
        by_id = {file.id: file for file in files} if spec.accepts_files else {}
        for index, file_id in enumerate(inputs.file_ids):
            try:
                stored = by_id.get(str(uuid.UUID(file_id)))
            except ValueError:
                found.append(FieldViolation(f"inputs.file_ids[{index}]", "must be a UUID"))
                continue
            if stored is not None:
                found += file_violations(spec, stored.media_type, stored.size_bytes, f"inputs.file_ids[{index}]")
    return found
