"""``assay jobs delete ID`` and ``assay files delete ID [--cascade]``: deleting for good."""

from __future__ import annotations

import argparse

from assay.cli import output
from assay.cli.client import Connection
from assay.v1 import ingest_service_pb2, jobs_service_pb2


def add_job_parser(actions: argparse._SubParsersAction[argparse.ArgumentParser],
                   common: list[argparse.ArgumentParser]) -> None:
    delete = actions.add_parser("delete", parents=common,
                                help="delete a finished job with its result, events and artifacts")
    delete.add_argument("id")


def add_files_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser],
                     common: list[argparse.ArgumentParser]) -> None:
    files = commands.add_parser("files", parents=common, help="delete a stored file")
    actions = files.add_subparsers(dest="action", required=True)
    delete = actions.add_parser("delete", parents=common, help="delete a file not used by an active job")
    delete.add_argument("id")
    delete.add_argument("--cascade", action="store_true",
                        help="also every job derived from it, their results, events and artifacts (erasure)")


async def cmd_delete_job(args: argparse.Namespace, conn: Connection) -> int:
    await conn.jobs.DeleteJob(jobs_service_pb2.DeleteJobRequest(id=args.id), metadata=conn.metadata)
    _done(args, f"job {args.id} deleted")
    return 0


async def cmd_files(args: argparse.Namespace, conn: Connection) -> int:
    await conn.ingest.DeleteFile(ingest_service_pb2.DeleteFileRequest(id=args.id, cascade=args.cascade),
                                 metadata=conn.metadata)
    _done(args, f"file {args.id} deleted" + (" with every job derived from it" if args.cascade else ""))
    return 0


def _done(args: argparse.Namespace, message: str) -> None:
    if args.json:
        output.print_json({"deleted": args.id})
    else:
        print(message)
