"""Messages as the API's JSON: the one rendering the REST gateway sends and the CLI prints.

Fields marked ``[debug_redact = true]`` in the contracts (a bank statement's PDF ``password``)
are rendered as ``"***"`` when set: the REST API and the CLI never print them back; and
:func:`clear_redacted` takes them out of a message whose digest is stored (idempotency keys).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor
from google.protobuf.message import Message

REDACTED = "***"


def to_json(message: Message) -> dict[str, Any]:
    """A message as the API's JSON object: proto field names (snake_case), every field without
    presence printed (zero or not), so a body's shape does not depend on its values; redacted
    fields masked."""
    rendered = json_format.MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    for path in redacted_paths(message.DESCRIPTOR):
        _mask(rendered, path)
    return rendered


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
