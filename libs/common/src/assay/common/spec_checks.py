"""What a job's inputs and params must satisfy for its analyzer's spec, as field violations.

The jobs service runs these at CreateJob, so a request an analyzer would refuse is refused before
it is queued, with one violation per problem; ``assay.analysis.testing`` runs the same checks
before a local run, so a test sees what the API would say.
"""

from __future__ import annotations

from google.protobuf.descriptor import FieldDescriptor

from assay.common.analyzers import AnalyzerSpec, params_descriptor
from assay.common.errors import FieldViolation
from assay.v1 import job_pb2


def text_violations(spec: AnalyzerSpec, text: str, field: str = "inputs.text") -> list[FieldViolation]:
    """Inline text the analyzer does not take, or longer than its ``max_text_chars``."""
    if not spec.accepts_text:
        return [FieldViolation(field, f"the {spec.name} analyzer does not accept inline text")]
    if len(text) > spec.max_text_chars:
        return [FieldViolation(
            field, f"is {len(text)} characters; the {spec.name} analyzer accepts at most {spec.max_text_chars}")]
    return []


_PLAIN_TEXT = "text/plain"
_READ_AS_PLAIN_TEXT = frozenset({"text/markdown"})
"""Markdown is plain text with a name: an analyzer that reads text/plain reads it too."""


def file_violations(spec: AnalyzerSpec, media_type: str, size_bytes: int, field: str) -> list[FieldViolation]:
    """A file of a type the analyzer does not read, or larger than its ``max_input_bytes``.

    A ``text/markdown`` file is read by every analyzer that reads ``text/plain``."""
    found: list[FieldViolation] = []
    bare_type = media_type.split(";", 1)[0].strip().lower()
    as_text = bare_type in _READ_AS_PLAIN_TEXT and _PLAIN_TEXT in spec.accepted_media_types
    if bare_type not in spec.accepted_media_types and not as_text:
        accepted = ", ".join(spec.accepted_media_types) or "no files"
        found.append(FieldViolation(
            field, f"is {bare_type or 'of unknown type'}; the {spec.name} analyzer reads {accepted}"))
    if spec.max_input_bytes and size_bytes > spec.max_input_bytes:
        found.append(FieldViolation(
            field, f"is {size_bytes} bytes; the {spec.name} analyzer reads at most {spec.max_input_bytes}"))
    return found


def params_violations(spec: AnalyzerSpec, params: job_pb2.JobParams, field: str = "params") -> list[FieldViolation]:
    """Every required param left unset and every enum param set to an unknown number, at once."""
    descriptor = params_descriptor(spec.name)
    if descriptor is None:
        return []
    message = getattr(params, spec.name)
    prefix = f"{field}.{spec.name}"
    found: list[FieldViolation] = []
    for param in descriptor.fields:
        value = getattr(message, param.name)
        enum = param.enum_type if param.type == FieldDescriptor.TYPE_ENUM else None
        choices = ", ".join(v.name for v in enum.values if v.number) if enum is not None else ""
        if param.name in spec.required_params and not value:
            found.append(FieldViolation(
                f"{prefix}.{param.name}", f"is required: one of {choices}" if choices else "is required"))
        elif enum is not None and not param.is_repeated and enum.values_by_number.get(value) is None:
            found.append(FieldViolation(f"{prefix}.{param.name}", f"{value} is not one of {choices}"))
    return found


def declared_violations(
    spec: AnalyzerSpec, params: job_pb2.JobParams, declared_size: int, *, params_field: str, size_field: str
) -> list[FieldViolation]:
    """What a submission shows before its file is read: every params problem, a declared size too large."""
    found = params_violations(spec, params, params_field)
    if spec.max_input_bytes and declared_size > spec.max_input_bytes:
        found.append(FieldViolation(
            size_field, f"is {declared_size} bytes; the {spec.name} analyzer reads at most {spec.max_input_bytes}"))
    return found
