"""The one exception every upload check raises, with a stable reason code."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Stable, upper-snake reason codes for rejected uploads.

    They travel to clients as ``google.rpc.ErrorInfo.reason`` and in REST problem documents, so a
    value, once released, never changes meaning.
    """

    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    FILE_EMPTY = "FILE_EMPTY"
    MEDIA_TYPE_NOT_ALLOWED = "MEDIA_TYPE_NOT_ALLOWED"
    MEDIA_TYPE_MISMATCH = "MEDIA_TYPE_MISMATCH"
    SHA256_INVALID = "SHA256_INVALID"
    SHA256_MISMATCH = "SHA256_MISMATCH"
    SIZE_INVALID = "SIZE_INVALID"
    SIZE_MISMATCH = "SIZE_MISMATCH"
    DISPLAY_NAME_INVALID = "DISPLAY_NAME_INVALID"
    ZIP_TOO_MANY_ENTRIES = "ZIP_TOO_MANY_ENTRIES"
    ZIP_TOO_LARGE = "ZIP_TOO_LARGE"
    ZIP_RATIO_EXCEEDED = "ZIP_RATIO_EXCEEDED"
    ZIP_UNSAFE_PATH = "ZIP_UNSAFE_PATH"
    ZIP_SYMLINK = "ZIP_SYMLINK"
    ZIP_NESTED_TOO_DEEP = "ZIP_NESTED_TOO_DEEP"
    ZIP_CORRUPT = "ZIP_CORRUPT"
    ZIP_ENCRYPTED = "ZIP_ENCRYPTED"
    ZIP_UNSUPPORTED_COMPRESSION = "ZIP_UNSUPPORTED_COMPRESSION"
    MALWARE_DETECTED = "MALWARE_DETECTED"


# Caps on bytes the service would have to hold or expand: gRPC's RESOURCE_EXHAUSTED, the code
# gRPC itself uses for an oversized message. Everything else is a property of the content the
# client can fix: INVALID_ARGUMENT.
_RESOURCE_EXHAUSTED_REASONS = frozenset({Reason.FILE_TOO_LARGE, Reason.ZIP_TOO_LARGE})


class UploadRejected(Exception):
    """An upload that must not be stored, and why.

    It exists so that every check in this package fails in one shape that the servicer turns into
    one ``google.rpc.Status``: ``reason`` becomes the ErrorInfo reason, ``field`` and ``message``
    a BadRequest field violation, and ``resource_exhausted`` picks the status code.

    Attributes:
        reason: The stable reason code.
        field: The request field the rejection concerns, e.g. ``header.display_name`` or
            ``chunk``.
        message: Lowercase, precise and actionable; safe to show to the client.
        resource_exhausted: True for size caps (RESOURCE_EXHAUSTED), False for everything else
            (INVALID_ARGUMENT).
    """

    reason: Reason
    field: str
    message: str
    resource_exhausted: bool

    def __init__(self, reason: Reason, field: str, message: str) -> None:
        super().__init__(reason, field, message)
        self.reason = reason
        self.field = field
        self.message = message
        self.resource_exhausted = reason in _RESOURCE_EXHAUSTED_REASONS

    def __str__(self) -> str:
        return f"{self.reason}: {self.field}: {self.message}"
