"""``assay pipeline submit / watch / get / cancel`` through the CLI's ``main`` against a jobs service."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from harness import eventually
from test_cli_jobs import Cli, write_stack_json
from test_job_dependencies import run
from test_pipelines import get_pipeline

from assay.cli.__main__ import EXIT_OK, EXIT_USAGE
from assay.common.auth import mint_token
from assay.v1 import jobs_service_pb2 as js


@pytest.fixture
def cli(jobs_service, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    token = mint_token(jobs_service.settings, subject="alice", tenant="acme", roles=["user"])
    write_stack_json(tmp_path, f"127.0.0.1:{jobs_service.server.port}", "127.0.0.1:1", token)
    return Cli(tmp_path, capsys)


def pipeline_file(tmp_path: Path) -> Path:
    path = tmp_path / "pipeline.json"
    path.write_text(json.dumps({"jobs": [
        {"key": "a", "job": {"analyzer": "sentiment", "inputs": {"text": "Great"}}},
        {"key": "b", "after": ["a"], "job": {"analyzer": "sentiment", "inputs": {"text": "Fine"}}}]}))
    return path


async def test_submit_prints_the_id_and_watch_follows_every_job_to_the_end(cli: Cli, jobs_service, tmp_path: Path):
    code, out, _ = await cli.run("pipeline", "submit", str(pipeline_file(tmp_path)))
    assert code == EXIT_OK
    pipeline = await get_pipeline(jobs_service, out.strip())
    first, second = pipeline.jobs
    watching = asyncio.create_task(cli.run("pipeline", "watch", pipeline.id))

    await run(jobs_service, first)

    async def queued():
        return (await get_pipeline(jobs_service, pipeline.id)).jobs[1].state == second.STATE_QUEUED
    await eventually(queued, timeout=10)
    await run(jobs_service, second)
    code, out, _ = await asyncio.wait_for(watching, timeout=30)
    assert code == EXIT_OK
    lines = out.splitlines()
    assert any(second.id in line and "WAITING" in line for line in lines), out
    assert any(second.id in line and "SUCCEEDED" in line for line in lines), out
    assert f"pipeline  {pipeline.id}   SUCCEEDED" in out


async def test_cancel_prints_the_cancelled_pipeline_and_json_is_the_rest_rendering(cli: Cli, tmp_path: Path):
    code, out, _ = await cli.run("pipeline", "submit", str(pipeline_file(tmp_path)), "--json")
    pipeline_id = json.loads(out)["id"]
    code, out, _ = await cli.run("pipeline", "cancel", pipeline_id, "--json")
    assert code == EXIT_OK and json.loads(out)["state"] == js.Pipeline.State.Name(js.Pipeline.STATE_CANCELLED)
    code, _, err = await cli.run("pipeline", "submit", str(tmp_path / "missing.json"))
    assert code == EXIT_USAGE and "is not a file" in err
