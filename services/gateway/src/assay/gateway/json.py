"""Proto <-> JSON for the REST API, and JSON Schemas derived from the same descriptors.

The JSON is exactly ``google.protobuf.json_format``'s with proto field names (snake_case) and
every field without presence printed, so a body's shape does not depend on its values. The
OpenAPI schemas are generated from the message descriptors by the same rules (enums as names,
64-bit integers as strings, Timestamps as RFC 3339 strings, Durations as ``"1.5s"``), so the
documented schemas cannot drift from what is sent.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any, TypeVar

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from assay.common.json_schema import scalar_schema

M = TypeVar("M", bound=Message)

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


def to_json(message: Message) -> dict[str, Any]:
    """A message as the API's JSON object."""
    return json_format.MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )


def render(content: Any) -> bytes:
    """JSON bytes exactly as Starlette's ``JSONResponse`` renders ``content``."""
    return json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")).encode()


class RenderCache:
    """Rendered JSON bodies of messages, keyed by the message's deterministic wire bytes (an LRU).

    The body is a pure function of the message's contents (the API has no map fields, whose order
    could differ between equal messages), so equal bytes give the same body; a
    status read of a job that has not changed since the last read (every read of a finished job,
    most polls of a running one) skips ``MessageToDict`` and ``json.dumps``. Serialising is a few
    microseconds against ~150 for rendering. Large messages (big results) are rendered, not cached.
    """

    def __init__(self, max_entries: int = 2048, max_message_bytes: int = 16 * 1024) -> None:
        self.max_entries = max_entries
        self.max_message_bytes = max_message_bytes
        self._bodies: OrderedDict[bytes, bytes] = OrderedDict()

    def body(self, message: Message) -> bytes:
        """``render(to_json(message))``, from the cache when the same message was rendered recently."""
        key = message.SerializeToString(deterministic=True)
        if len(key) > self.max_message_bytes:
            return render(to_json(message))
        body = self._bodies.get(key)
        if body is not None:
            self._bodies.move_to_end(key)
            return body
        body = self._bodies[key] = render(to_json(message))
        if len(self._bodies) > self.max_entries:
            self._bodies.popitem(last=False)
        return body


def from_json(data: Any, message: M) -> M:
    """Fill ``message`` from JSON; raises ``json_format.ParseError`` on unknown or mistyped fields."""
    json_format.ParseDict(data, message, ignore_unknown_fields=False)
    return message


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
