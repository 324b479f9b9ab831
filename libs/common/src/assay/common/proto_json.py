"""Messages as the API's JSON: the one rendering the REST gateway sends and the CLI prints."""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message


def to_json(message: Message) -> dict[str, Any]:
    """A message as the API's JSON object: proto field names (snake_case), every field without
    presence printed (zero or not), so a body's shape does not depend on its values."""
    return json_format.MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
