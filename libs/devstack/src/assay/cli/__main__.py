"""``assay``: dev | token | submit | jobs (list, get, cancel, watch, retry, redrive, delete)
| pipeline (submit, get, cancel, watch) | trace | analyzers | usage | audit | webhooks | files (delete) | ask
| collections (list, create, delete)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TypeVar

import grpc

from assay.cli import audit, deletion, output, pipelines, redrive, trace, webhooks
from assay.cli.analyzers import cmd_analyzers
from assay.cli.ask import add_parsers as add_index_parsers
from assay.cli.ask import cmd_ask, cmd_collections
from assay.cli.client import Connection, StackNotRunning, connect, data_dir, load_stack, span_files
from assay.cli.params import parse_params
from assay.cli.usage import cmd_usage
from assay.common.auth import ROLES, TENANT_PATTERN, mint_token
from assay.common.config import CommonSettings
from assay.common.errors import details_from_rpc_error
from assay.common.job_states import TERMINAL
from assay.common.proto_json import to_json
from assay.devstack.spans import load_spans
from assay.v1 import ingest_service_pb2, job_pb2, jobs_service_pb2

EXIT_OK, EXIT_JOB_FAILED, EXIT_USAGE, EXIT_NO_STACK, EXIT_API_ERROR = 0, 1, 2, 3, 4
CHUNK_BYTES = 1024 * 1024
Request = TypeVar("Request", ingest_service_pb2.SubmitDocumentRequest, ingest_service_pb2.UploadFileRequest)


def cmd_dev(args: argparse.Namespace) -> int:
    from assay.devstack.dev import run

    return run(data_dir(args.data_dir))


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


async def _file_requests(path: Path, first: Request, chunk: Callable[[bytes], Request]) -> AsyncIterator[Request]:
    """An upload request stream: ``first`` (the header), then one message per chunk of ``path``."""
    yield first
    with path.open("rb") as handle:
        while data := handle.read(CHUNK_BYTES):
            yield chunk(data)


async def _create_with_files(conn: Connection, args: argparse.Namespace, params: job_pb2.JobParams,
                             paths: list[Path]) -> job_pb2.Job:
    """A job over several files (compare: old, then new): each is stored with UploadFile, then CreateJob."""
    file_ids = []
    for path in paths:
        header = ingest_service_pb2.UploadFileRequest(header=ingest_service_pb2.FileHeader(
            display_name=path.name, size_bytes=path.stat().st_size))
        requests = _file_requests(path, header, lambda data: ingest_service_pb2.UploadFileRequest(chunk=data))
        file_ids.append((await conn.ingest.UploadFile(requests, metadata=conn.metadata)).file.id)
    response = await conn.jobs.CreateJob(jobs_service_pb2.CreateJobRequest(
        analyzer=args.analyzer, params=params, inputs=job_pb2.JobInputs(file_ids=file_ids),
        priority=args.priority, request_id=args.request_id or "", no_cache=args.no_cache),
        metadata=conn.metadata)
    return response.job


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
            priority=args.priority, request_id=args.request_id or "", no_cache=args.no_cache),
        metadata=conn.metadata)
        job = response.job
    else:
        paths = [Path(args.file), *map(Path, args.more_files or [])]
        missing = [p for p in paths if not p.is_file()]
        if missing:
            print(f"assay: {missing[0]} is not a file", file=sys.stderr)
            return EXIT_USAGE
        if len(paths) > 1:
            job = await _create_with_files(conn, args, params, paths)
            return await _finish_submit(conn, args, job)
        path = paths[0]
        header = ingest_service_pb2.SubmitDocumentHeader(
            file=ingest_service_pb2.FileHeader(display_name=path.name, size_bytes=path.stat().st_size),
            analyzer=args.analyzer, params=params, priority=args.priority, request_id=args.request_id or "",
            no_cache=args.no_cache)
        requests = _file_requests(path, ingest_service_pb2.SubmitDocumentRequest(header=header),
                                  lambda data: ingest_service_pb2.SubmitDocumentRequest(chunk=data))
        submitted = await conn.ingest.SubmitDocument(requests, metadata=conn.metadata)
        job = submitted.job
    return await _finish_submit(conn, args, job)


async def _finish_submit(conn: Connection, args: argparse.Namespace, job: job_pb2.Job) -> int:
    if args.wait:
        job = await _wait(conn, job, show_progress=not args.json)
    if args.json:
        output.print_json(to_json(job))
    elif args.wait:
        output.print_job(job)
    else:
        print(job.id)
    failed = args.wait and job.state != job_pb2.Job.STATE_SUCCEEDED
    return EXIT_JOB_FAILED if failed else EXIT_OK


async def _list_jobs(args: argparse.Namespace, conn: Connection) -> int:
    state = job_pb2.Job.State.Value(f"STATE_{args.state.upper()}") if args.state else job_pb2.Job.STATE_UNSPECIFIED
    request = jobs_service_pb2.ListJobsRequest(page_size=args.limit, state=state, analyzer=args.analyzer or "",
                                               page_token=args.page_token or "", error_code=args.error_code or "")
    listed = jobs_service_pb2.ListJobsResponse()
    while True:
        page = await conn.jobs.ListJobs(request, metadata=conn.metadata)
        listed.jobs.extend(page.jobs)
        listed.next_page_token = page.next_page_token
        if not (args.all and page.next_page_token):
            break
        request.page_token = page.next_page_token
    if args.json:
        output.print_json(to_json(listed))
        return EXIT_OK
    print(output.job_header())
    for job in listed.jobs:
        print(output.job_line(job))
    if listed.next_page_token:
        print(f"more: assay jobs list --page-token {listed.next_page_token} (or --all)", file=sys.stderr)
    return EXIT_OK


async def _cancel_job(args: argparse.Namespace, conn: Connection) -> job_pb2.Job:
    job = (await conn.jobs.CancelJob(jobs_service_pb2.CancelJobRequest(id=args.id), metadata=conn.metadata)).job
    if job.state in TERMINAL:
        return job
    if args.wait:
        print(f"cancellation of {job.id} requested; waiting for the worker to stop it", file=sys.stderr)
        return await _wait(conn, job, show_progress=not args.json)
    print(f"cancellation of {job.id} requested: it is still {output.state_name(job)} until the worker stops it "
          f"(follow it with `assay jobs watch {job.id}`)", file=sys.stderr)
    return job


async def cmd_jobs(args: argparse.Namespace, conn: Connection) -> int:
    if args.action == "list":
        return await _list_jobs(args, conn)
    if args.action == "watch":
        job = await _wait(conn, job_pb2.Job(id=args.id), show_progress=not args.json)
    elif args.action == "cancel":
        job = await _cancel_job(args, conn)
    elif args.action == "retry":
        job = (await conn.jobs.RetryJob(jobs_service_pb2.RetryJobRequest(id=args.id), metadata=conn.metadata)).job
    elif args.action == "redrive":
        return await redrive.cmd_redrive(args, conn)
    elif args.action == "delete":
        return await deletion.cmd_delete_job(args, conn)
    else:
        job = (await conn.jobs.GetJob(jobs_service_pb2.GetJobRequest(id=args.id), metadata=conn.metadata)).job
    if args.json:
        output.print_json(to_json(job))
    else:
        output.print_job(job)
    if args.action == "watch":
        return EXIT_JOB_FAILED if job.state != job_pb2.Job.STATE_SUCCEEDED else EXIT_OK
    if args.action == "cancel" and args.wait:
        return EXIT_OK if job.state == job_pb2.Job.STATE_CANCELLED else EXIT_JOB_FAILED
    return EXIT_OK


async def cmd_trace(args: argparse.Namespace, conn: Connection) -> int:
    job = (await conn.jobs.GetJob(jobs_service_pb2.GetJobRequest(id=args.id), metadata=conn.metadata)).job
    if not job.trace_id:
        print(f"assay: job {job.id} has no trace id", file=sys.stderr)
        return EXIT_JOB_FAILED
    spans = [s for path in span_files(data_dir(args.data_dir)) for s in load_spans(path, job.trace_id)]
    if args.json:
        output.print_json(spans)
    else:
        print(trace.render(job.trace_id, trace.build_tree(spans)))
    return EXIT_OK


def _global_options(*, in_subcommand: bool) -> argparse.ArgumentParser:
    """``--data-dir``, ``--json`` and ``--token``, accepted before or after the subcommand.

    A subcommand's copy has no defaults (``SUPPRESS``), so it sets an option only when the option
    is given there and never hides one given before the subcommand.
    """
    options = argparse.ArgumentParser(add_help=False)
    unset = argparse.SUPPRESS if in_subcommand else None
    options.add_argument("--data-dir", default=unset,
                         help="the stack's directory (default $ASSAY_DATA_DIR or ./.assay-data)")
    options.add_argument("--json", action="store_true", default=argparse.SUPPRESS if in_subcommand else False,
                         help="print JSON for scripts (the REST API's rendering)")
    options.add_argument("--token", default=unset, help="bearer token (default $ASSAY_TOKEN or the stack's dev token)")
    return options


def _int_in(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse type: an integer from ``low`` to ``high`` (inclusive; no upper bound when None)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < low or (high is not None and value > high):
            bound = f"from {low} to {high}" if high is not None else f"at least {low}"
            raise argparse.ArgumentTypeError(f"{value} is out of range: give an integer {bound}")
        return value
    return parse


def _tenant(text: str) -> str:
    if not TENANT_PATTERN.match(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a tenant id: 1-64 characters of A-Z a-z 0-9 _ -")
    return text


STATE_CHOICES = tuple(name.removeprefix("STATE_").lower()
                      for name, _ in job_pb2.Job.State.items() if name != "STATE_UNSPECIFIED")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assay", description="Assay: document analysis jobs.",
                                     parents=[_global_options(in_subcommand=False)])
    common = [_global_options(in_subcommand=True)]
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("dev", parents=common, help="run the whole stack locally until Ctrl-C")

    token = commands.add_parser("token", parents=common, help="mint a development token with the stack's key")
    token.add_argument("--tenant", default="dev", type=_tenant)
    token.add_argument("--roles", default="user", help="comma-separated: admin,user,readonly (tenant roles; "
                       "worker credentials are never minted for a tenant)")
    token.add_argument("--subject", default="dev")
    token.add_argument("--ttl", type=_int_in(1), default=86400, help="lifetime in seconds (at least 1)")

    submit = commands.add_parser("submit", parents=common, help="submit a job: a FILE to upload, or --text",
                                 usage="%(prog)s --analyzer NAME (FILE [FILE ...] | --text TEXT) [options]")
    submit.add_argument("--analyzer", required=True)
    submit.add_argument("file", nargs="?", metavar="FILE", help="a document to upload")
    submit.add_argument("--text", help="inline text to analyse instead of a file")
    submit.add_argument("more_files", nargs="*", metavar="FILE",
                        help="further documents, for analyzers that read several (compare: old, then new)")
    submit.add_argument("--param", action="append", metavar="KEY=VALUE")
    submit.add_argument("--priority", type=_int_in(0, 9), default=0, help="0 (default) to 9; higher runs first")
    submit.add_argument("--request-id", help="idempotency key")
    submit.add_argument("--no-cache", action="store_true",
                        help="run even when a succeeded job with the same input and params could answer")
    submit.add_argument("--wait", action="store_true", help="follow the job and print its result")
    submit.set_defaults(check=_check_submit(submit))

    jobs = commands.add_parser("jobs", parents=common, help="list, get, cancel, watch, retry, redrive or delete jobs")
    actions = jobs.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", parents=common)
    listing.add_argument("--state", type=str.lower, choices=STATE_CHOICES)
    listing.add_argument("--analyzer")
    listing.add_argument("--error-code", help="only jobs whose error has this code, e.g. DEAD_LETTERED")
    listing.add_argument("--limit", type=_int_in(1, 1000), default=50, help="jobs per page (1-1000)")
    pages = listing.add_mutually_exclusive_group()
    pages.add_argument("--page-token", help="continue a listing (printed after a page that has more)")
    pages.add_argument("--all", action="store_true", help="every page")
    for name in ("get", "cancel", "watch", "retry"):
        action = actions.add_parser(name, parents=common)
        action.add_argument("id")
    redrive.add_arguments(actions.add_parser("redrive", parents=common,
                                             help="retry every failed (or cancelled) job matching a filter (admin)"))
    deletion.add_job_parser(actions, common)
    actions.choices["cancel"].add_argument(
        "--wait", action="store_true", help="follow the job until it has stopped and print it")

    pipelines.add_parser(commands, common)

    tracing = commands.add_parser("trace", parents=common,
                                  help="print a job's trace as a waterfall (from the stack's span file)")
    tracing.add_argument("id")

    commands.add_parser("analyzers", parents=common, help="list the analyzers with the inputs and params each accepts")
    commands.add_parser("usage", parents=common, help="the tenant's job quotas and how much of each is used")
    audit.add_parser(commands, common)
    webhooks.add_parser(commands, common)
    deletion.add_files_parser(commands, common)
    add_index_parsers(commands, common)
    return parser


def _check_submit(submit: argparse.ArgumentParser) -> Callable[[argparse.Namespace], None]:
    def check(args: argparse.Namespace) -> None:
        if args.file is not None and args.text is not None:
            submit.error(f"give a FILE or --text, not both (got {args.file!r} and --text)")
        if args.file is None and args.text is None:
            submit.error("give a FILE to upload or --text TEXT")
    return check


async def _run_remote(args: argparse.Namespace) -> int:
    conn = connect(data_dir(args.data_dir), args.token)
    try:
        if args.command == "submit":
            return await cmd_submit(args, conn)
        if args.command == "trace":
            return await cmd_trace(args, conn)
        if args.command == "analyzers":
            return await cmd_analyzers(args, conn)
        if args.command == "usage":
            return await cmd_usage(args, conn)
        if args.command == "audit":
            return await audit.cmd_audit(args, conn)
        if args.command == "webhooks":
            return await webhooks.cmd_webhooks(args, conn)
        if args.command == "files":
            return await deletion.cmd_files(args, conn)
        if args.command == "pipeline":
            return await pipelines.cmd_pipeline(args, conn)
        if args.command == "ask":
            return await cmd_ask(args, conn)
        if args.command == "collections":
            return await cmd_collections(args, conn)
        return await cmd_jobs(args, conn)
    finally:
        await conn.close()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if check := getattr(args, "check", None):
        check(args)
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
        print("\n".join(output.error_lines(details_from_rpc_error(exc))), file=sys.stderr)
        return EXIT_API_ERROR


if __name__ == "__main__":
    sys.exit(main())
