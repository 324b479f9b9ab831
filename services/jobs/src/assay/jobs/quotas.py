"""Per-tenant job quotas: jobs created per day (UTC) and jobs waiting or queued at once.

Checked in the transaction that creates the jobs, after they are inserted (so a repeated
request_id is answered, not refused) and under a per-tenant advisory lock, so two concurrent
creates never both take the last place; exceeding a quota rolls the whole request back with
``RESOURCE_EXHAUSTED QUOTA_EXCEEDED``. A tenant without a configured quota costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from assay.common.errors import ResourceExhausted
from assay.common.tenant_values import PerTenant
from assay.v1 import jobs_service_pb2

JOBS_PER_DAY = "jobs_per_day"
MAX_QUEUED = "max_queued"


@dataclass(frozen=True)
class Usage:
    """One quota of a tenant: what is used, the limit (None: none), when it starts over."""

    quota: str
    used: int
    limit: int | None
    resets_at: datetime | None = None


@dataclass(frozen=True)
class Quotas:
    """The configured limits (``ASSAY_QUOTA_JOBS_PER_DAY``, ``ASSAY_QUOTA_MAX_QUEUED``)."""

    jobs_per_day: PerTenant = field(default_factory=PerTenant)
    max_queued: PerTenant = field(default_factory=PerTenant)

    async def usage(self, conn: AsyncConnection, tenant: str, now: datetime) -> list[Usage]:
        """The tenant's quotas and their usage, read in ``conn``'s (tenant) transaction."""
        day = _day_start(now)
        row = (await conn.execute(_USAGE, {"tenant": tenant, "day": day})).one()
        return [
            Usage(JOBS_PER_DAY, row.today, self.jobs_per_day.of(tenant), day + timedelta(days=1)),
            Usage(MAX_QUEUED, row.queued, self.max_queued.of(tenant)),
        ]

    async def enforce(self, conn: AsyncConnection, tenant: str, added: int) -> None:
        """Refuse (rolling back) when the ``added`` jobs just inserted put the tenant over a quota."""
        if self.jobs_per_day.of(tenant) is None and self.max_queued.of(tenant) is None:
            return
        await conn.execute(_LOCK, {"key": f"assay-quota:{tenant}"})
        now = datetime.now(UTC)
        for usage in await self.usage(conn, tenant, now):
            if usage.limit is not None and usage.used > usage.limit:
                raise _exceeded(tenant, usage, added, now)


def usage_message(usage: Usage) -> jobs_service_pb2.QuotaUsage:
    """A quota's usage as GetUsage answers it (limit 0: no limit)."""
    message = jobs_service_pb2.QuotaUsage(quota=usage.quota, used=usage.used, limit=usage.limit or 0)
    if usage.resets_at is not None:
        message.resets_at.FromDatetime(usage.resets_at)
    return message


def _exceeded(tenant: str, usage: Usage, added: int, now: datetime) -> ResourceExhausted:
    before = usage.used - added
    metadata = {"quota": usage.quota, "limit": str(usage.limit), "usage": str(before)}
    message = (f"tenant {tenant} has used {before} of its {usage.limit} {_NOUNS[usage.quota]}; "
               f"this request would add {added}")
    if usage.resets_at is not None:
        wait = max(1, int((usage.resets_at - now).total_seconds() + 0.999))
        metadata["retry_after_seconds"] = str(wait)
        message += f" (the count starts over at {usage.resets_at:%Y-%m-%d %H:%M} UTC, in {wait} s)"
    return ResourceExhausted("QUOTA_EXCEEDED", message, metadata=metadata)


_NOUNS = {JOBS_PER_DAY: "jobs per day", MAX_QUEUED: "jobs waiting or queued at once"}


def _day_start(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


_LOCK = text("SELECT pg_advisory_xact_lock(hashtext(:key))")
_USAGE = text("""
    SELECT (SELECT count(*) FROM jobs.jobs WHERE tenant_id = :tenant AND created_at >= :day) AS today,
           (SELECT count(*) FROM jobs.jobs WHERE tenant_id = :tenant AND state IN ('WAITING', 'QUEUED')) AS queued
""")
