"""Proto <-> JSON for the REST API, and JSON Schemas derived from the same descriptors.

The JSON is ``assay.common.proto_json.to_json``'s, rendered by its compiled form
(``assay.gateway.compiled_json``, the same objects in half the time): ``google.protobuf.json_format`` with proto
field names and every field without presence printed, so a body's shape does not depend on its
values; 64-bit integers as numbers up to 2^53). The OpenAPI schemas are generated from the message
descriptors by the same rules (enums as their proto value names, 64-bit integers as numbers or
strings, Timestamps as RFC 3339 strings, Durations as ``"1.5s"``), so the documented schemas
cannot drift from what is sent.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar, cast

from google.protobuf import json_format, message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from assay.common.byte_cache import ByteLRU
from assay.common.errors import FieldViolation
from assay.common.json_schema import scalar_schema
from assay.gateway.compiled_json import to_json

M = TypeVar("M", bound=Message)

__all__ = ["JsonFieldError", "RenderCache", "SchemaRegistry", "from_json", "input_schema", "ref", "render",
           "schema_name", "to_json"]

PACKAGE_PREFIX = "assay.v1."
"""Stripped from schema names: ``assay.v1.Job`` is documented as ``Job``."""

_RFC3339 = {"type": "string", "format": "date-time"}
_WELL_KNOWN: dict[str, dict[str, Any]] = {
    "google.protobuf.Timestamp": _RFC3339,
    "google.protobuf.Duration": {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?s$"},
    "google.protobuf.Struct": {"type": "object"},
    "google.protobuf.Value": {},
    "google.protobuf.Empty": {"type": "object"},
}


def render(content: Any) -> bytes:
    """JSON bytes exactly as Starlette's ``JSONResponse`` renders ``content``."""
    return json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")).encode()


class RenderCache:
    """Rendered JSON bodies of messages, keyed by the message's deterministic wire bytes (an LRU
    bounded by bytes: each entry costs its key and its body).

    The body is a pure function of the message's contents (the API has no map fields, whose order
    could differ between equal messages), so equal bytes give the same body; a
    status read of a job that has not changed since the last read (every read of a finished job,
    most polls of a running one) skips ``MessageToDict`` and ``json.dumps``. Serialising is a few
    microseconds against ~150 for rendering. Large messages (big results) are rendered, not cached.
    """

    def __init__(self, max_bytes: int = 8 * 1024 * 1024, max_message_bytes: int = 16 * 1024) -> None:
        self.max_message_bytes = max_message_bytes
        self._bodies: ByteLRU[bytes, tuple[bytes, bytes]] = ByteLRU(
            "gateway_rendered_bodies", max_bytes, lambda entry: len(entry[0]) + len(entry[1]))

    def body(self, message: Message) -> bytes:
        """``render(to_json(message))``, from the cache when the same message was rendered recently."""
        key = message.SerializeToString(deterministic=True)
        if len(key) > self.max_message_bytes:
            return render(to_json(message))
        found = self._bodies.get(key)
        if found is not None:
            return found[1]
        body = render(to_json(message))
        self._bodies.put(key, (key, body))
        return body

    @property
    def nbytes(self) -> int:
        return self._bodies.nbytes


class JsonFieldError(ValueError):
    """JSON that does not fit the message; ``violation`` names the field as the request spelled it."""

    def __init__(self, violation: FieldViolation) -> None:
        super().__init__(f"{violation.field}: {violation.description}")
        self.violation = violation


def from_json(data: Any, message: M, path: str = "") -> M:
    """Fill ``message`` from JSON found at ``path`` of the request.

    Raises:
        JsonFieldError: naming the first unknown or mistyped field by its path as the request
            wrote it (``params.sentiment.text_column``), never by the proto JSON name
            (``textColumn``) that ``json_format``'s own messages use.
    """
    try:
        json_format.ParseDict(data, message, ignore_unknown_fields=False)
    except json_format.ParseError as error:
        found = _refused_field(data, cast(Descriptor, message.DESCRIPTOR), path)
        raise JsonFieldError(found or FieldViolation(path or "body", _innermost(error))) from None
    return message


_FAILED_TO_PARSE = re.compile(r"^(?:Failed to parse \S+ field: )+")


def _innermost(error: json_format.ParseError) -> str:
    """The cause in a ParseError's message, without the ``Failed to parse X field:`` prefixes."""
    return _FAILED_TO_PARSE.sub("", str(error)).rstrip(".")


def _refused_field(data: Any, descriptor: Descriptor, path: str) -> FieldViolation | None:
    """The first field of ``data`` that ``descriptor``'s message refuses (None if each is fine alone)."""
    if not isinstance(data, dict):
        return FieldViolation(path or "body", "must be a JSON object")
    fields = {field.json_name: field for field in descriptor.fields} | {f.name: f for f in descriptor.fields}
    for key, value in data.items():
        where = f"{path}.{key}" if path else str(key)
        field = fields.get(key)
        if field is None:
            known = ", ".join(f.name for f in descriptor.fields)
            return FieldViolation(where, f"is not a field of {schema_name(descriptor)} (fields: {known})")
        if _nested_message(field) and value is not None:
            assert field.message_type is not None
            found = _refused_field(value, field.message_type, where)
        else:
            found = _refused_value(descriptor, field, value, where)
        if found is not None:
            return found
    return None


def _nested_message(field: FieldDescriptor) -> bool:
    kind = field.message_type
    return (kind is not None and not field.is_repeated and not kind.GetOptions().map_entry
            and kind.full_name not in _WELL_KNOWN)


def _refused_value(descriptor: Descriptor, field: FieldDescriptor, value: Any, where: str) -> FieldViolation | None:
    try:
        json_format.ParseDict({field.name: value}, message_factory.GetMessageClass(descriptor)())
    except json_format.ParseError as error:
        return FieldViolation(where, _innermost(error))
    return None


def schema_name(descriptor: Descriptor) -> str:
    """The OpenAPI component name of a message."""
    return descriptor.full_name.removeprefix(PACKAGE_PREFIX)


def ref(descriptor: Descriptor) -> dict[str, str]:
    """A ``$ref`` to the component schema of a message."""
    return {"$ref": f"#/components/schemas/{schema_name(descriptor)}"}


class SchemaRegistry:
    """Collects JSON Schemas for messages (and everything they reference) as OpenAPI components."""

    def __init__(self) -> None:
        self.components: dict[str, dict[str, Any]] = {}

    def add(self, descriptor: Descriptor) -> dict[str, str]:
        """Register ``descriptor`` (recursively) and return a ``$ref`` to it."""
        name = schema_name(descriptor)
        if name not in self.components:
            self.components[name] = {}  # placeholder: breaks cycles
            self.components[name] = self._message(descriptor)
        return ref(descriptor)

    def _message(self, descriptor: Descriptor) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        required: list[str] = []
        for field in descriptor.fields:
            properties[field.name] = self.field(field)
            if not field.has_presence:
                required.append(field.name)
        schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
        if required:
            schema["required"] = required
        return schema

    def field(self, field: FieldDescriptor) -> dict[str, Any]:
        """The schema of one field's value (registering the messages it references)."""
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            value = field.message_type.fields_by_name["value"]
            return {"type": "object", "additionalProperties": self._single(value)}
        if field.is_repeated:
            return {"type": "array", "items": self._single(field)}
        return self._single(field)

    def _single(self, field: FieldDescriptor) -> dict[str, Any]:
        kind = field.type
        if kind == FieldDescriptor.TYPE_MESSAGE:
            assert field.message_type is not None
            full_name = field.message_type.full_name
            if full_name in _WELL_KNOWN:
                return dict(_WELL_KNOWN[full_name])
            return self.add(field.message_type)
        return scalar_schema(field)


def input_schema(
    registry: SchemaRegistry, descriptor: Descriptor, *, exclude: tuple[str, ...] = ()
) -> dict[str, Any]:
    """An inline request-body schema for ``descriptor``'s top-level fields (none required).

    Nested messages use the response components: ``ParseDict`` accepts everything they describe
    (omitting a field simply leaves its default).
    """
    properties = {
        field.name: registry.field(field) for field in descriptor.fields if field.name not in exclude
    }
    return {"type": "object", "properties": properties, "additionalProperties": False}
