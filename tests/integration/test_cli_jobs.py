"""``assay`` subcommands run through the CLI's ``main`` against a jobs service and a scripted worker.

The CLI finds the services through a ``stack.json`` written for the test's stack (as ``assay dev``
writes one); ``main`` runs in a thread because it starts its own event loop.
"""

# ruff: noqa: F811
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from file_job_fixtures import FileStack, file_stack, reviews_csv  # noqa: F401 - fixture
from worker_fixtures import Stack, stack  # noqa: F401 - fixture

from assay.cli.__main__ import EXIT_OK, main
from assay.common.auth import mint_token
from assay.v1 import job_pb2

Job = job_pb2.Job


@dataclass
class Cli:
    data_dir: Path
    capsys: pytest.CaptureFixture[str]

    async def run(self, *argv: str) -> tuple[int, str, str]:
        """Exit code, stdout and stderr of ``assay --data-dir DIR *argv``."""
        self.capsys.readouterr()
        code = await asyncio.to_thread(main, ["--data-dir", str(self.data_dir), *argv])
        out, err = self.capsys.readouterr()
        return code, out, err


def write_stack_json(directory: Path, jobs_addr: str, ingest_addr: str, token: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "stack.json").write_text(json.dumps({
        "endpoints": {"jobs": jobs_addr, "ingest": ingest_addr, "analysis": "127.0.0.1:1"}, "token": token}))


@pytest.fixture
def cli(stack: Stack, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    token = mint_token(stack.jobs.settings, subject="alice", tenant="acme", roles=["user"])
    write_stack_json(tmp_path, f"127.0.0.1:{stack.jobs.server.port}", "127.0.0.1:1", token)
    return Cli(tmp_path, capsys)


@pytest.fixture
def file_cli(file_stack: FileStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    token = mint_token(file_stack.jobs.settings, subject="alice", tenant="acme", roles=["user"])
    write_stack_json(tmp_path / "stack", f"127.0.0.1:{file_stack.jobs.server.port}", file_stack.ingest.address,
                     token)
    return Cli(tmp_path / "stack", capsys)


async def test_a_file_is_submitted_with_its_priority(file_stack: FileStack, file_cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "reviews.csv"
    path.write_bytes(reviews_csv(3))
    code, out, _ = await file_cli.run("submit", str(path), "--analyzer", "sentiment", "--priority", "7")
    assert code == EXIT_OK
    assert (await file_stack.get(out.strip(), "acme")).priority == 7


async def test_submit_with_a_priority_waits_and_prints_every_field_as_rest_does(stack: Stack, cli: Cli) -> None:
    worker = await stack.start_worker()
    try:
        code, out, _ = await cli.run("submit", "--analyzer", "sentiment", "--priority", "5", "--text", "ok",
                                     "--wait", "--json")
    finally:
        await worker.stop(2.0)
    assert code == EXIT_OK
    job = json.loads(out)
    assert job["state"] == "STATE_SUCCEEDED" and job["priority"] == 5
    # Zero-valued fields the REST API prints (MessageToDict would drop them).
    assert job["cancel_requested"] is False and job["request_id"] == ""
    assert job["result"]["sentiment"]["statistics"]["rows_skipped"] == 0, "int64 as a number, as REST renders it"


async def test_jobs_list_has_a_header_validates_states_and_pages(stack: Stack, cli: Cli) -> None:
    created = [await stack.create("ok") for _ in range(3)]
    code, out, _ = await cli.run("jobs", "list", "--limit", "2")
    lines = out.splitlines()
    assert code == EXIT_OK and lines[0].split() == ["ID", "STATE", "ANALYZER", "PROGRESS", "CREATED"]
    assert len(lines) == 3

    code, out, err = await cli.run("jobs", "list", "--limit", "2", "--json")
    first = json.loads(out)
    assert len(first["jobs"]) == 2 and first["next_page_token"]
    code, out, _ = await cli.run("jobs", "list", "--limit", "2", "--page-token", first["next_page_token"],
                                 "--json")
    second = json.loads(out)
    assert second["next_page_token"] == ""
    paged = {j["id"] for j in first["jobs"] + second["jobs"]}
    assert paged == {j.id for j in created}

    code, out, _ = await cli.run("jobs", "list", "--limit", "1", "--all", "--json", "--state", "queued")
    every = json.loads(out)
    assert {j["id"] for j in every["jobs"]} == paged and every["next_page_token"] == ""

    code, out, err = await cli.run("jobs", "list", "--limit", "1")
    assert "--page-token" in err, "a page with more after it says how to continue"


async def test_cancelling_a_running_job_says_cancellation_was_requested_and_can_wait(
    stack: Stack, cli: Cli,
) -> None:
    worker = await stack.start_worker()
    try:
        job = await stack.create("sleep:30")
        await stack.reaches(job.id, Job.STATE_RUNNING)
        code, out, err = await cli.run("jobs", "cancel", job.id)
        assert code == EXIT_OK
        assert "state     RUNNING" in out and "cancel    requested" in out
        assert f"cancellation of {job.id} requested" in err

        code, out, _ = await cli.run("jobs", "cancel", job.id, "--wait", "--json")
        assert code == EXIT_OK
        assert json.loads(out)["state"] == "STATE_CANCELLED"
    finally:
        await worker.stop(2.0)
