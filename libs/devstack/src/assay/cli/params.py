"""``--param key=value`` pairs → typed ``JobParams`` (enum values may be given in short form)."""

from __future__ import annotations

from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor

from assay.v1 import job_pb2


def parse_params(analyzer: str, pairs: list[str]) -> job_pb2.JobParams:
    """Build ``JobParams`` for ``analyzer``; ``contract_type=vendor_dpa`` means ``CONTRACT_TYPE_VENDOR_DPA``."""
    params = job_pb2.JobParams()
    field = params.DESCRIPTOR.fields_by_name.get(analyzer)
    if field is None or field.message_type is None:
        raise ValueError(f"unknown analyzer {analyzer!r}")
    message_type = field.message_type
    values: dict[str, str | list[str]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"--param {pair!r} is not key=value")
        target = message_type.fields_by_name.get(key)
        if target is None:
            known = ", ".join(f.name for f in message_type.fields)
            raise ValueError(f"{analyzer} has no parameter {key!r}; known: {known}")
        value = _enum_name(target, value) if target.type == FieldDescriptor.TYPE_ENUM else value
        if target.is_repeated:  # --param k=a --param k=b
            listed = values.setdefault(key, [])
            assert isinstance(listed, list)
            listed.append(value)
        else:
            values[key] = value
    json_format.ParseDict({analyzer: values}, params)
    return params


def _enum_name(field: FieldDescriptor, value: str) -> str:
    assert field.enum_type is not None
    names = [v.name for v in field.enum_type.values]
    if value in names:
        return value
    for name in names:
        if name.endswith("_" + value.upper()) and not name.endswith("_UNSPECIFIED"):
            return name
    raise ValueError(f"{field.name} must be one of: {', '.join(n for n in names if not n.endswith('_UNSPECIFIED'))}")
