"""Messages as the API's JSON: the one rendering the REST gateway sends and the CLI prints.

The presentation, decided once: proto field names (snake_case); enums by their full proto value
names (``STATE_SUCCEEDED``, ``SENTIMENT_LABEL_POSITIVE``), exactly as the contracts spell them;
64-bit integers as JSON numbers when they fit in a double exactly (|n| <= 2^53 - 1, every count and
size Assay produces) and as decimal strings beyond, so no client loses precision; Timestamps as
RFC 3339 strings and Durations as ``"1.5s"`` (``json_format``'s). Requests accept int64 values as
numbers or strings alike.

Fields marked ``[debug_redact = true]`` in the contracts (a bank statement's PDF ``password``)
are rendered as ``"***"`` when set: the REST API and the CLI never print them back; and
:func:`clear_redacted` takes them out of a message whose digest is stored (idempotency keys).
"""

from __future__ import annotations

from functools import cache
from typing import Any, cast

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

REDACTED = "***"
MAX_SAFE_INTEGER = 2**53 - 1
"""The largest integer a JSON number (an IEEE double) holds exactly: JavaScript's Number.MAX_SAFE_INTEGER."""
_INT64 = frozenset({
    FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_SINT64,
    FieldDescriptor.TYPE_FIXED64, FieldDescriptor.TYPE_SFIXED64,
})
_OPAQUE = frozenset({"google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue",
                     "google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.Any"})
"""Well-known types json_format renders in their own way: never walked for int64 fields."""


def to_json(message: Message) -> dict[str, Any]:
    """A message as the API's JSON object: proto field names (snake_case), every field without
    presence printed (zero or not), so a body's shape does not depend on its values; redacted
    fields masked."""
    rendered = json_format.MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    for path in redacted_paths(message.DESCRIPTOR):
        _mask(rendered, path)
    _int64_as_numbers(rendered, cast(Descriptor, message.DESCRIPTOR))
    return rendered


def _int64_as_numbers(rendered: dict[str, Any], descriptor: Descriptor) -> None:
    """Turn ``json_format``'s int64 strings into numbers in place, where they fit in 2^53."""
    for field in _int64_carriers(descriptor):
        value = rendered.get(field.name)
        if value is None:
            continue
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            value_field = field.message_type.fields_by_name["value"]
            for key, item in value.items():
                value[key] = _converted(value_field, item)
        elif field.is_repeated:
            rendered[field.name] = [_converted(field, item) for item in value]
        else:
            rendered[field.name] = _converted(field, value)


def _converted(field: FieldDescriptor, value: Any) -> Any:
    if field.type in _INT64:
        number = int(value)
        return number if -MAX_SAFE_INTEGER <= number <= MAX_SAFE_INTEGER else value
    if isinstance(value, dict) and field.message_type is not None:
        _int64_as_numbers(value, field.message_type)
    return value


@cache
def _int64_carriers(descriptor: Descriptor) -> tuple[FieldDescriptor, ...]:
    """The fields of ``descriptor`` that are int64 or lead to one (pruned: most messages have none)."""
    return tuple(field for field in descriptor.fields if _leads_to_int64(field, frozenset({descriptor.full_name})))


def _leads_to_int64(field: FieldDescriptor, seen: frozenset[str]) -> bool:
    if field.type in _INT64:
        return True
    kind = field.message_type
    if kind is None or kind.full_name in _OPAQUE or kind.full_name in seen:
        return False
    return any(_leads_to_int64(inner, seen | {kind.full_name}) for inner in kind.fields)


def clear_redacted(message: Message) -> None:
    """Clear every ``debug_redact`` field of ``message`` in place, nested ones included: what is
    hashed and stored (a request's idempotency digest) must not be derived from a secret."""
    for path in redacted_paths(message.DESCRIPTOR):
        _clear(message, path)


def _clear(message: Message, path: tuple[str, ...]) -> None:
    if len(path) == 1:
        message.ClearField(path[0])
        return
    value = getattr(message, path[0])
    if not isinstance(value, Message):  # a repeated message field
        for item in value:
            _clear(item, path[1:])
    elif message.HasField(path[0]):
        _clear(value, path[1:])


@cache
def redacted_paths(descriptor: Descriptor) -> tuple[tuple[str, ...], ...]:
    """The field-name paths from ``descriptor`` to every ``debug_redact`` field below it."""
    return tuple(_paths(descriptor, frozenset()))


def _paths(descriptor: Descriptor, seen: frozenset[str]) -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = []
    for field in descriptor.fields:
        if field.GetOptions().debug_redact:
            paths.append((field.name,))
        elif field.message_type is not None and field.message_type.full_name not in seen:
            inner = _paths(field.message_type, seen | {descriptor.full_name})
            paths.extend((field.name, *path) for path in inner)
    return paths


def _mask(value: Any, path: tuple[str, ...]) -> None:
    if isinstance(value, list):
        for item in value:
            _mask(item, path)
        return
    if not isinstance(value, dict) or path[0] not in value:
        return
    if len(path) > 1:
        _mask(value[path[0]], path[1:])
    elif value[path[0]] not in ("", None):
        value[path[0]] = REDACTED
