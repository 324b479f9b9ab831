"""An upload checked chunk by chunk: size cap, sha256 and the head kept for sniffing."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from assay.ingest.validation.errors import Reason, UploadRejected

DEFAULT_MAX_UPLOAD_BYTES = 50 * 1024 * 1024
"""The default upload size cap: 50 MiB."""

HEAD_SIZE = 8 * 1024
"""How many leading bytes are kept for sniffing the media type."""

CHUNK_FIELD = "chunk"

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class ValidatedUpload:
    """A complete upload that passed the stream checks."""

    size: int
    """Bytes received."""
    sha256: str
    """Lowercase hex SHA-256 of the content."""
    head: bytes
    """The first :data:`HEAD_SIZE` bytes (all of them for a smaller file), for sniffing."""


def parse_expected_sha256(value: str | None, *, field: str = "header.sha256") -> str | None:
    """Return the client's expected digest, or None when it sent none (proto default ``""``).

    Call it on the header, before any chunk, to refuse a malformed digest at once.

    Raises:
        UploadRejected: ``SHA256_INVALID`` unless it is 64 lowercase hex characters.
    """
    if not value:
        return None
    if not _SHA256_HEX.fullmatch(value):
        raise UploadRejected(
            Reason.SHA256_INVALID,
            field,
            f"sha256 must be 64 lowercase hex characters, got {len(value)} characters "
            f"starting {value[:8]!a}",
        )
    return value


def parse_declared_size(
    value: int | None, *, max_size: int = DEFAULT_MAX_UPLOAD_BYTES, field: str = "header.size_bytes"
) -> int | None:
    """Return the client's declared size, or None when it sent none (proto default ``0``).

    Call it on the header, before any chunk, to refuse an impossible size at once.

    Raises:
        UploadRejected: ``SIZE_INVALID`` for a negative size, ``FILE_TOO_LARGE`` above the cap.
    """
    if not value:
        return None
    if value < 0:
        raise UploadRejected(
            Reason.SIZE_INVALID, field, f"size_bytes must not be negative, got {value}"
        )
    if value > max_size:
        raise UploadRejected(
            Reason.FILE_TOO_LARGE,
            field,
            f"declared size {value} bytes exceeds the {max_size} byte upload limit",
        )
    return value


class UploadValidator:
    """Checks an upload as its chunks arrive, holding no more than the head in memory.

    Feed every chunk in order, then call :meth:`finish`. The size cap is enforced on the chunk
    that crosses it, so an oversized upload is refused before it is stored. A validator that
    raised is spent: create a new one for the next upload.

    Args:
        max_size: The upload size cap in bytes.
        header_field: The proto path of the header in the request, for rejections (``header``
            for UploadFile, ``header.file`` for SubmitDocument).
    """

    def __init__(
        self, max_size: int = DEFAULT_MAX_UPLOAD_BYTES, *, header_field: str = "header"
    ) -> None:
        if max_size <= 0:
            raise ValueError(f"max_size must be positive, not {max_size}")
        self._max_size = max_size
        self._header_field = header_field
        self._size = 0
        self._hash = hashlib.sha256()
        self._head = bytearray()
        self._closed = False

    @property
    def max_size(self) -> int:
        """The size cap in bytes."""
        return self._max_size

    @property
    def size(self) -> int:
        """Bytes fed so far."""
        return self._size

    @property
    def head(self) -> bytes:
        """The first :data:`HEAD_SIZE` bytes fed so far."""
        return bytes(self._head)

    def feed(self, chunk: bytes) -> None:
        """Account for the next chunk.

        Raises:
            UploadRejected: ``FILE_TOO_LARGE`` on the chunk that takes the total past the cap.
        """
        self._check_open()
        self._size += len(chunk)
        if self._size > self._max_size:
            self._closed = True
            raise UploadRejected(
                Reason.FILE_TOO_LARGE,
                CHUNK_FIELD,
                f"upload exceeds the {self._max_size} byte limit; send a smaller file",
            )
        self._hash.update(chunk)
        if len(self._head) < HEAD_SIZE:
            self._head += chunk[: HEAD_SIZE - len(self._head)]

    def finish(
        self, expected_sha256: str | None = None, declared_size: int | None = None
    ) -> ValidatedUpload:
        """Close the upload and check it against what the header declared.

        Args:
            expected_sha256: The client's expected lowercase hex digest; None or ``""`` to skip.
            declared_size: The client's declared size; None or ``0`` to skip.

        Raises:
            UploadRejected: ``SHA256_INVALID``, ``SIZE_INVALID`` (header values),
                ``FILE_EMPTY``, ``SIZE_MISMATCH`` or ``SHA256_MISMATCH``.
        """
        self._check_open()
        self._closed = True
        expected = parse_expected_sha256(expected_sha256, field=f"{self._header_field}.sha256")
        size_field = f"{self._header_field}.size_bytes"
        declared = parse_declared_size(declared_size, max_size=self._max_size, field=size_field)
        if self._size == 0:
            raise UploadRejected(
                Reason.FILE_EMPTY, CHUNK_FIELD, "upload has no content; send at least one byte"
            )
        if declared is not None and declared != self._size:
            raise UploadRejected(
                Reason.SIZE_MISMATCH,
                size_field,
                f"header declared {declared} bytes but {self._size} bytes arrived",
            )
        digest = self._hash.hexdigest()
        if expected is not None and expected != digest:
            raise UploadRejected(
                Reason.SHA256_MISMATCH,
                f"{self._header_field}.sha256",
                f"content sha256 is {digest}, not the declared {expected}; the upload was "
                "corrupted or the header is wrong",
            )
        return ValidatedUpload(size=self._size, sha256=digest, head=bytes(self._head))

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("upload validator already finished or rejected the upload")
