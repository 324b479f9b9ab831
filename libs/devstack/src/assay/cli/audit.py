"""``assay audit``: the tenant's audit log, newest first (admin)."""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from assay.cli import output
from assay.cli.client import Connection
from assay.common.proto_json import to_json
from assay.v1 import jobs_service_pb2


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser],
               common: list[argparse.ArgumentParser]) -> None:
    audit = commands.add_parser("audit", parents=common, help="the tenant's audit log, newest first (admin)")
    audit.add_argument("--action", help="only this action: create, cancel, retry, redrive, delete, delete_file, "
                       "retention_sweep, create_pipeline or cancel_pipeline")
    audit.add_argument("--job", help="only events about this job id")
    audit.add_argument("--actor", help="only this subject's events")
    audit.add_argument("--outcome", help="only this outcome: OK, or a refusal's reason (ROLE_REQUIRED, QUOTA_EXCEEDED)")
    audit.add_argument("--resource", help="only events about this resource, e.g. files/<id>")
    audit.add_argument("--request-id", help="only events of this request")
    audit.add_argument("--refused", action="store_true", help="only refused calls")
    audit.add_argument("--limit", type=int, default=50, help="events per page (1-1000)")
    audit.add_argument("--page-token", help="continue a listing (printed after a page that has more)")


async def cmd_audit(args: argparse.Namespace, conn: Connection) -> int:
    request = jobs_service_pb2.ListAuditEventsRequest(
        page_size=args.limit, page_token=args.page_token or "", action=args.action or "", job_id=args.job or "",
        actor=args.actor or "", outcome=args.outcome or "", resource=args.resource or "",
        request_id=args.request_id or "", refused_only=args.refused)
    response = await conn.jobs.ListAuditEvents(request, metadata=conn.metadata)
    if args.json:
        output.print_json(to_json(response))
        return 0
    print(render(response.events), end="")
    if response.next_page_token:
        print(f"more: --page-token {response.next_page_token}")
    return 0


def render(events: Iterable[jobs_service_pb2.AuditEvent]) -> str:
    """One row per event: time (UTC), actor, action, resource, outcome, the job's state after it."""
    rows = [("TIME", "ACTOR", "ACTION", "RESOURCE", "OUTCOME", "STATE")]
    for event in events:
        state = event.details.fields["state"].string_value if "state" in event.details.fields else ""
        rows.append((event.time.ToDatetime().isoformat(timespec="seconds"), event.actor, event.action,
                     event.resource or (f"jobs/{event.job_id}" if event.job_id else ""), event.outcome or "OK", state))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    return "".join("  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[5]]).rstrip() + "\n"
                   for row in rows)
