"""JSON Schemas of proto messages as the REST API reads them, generated from the descriptors.

``scalar_schema`` is the one mapping of a proto value to JSON Schema: the gateway's OpenAPI
components use it too.

The REST API is ``google.protobuf.json_format`` with proto field names (``text_column``), enums by
name, 64-bit integers as numbers (decimal strings beyond 2^53; either is accepted).
:func:`params_schema` describes an analyzer's params object (``params.<analyzer>`` in a CreateJob
body) for clients that build a form from it: every field with its type, enums as their settable
names (the zero ``*_UNSPECIFIED`` value means "not set" and is left out), the required fields
listed, anything else refused. Objects also carry ``x-order``, their property names in declaration
order, for a form's field order: the schema travels as a ``google.protobuf.Struct``, whose keys
are unordered.
"""

from __future__ import annotations

from typing import Any

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor

DIALECT = "https://json-schema.org/draft/2020-12/schema"

_INT64 = frozenset({
    FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_SINT64,
    FieldDescriptor.TYPE_FIXED64, FieldDescriptor.TYPE_SFIXED64,
})
_SCALARS: dict[int, dict[str, Any]] = {
    **{kind: {"type": "integer", "format": "int32"} for kind in (
        FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_SINT32,
        FieldDescriptor.TYPE_FIXED32, FieldDescriptor.TYPE_SFIXED32)},
    # a number where it fits in 2^53 (what responses send), else a decimal string; requests may use either
    **{kind: {"type": ["integer", "string"], "format": "int64", "pattern": r"^-?[0-9]+$"} for kind in _INT64},
    FieldDescriptor.TYPE_DOUBLE: {"type": "number"},
    FieldDescriptor.TYPE_FLOAT: {"type": "number"},
    FieldDescriptor.TYPE_BOOL: {"type": "boolean"},
    FieldDescriptor.TYPE_BYTES: {"type": "string", "format": "byte"},
    FieldDescriptor.TYPE_STRING: {"type": "string"},
}


def enum_schema(enum: EnumDescriptor, *, settable_only: bool = False) -> dict[str, Any]:
    """An enum as its value names; ``settable_only`` leaves out the zero (unset) value."""
    return {"type": "string", "enum": [v.name for v in enum.values if v.number or not settable_only]}


def scalar_schema(field: FieldDescriptor, *, settable_only: bool = False) -> dict[str, Any]:
    """The schema of one non-message value of ``field`` (an enum or a scalar)."""
    if field.type == FieldDescriptor.TYPE_ENUM:
        assert field.enum_type is not None
        return enum_schema(field.enum_type, settable_only=settable_only)
    return dict(_SCALARS[field.type])


def params_schema(descriptor: Descriptor, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """A standalone JSON Schema of an analyzer's params message, ``required`` fields listed."""
    schema = {"$schema": DIALECT, **_object(descriptor)}
    if required:
        schema["required"] = list(required)
    return schema


def _object(descriptor: Descriptor) -> dict[str, Any]:
    properties = {field.name: _field(field) for field in descriptor.fields}
    return {"title": descriptor.name, "type": "object", "properties": properties, "additionalProperties": False,
            "x-order": list(properties)}


def _field(field: FieldDescriptor) -> dict[str, Any]:
    single = _object(field.message_type) if field.message_type is not None else scalar_schema(
        field, settable_only=True)
    return {"type": "array", "items": single} if field.is_repeated else single
