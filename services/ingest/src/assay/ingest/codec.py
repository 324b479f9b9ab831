"""Translation between ``ingest.files`` rows and ``assay.v1.File`` messages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assay.v1 import ingest_service_pb2

File = ingest_service_pb2.File

SCAN_STATUS_VALUES = {
    "UNSCANNED": File.SCAN_STATUS_UNSCANNED,
    "CLEAN": File.SCAN_STATUS_CLEAN,
}
"""Text stored in ``files.scan_status`` → the proto enum."""


def file_from_row(row: Mapping[Any, Any]) -> ingest_service_pb2.File:
    """Build the API message from a full ``ingest.files`` row."""
    message = File(
        id=str(row["id"]),
        tenant_id=row["tenant_id"],
        created_by=row["created_by"],
        display_name=row["display_name"],
        media_type=row["media_type"],
        size_bytes=row["size_bytes"],
        sha256=row["sha256"],
        scan_status=SCAN_STATUS_VALUES[row["scan_status"]],
    )
    message.create_time.FromDatetime(row["created_at"])
    return message
