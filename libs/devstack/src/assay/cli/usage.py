"""``assay usage``: the tenant's job quotas, their limits and how much of each is used."""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from assay.cli import output
from assay.cli.client import Connection
from assay.common.proto_json import to_json
from assay.common.usage import tenant_usage
from assay.v1 import jobs_service_pb2


async def cmd_usage(args: argparse.Namespace, conn: Connection) -> int:
    """Print JobService.GetUsage and the bytes stored (IngestService.GetStorageUsage) as a table
    (``--json``: the body of ``GET /v1/usage``)."""
    response = await tenant_usage(conn.jobs, conn.ingest, conn.metadata)
    if args.json:
        output.print_json(to_json(response))
    else:
        print(render(response.quotas), end="")
    return 0


def render(quotas: Iterable[jobs_service_pb2.QuotaUsage]) -> str:
    """One row per quota: name, used, limit (``none``), when the count starts over."""
    rows = [("QUOTA", "USED", "LIMIT", "RESETS")]
    for quota in quotas:
        resets = quota.resets_at.ToDatetime().strftime("%Y-%m-%d %H:%M UTC") if quota.HasField("resets_at") else ""
        rows.append((quota.quota, f"{quota.used:,}", f"{quota.limit:,}" if quota.limit else "none", resets))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "".join("  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[3]]).rstrip() + "\n"
                   for row in rows)
