"""Upload validation for the ingest service: pure checks, no gRPC, storage or database.

The servicer runs them in this order: :func:`sanitize_display_name`, :func:`parse_expected_sha256`
and :func:`parse_declared_size` on the header; :class:`UploadValidator` over the chunks while they
are spooled to a temporary file; :func:`sniff_media_type` on the head; for ZIP content
:func:`inspect_zip` and :func:`refine_zip_type` on the spooled file;
:func:`check_declared_media_type`; then :func:`scan` when a clamd is configured. Every rejection
is an :class:`UploadRejected`.
"""

from assay.ingest.validation.clamd import ClamdUnavailable, ScanResult, ping, scan
from assay.ingest.validation.errors import Reason, UploadRejected
from assay.ingest.validation.names import (
    MAX_DISPLAY_NAME_BYTES,
    content_disposition,
    sanitize_display_name,
)
from assay.ingest.validation.sniff import (
    ALLOWED_MEDIA_TYPES,
    MediaType,
    check_declared_media_type,
    download_media_type,
    refine_zip_type,
    sniff_media_type,
)
from assay.ingest.validation.stream import (
    DEFAULT_MAX_UPLOAD_BYTES,
    HEAD_SIZE,
    UploadValidator,
    ValidatedUpload,
    parse_declared_size,
    parse_expected_sha256,
)
from assay.ingest.validation.zipcheck import ZipLimits, ZipSource, ZipSummary, inspect_zip, open_zip

__all__ = [
    "ALLOWED_MEDIA_TYPES",
    "DEFAULT_MAX_UPLOAD_BYTES",
    "HEAD_SIZE",
    "MAX_DISPLAY_NAME_BYTES",
    "ClamdUnavailable",
    "MediaType",
    "Reason",
    "ScanResult",
    "UploadRejected",
    "UploadValidator",
    "ValidatedUpload",
    "ZipLimits",
    "ZipSource",
    "ZipSummary",
    "check_declared_media_type",
    "content_disposition",
    "download_media_type",
    "inspect_zip",
    "open_zip",
    "parse_declared_size",
    "parse_expected_sha256",
    "ping",
    "refine_zip_type",
    "sanitize_display_name",
    "scan",
    "sniff_media_type",
]
