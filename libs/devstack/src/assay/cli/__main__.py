"""``assay``: dev | token | submit | jobs (list, get, cancel, watch) | trace | analyzers."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import grpc

from assay.cli import output, trace
from assay.cli.analyzers import cmd_analyzers
from assay.cli.client import Connection, StackNotRunning, connect, data_dir, load_stack, trace_file
from assay.cli.params import parse_params
from assay.common.auth import ROLES, mint_token
from assay.common.config import CommonSettings
from assay.common.errors import details_from_rpc_error
from assay.v1 import ingest_service_pb2, job_pb2, jobs_service_pb2

EXIT_OK, EXIT_JOB_FAILED, EXIT_USAGE, EXIT_NO_STACK, EXIT_API_ERROR = 0, 1, 2, 3, 4
CHUNK_BYTES = 1024 * 1024


def cmd_dev(args: argparse.Namespace) -> int:
    from assay.devstack.stack import DevStack

    stack = DevStack(data_dir(args.data_dir))
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    try:
        stack.start()
    except BaseException:
        stack.stop()
        raise
    info = stack.describe()
    print("Assay is running.")
    print(f"  gateway   {info['gateway_url']}   (docs: {info['gateway_url']}/docs)")
    for name, endpoint in info["endpoints"].items():
        print(f"  {name:<9} {endpoint}")
    print(f"  data      {info['data_dir']}   (stack.json, logs/)")
    print(f"  token     {info['token']}")
    print("Press Ctrl-C to stop.", flush=True)
    supervisor = threading.Thread(target=stack.supervise, daemon=True)
    supervisor.start()
    stopping.wait()
    print("Stopping…", flush=True)
    stack.stop()
    supervisor.join(5)
    return EXIT_OK


def cmd_token(args: argparse.Namespace) -> int:
    stack_dir = data_dir(args.data_dir)
    secrets_path = stack_dir / "secrets.json"
    if not secrets_path.exists():
        raise StackNotRunning(f"no stack secrets in {stack_dir}")
    secret = json.loads(secrets_path.read_text())["jwt_secret"]
    roles = [r for r in args.roles.split(",") if r]
    unknown = set(roles) - ROLES
    if unknown:
        known = ", ".join(sorted(ROLES))
        print(f"assay: unknown role(s) {', '.join(sorted(unknown))}; known: {known}", file=sys.stderr)
        return EXIT_USAGE
    print(mint_token(CommonSettings(jwt_hs256_secret=secret), subject=args.subject, tenant=args.tenant,
                     roles=roles, ttl_seconds=args.ttl))
    return EXIT_OK


async def _upload_stream(path: Path, header: ingest_service_pb2.SubmitDocumentHeader
                         ) -> AsyncIterator[ingest_service_pb2.SubmitDocumentRequest]:
    yield ingest_service_pb2.SubmitDocumentRequest(header=header)
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            yield ingest_service_pb2.SubmitDocumentRequest(chunk=chunk)


async def _wait(conn: Connection, job: job_pb2.Job, show_progress: bool) -> job_pb2.Job:
    stream = conn.jobs.WatchJob(jobs_service_pb2.WatchJobRequest(id=job.id), metadata=conn.metadata)
    async for update in stream:
        job = update.job
        if show_progress:
            output.progress_bar(job)
    if show_progress and sys.stderr.isatty():
        print(file=sys.stderr)
    return job


async def cmd_submit(args: argparse.Namespace, conn: Connection) -> int:
    params = parse_params(args.analyzer, args.param or [])
    if args.text is not None:
        response = await conn.jobs.CreateJob(jobs_service_pb2.CreateJobRequest(
            analyzer=args.analyzer, params=params, inputs=job_pb2.JobInputs(text=args.text),
            request_id=args.request_id or ""), metadata=conn.metadata)
        job = response.job
    else:
        path = Path(args.file)
        if not path.is_file():  # noqa: ASYNC240 - one stat before the upload
            print(f"assay: {path} is not a file", file=sys.stderr)
            return EXIT_USAGE
        header = ingest_service_pb2.SubmitDocumentHeader(
            file=ingest_service_pb2.FileHeader(display_name=path.name, size_bytes=path.stat().st_size),  # noqa: ASYNC240
            analyzer=args.analyzer, params=params, request_id=args.request_id or "")
        submitted = await conn.ingest.SubmitDocument(_upload_stream(path, header), metadata=conn.metadata)
        job = submitted.job
    if args.wait:
        job = await _wait(conn, job, show_progress=not args.json)
    if args.json:
        output.print_json(output.to_dict(job))
    elif args.wait:
        output.print_job(job)
    else:
        print(job.id)
    failed = args.wait and job.state != job_pb2.Job.STATE_SUCCEEDED
    return EXIT_JOB_FAILED if failed else EXIT_OK


async def cmd_jobs(args: argparse.Namespace, conn: Connection) -> int:
    if args.action == "list":
        state = job_pb2.Job.State.Value(f"STATE_{args.state.upper()}") if args.state else job_pb2.Job.STATE_UNSPECIFIED
        page = await conn.jobs.ListJobs(jobs_service_pb2.ListJobsRequest(
            page_size=args.limit, state=state, analyzer=args.analyzer or ""), metadata=conn.metadata)
        if args.json:
            output.print_json([output.to_dict(j) for j in page.jobs])
        else:
            for job in page.jobs:
                print(output.job_line(job))
        return EXIT_OK
    if args.action == "watch":
        job = await _wait(conn, job_pb2.Job(id=args.id), show_progress=not args.json)
    elif args.action == "cancel":
        job = (await conn.jobs.CancelJob(jobs_service_pb2.CancelJobRequest(id=args.id), metadata=conn.metadata)).job
    else:
        job = (await conn.jobs.GetJob(jobs_service_pb2.GetJobRequest(id=args.id), metadata=conn.metadata)).job
    if args.json:
        output.print_json(output.to_dict(job))
    else:
        output.print_job(job)
    return EXIT_JOB_FAILED if args.action == "watch" and job.state != job_pb2.Job.STATE_SUCCEEDED else EXIT_OK


async def cmd_trace(args: argparse.Namespace, conn: Connection) -> int:
    job = (await conn.jobs.GetJob(jobs_service_pb2.GetJobRequest(id=args.id), metadata=conn.metadata)).job
    if not job.trace_id:
        print(f"assay: job {job.id} has no trace id", file=sys.stderr)
        return EXIT_JOB_FAILED
    spans = trace.load_spans(trace_file(data_dir(args.data_dir)), job.trace_id)
    if args.json:
        output.print_json(spans)
    else:
        print(trace.render(job.trace_id, trace.build_tree(spans)))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assay", description="Assay: document analysis jobs.")
    parser.add_argument("--data-dir", help="the stack's directory (default $ASSAY_DATA_DIR or ./.assay-data)")
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.add_argument("--token", help="bearer token (default $ASSAY_TOKEN or the stack's dev token)")
    commands = parser.add_subparsers(dest="command", required=True)

    dev = commands.add_parser("dev", help="run the whole stack locally until Ctrl-C")
    dev.add_argument("--data-dir", dest="data_dir_sub", help=argparse.SUPPRESS)

    token = commands.add_parser("token", help="mint a development token with the stack's key")
    token.add_argument("--tenant", default="dev")
    token.add_argument("--roles", default="user", help="comma-separated: admin,user,readonly,worker")
    token.add_argument("--subject", default="dev")
    token.add_argument("--ttl", type=int, default=86400, help="lifetime in seconds")

    submit = commands.add_parser("submit", help="submit a job")
    submit.add_argument("--analyzer", required=True)
    source = submit.add_mutually_exclusive_group(required=True)
    source.add_argument("--text")
    source.add_argument("file", nargs="?")
    submit.add_argument("--param", action="append", metavar="KEY=VALUE")
    submit.add_argument("--request-id", help="idempotency key")
    submit.add_argument("--wait", action="store_true", help="follow the job and print its result")

    jobs = commands.add_parser("jobs", help="list, get, cancel or watch jobs")
    actions = jobs.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list")
    listing.add_argument("--state")
    listing.add_argument("--analyzer")
    listing.add_argument("--limit", type=int, default=50)
    for name in ("get", "cancel", "watch"):
        actions.add_parser(name).add_argument("id")

    tracing = commands.add_parser("trace", help="print a job's trace as a waterfall (from the stack's span file)")
    tracing.add_argument("id")

    commands.add_parser("analyzers", help="list the analyzers with the inputs and params each accepts")
    return parser


async def _run_remote(args: argparse.Namespace) -> int:
    conn = connect(data_dir(args.data_dir), args.token)
    try:
        if args.command == "submit":
            return await cmd_submit(args, conn)
        if args.command == "trace":
            return await cmd_trace(args, conn)
        if args.command == "analyzers":
            return await cmd_analyzers(args, conn)
        return await cmd_jobs(args, conn)
    finally:
        await conn.close()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "data_dir_sub", None):
        args.data_dir = args.data_dir_sub
    try:
        if args.command == "dev":
            return cmd_dev(args)
        if args.command == "token":
            return cmd_token(args)
        load_stack(data_dir(args.data_dir))
        return asyncio.run(_run_remote(args))
    except StackNotRunning as exc:
        print(f"assay: {exc}", file=sys.stderr)
        return EXIT_NO_STACK
    except ValueError as exc:
        print(f"assay: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except grpc.aio.AioRpcError as exc:
        if exc.code() == grpc.StatusCode.UNAVAILABLE:
            print(f"assay: the stack does not answer ({exc.details()}); is `assay dev` running?", file=sys.stderr)
            return EXIT_NO_STACK
        details = details_from_rpc_error(exc)
        print(f"assay: {details.code.name} {details.reason}: {details.message}", file=sys.stderr)
        for violation in details.violations:
            print(f"  {violation.field}: {violation.description}", file=sys.stderr)
        return EXIT_API_ERROR


if __name__ == "__main__":
    sys.exit(main())
