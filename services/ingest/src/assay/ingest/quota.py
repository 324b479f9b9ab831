"""The bytes-stored quota of a tenant (``ASSAY_QUOTA_BYTES_STORED``): uploads past it are refused.

Checked in the transaction that inserts an upload's row, after the insert and under a per-tenant
advisory lock (two uploads never both take the last bytes); a refusal rolls the row back and the
intake removes the object it had put, so nothing of the upload stays. Artifacts count towards the
usage but are never refused (that would fail a job for its own output).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from assay.common.errors import ResourceExhausted

BYTES_STORED = "bytes_stored"


async def enforce_bytes_stored(conn: AsyncConnection, tenant: str, limit: int, added: int) -> None:
    """Raise QUOTA_EXCEEDED when the tenant's files, the one just inserted included, pass ``limit``."""
    await conn.execute(_LOCK, {"key": f"assay-bytes:{tenant}"})
    used = int((await conn.execute(_USED, {"tenant": tenant})).scalar_one())
    if used > limit:
        before = used - added
        raise ResourceExhausted(
            "QUOTA_EXCEEDED",
            f"tenant {tenant} stores {before} of its {limit} bytes; this upload of {added} bytes would pass it "
            "(delete files to make room)",
            metadata={"quota": BYTES_STORED, "limit": str(limit), "usage": str(before)},
        )


async def bytes_stored(conn: AsyncConnection, tenant: str) -> tuple[int, int]:
    """The tenant's stored bytes and file count (GetStorageUsage)."""
    row = (await conn.execute(_STORED, {"tenant": tenant})).one()
    return int(row[0]), int(row[1])


_LOCK = text("SELECT pg_advisory_xact_lock(hashtext(:key))")
_USED = text("SELECT COALESCE(sum(size_bytes), 0) FROM ingest.files WHERE tenant_id = :tenant")
_STORED = text("SELECT COALESCE(sum(size_bytes), 0), count(*) FROM ingest.files WHERE tenant_id = :tenant")
