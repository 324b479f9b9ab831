"""``assay pipeline``: submit a pipeline from a JSON file, get, cancel or watch it job by job."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from google.protobuf import json_format

from assay.cli import output
from assay.cli.client import Connection
from assay.common.job_states import TERMINAL
from assay.common.proto_json import to_json
from assay.v1 import job_pb2, jobs_service_pb2

Pipeline = jobs_service_pb2.Pipeline


def add_parser(commands: argparse._SubParsersAction, common: list[argparse.ArgumentParser]) -> None:
    pipeline = commands.add_parser("pipeline", parents=common, help="submit, get, cancel or watch a pipeline")
    actions = pipeline.add_subparsers(dest="action", required=True)
    submit = actions.add_parser(
        "submit", parents=common,
        help="create a pipeline from FILE: a CreatePipelineRequest as JSON, as POST /v1/pipelines takes")
    submit.add_argument("file", metavar="FILE")
    submit.add_argument("--watch", action="store_true", help="then follow it until every job has finished")
    for name in ("get", "cancel", "watch"):
        actions.add_parser(name, parents=common).add_argument("id")


async def cmd_pipeline(args: argparse.Namespace, conn: Connection) -> int:
    """Exit 0, or 1 when a followed pipeline did not succeed."""
    if args.action == "submit":
        request = read_request(Path(args.file))
        pipeline = (await conn.jobs.CreatePipeline(request, metadata=conn.metadata)).pipeline
        if not args.watch:
            _print(args, pipeline, id_only=True)
            return 0
        print(pipeline.id, file=sys.stderr)
    elif args.action == "cancel":
        request_cancel = jobs_service_pb2.CancelPipelineRequest(id=args.id)
        pipeline = (await conn.jobs.CancelPipeline(request_cancel, metadata=conn.metadata)).pipeline
    else:
        pipeline = await _get(conn, args.id)
    if args.action in ("submit", "watch"):
        pipeline = await watch(conn, pipeline, show=not args.json)
    _print(args, pipeline)
    if args.action in ("submit", "watch"):
        return 0 if pipeline.state == Pipeline.STATE_SUCCEEDED else 1
    return 0


def read_request(path: Path) -> jobs_service_pb2.CreatePipelineRequest:
    """The JSON file as a CreatePipelineRequest; ValueError (a usage error) when it is not one."""
    if not path.is_file():
        raise ValueError(f"{path} is not a file")
    try:
        return json_format.Parse(path.read_text(), jobs_service_pb2.CreatePipelineRequest())
    except json_format.ParseError as error:
        raise ValueError(f"{path} is not a CreatePipelineRequest: {error}") from None


async def watch(conn: Connection, pipeline: Pipeline, show: bool) -> Pipeline:
    """Follow every unfinished job (WatchJob), printing a table row at each change; the final pipeline."""
    if show:
        print(output.job_header())

    async def follow(job: job_pb2.Job) -> None:
        if job.state in TERMINAL:
            if show:
                print(output.job_line(job))
            return
        async for update in conn.jobs.WatchJob(jobs_service_pb2.WatchJobRequest(id=job.id), metadata=conn.metadata):
            if show:
                print(output.job_line(update.job), flush=True)

    await asyncio.gather(*(follow(job) for job in pipeline.jobs))
    return await _get(conn, pipeline.id)


async def _get(conn: Connection, pipeline_id: str) -> Pipeline:
    request = jobs_service_pb2.GetPipelineRequest(id=pipeline_id)
    return (await conn.jobs.GetPipeline(request, metadata=conn.metadata)).pipeline


def _print(args: argparse.Namespace, pipeline: Pipeline, id_only: bool = False) -> None:
    if args.json:
        output.print_json(to_json(pipeline))
    elif id_only:
        print(pipeline.id)
    else:
        print(f"pipeline  {pipeline.id}   {Pipeline.State.Name(pipeline.state).removeprefix('STATE_')}")
        print(output.job_header())
        for job in pipeline.jobs:
            print(output.job_line(job))
