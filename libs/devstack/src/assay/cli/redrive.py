"""``assay jobs redrive``: retry every failed (or cancelled) job matching a filter (admin)."""

from __future__ import annotations

import argparse

from assay.cli import output
from assay.cli.client import Connection
from assay.common.proto_json import to_json
from assay.v1 import job_pb2, jobs_service_pb2

STATES = {"failed": job_pb2.Job.STATE_FAILED, "cancelled": job_pb2.Job.STATE_CANCELLED}


def add_arguments(redrive: argparse.ArgumentParser) -> None:
    redrive.add_argument("--state", choices=sorted(STATES), default="failed", help="which ended jobs (default failed)")
    redrive.add_argument("--error-code", help="only jobs with this error code, e.g. DEAD_LETTERED")
    redrive.add_argument("--analyzer", help="only this analyzer's jobs")
    redrive.add_argument("--limit", type=int, default=100, help="most jobs retried (1-1000, default 100)")


async def cmd_redrive(args: argparse.Namespace, conn: Connection) -> int:
    """JobService.RedriveJobs; prints a line per job retried or refused (``--json``: the REST body)."""
    request = jobs_service_pb2.RedriveJobsRequest(state=STATES[args.state], error_code=args.error_code or "",
                                                  analyzer=args.analyzer or "", limit=args.limit)
    response = await conn.jobs.RedriveJobs(request, metadata=conn.metadata)
    if args.json:
        output.print_json(to_json(response))
        return 0
    print(render(response), end="")
    return 0


def render(response: jobs_service_pb2.RedriveJobsResponse) -> str:
    lines = [f"retried  {job.id}  {output.state_name(job)}" for job in response.retried]
    lines += [f"refused  {refusal.job_id}  {refusal.reason}: {refusal.message}" for refusal in response.refused]
    lines.append(f"{len(response.retried)} retried, {len(response.refused)} refused")
    return "".join(line + "\n" for line in lines)
