"""Request fields every service parses alike: UUIDs and client-chosen request ids."""

from __future__ import annotations

import re
import uuid

from assay.common.errors import FieldViolation, invalid_field

REQUEST_ID_REGEX = r"^[A-Za-z0-9._:-]{1,128}$"
"""A request id (idempotency key, ``X-Request-ID``): 1-128 letters, digits and ``. _ : -``."""
REQUEST_ID_PATTERN = re.compile(REQUEST_ID_REGEX)
REQUEST_ID_RULE = "must be 1-128 characters of letters, digits and . _ : -"
"""What a field violation says about a malformed request id."""


def parse_uuid(raw: str, field: str) -> uuid.UUID:
    """``raw`` as a UUID, or INVALID_ARGUMENT naming ``field``."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise invalid_field(field, "must be a UUID") from None


def request_id_violation(raw: str, field: str) -> FieldViolation | None:
    """The violation a non-empty malformed request id makes (an empty one means "none given")."""
    if raw and not REQUEST_ID_PATTERN.match(raw):
        return FieldViolation(field, REQUEST_ID_RULE)
    return None

