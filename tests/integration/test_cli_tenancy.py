"""``assay jobs list --error-code``, ``jobs retry``, ``jobs redrive`` and ``usage`` against a real jobs service."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from harness.jobs import JobsService
from tenancy_fixtures import dead_letter

from assay.cli.__main__ import EXIT_API_ERROR, EXIT_OK, main
from assay.common.auth import mint_token

TENANT = "clitenant"


def run(directory: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--data-dir", str(directory), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def stack_json(directory: Path, service: JobsService, roles: list[str]) -> Path:
    token = mint_token(service.settings, subject="alice", tenant=TENANT, roles=roles)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "stack.json").write_text(json.dumps({"endpoints": {
        "jobs": f"127.0.0.1:{service.server.port}", "ingest": "127.0.0.1:1", "analysis": "127.0.0.1:1"},
        "token": token}))
    return directory


async def test_dead_letters_listed_retried_and_redriven_and_usage_printed(
    jobs_service: JobsService, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    first, second = await dead_letter(jobs_service, TENANT), await dead_letter(jobs_service, TENANT)
    admin = stack_json(tmp_path / "admin", jobs_service, ["user", "admin"])
    user = stack_json(tmp_path / "user", jobs_service, ["user"])

    def cli(directory: Path, *argv: str) -> tuple[int, str, str]:
        return run(directory, capsys, *argv)

    code, out, _ = await asyncio.to_thread(cli, user, "jobs", "list", "--error-code", "DEAD_LETTERED")
    assert code == EXIT_OK and {first.id, second.id} <= set(out.split())

    code, _, err = await asyncio.to_thread(cli, user, "jobs", "retry", first.id)
    assert code == EXIT_API_ERROR and "PERMISSION_DENIED" in err
    code, out, _ = await asyncio.to_thread(cli, admin, "jobs", "retry", first.id)
    assert code == EXIT_OK and "state     QUEUED" in out

    code, out, _ = await asyncio.to_thread(cli, admin, "jobs", "redrive", "--error-code", "DEAD_LETTERED")
    assert code == EXIT_OK
    assert out.splitlines() == [f"retried  {second.id}  QUEUED", "1 retried, 0 refused"]

    code, out, _ = await asyncio.to_thread(cli, user, "usage")
    assert code == EXIT_OK
    assert out.splitlines()[0].split() == ["QUOTA", "USED", "LIMIT", "RESETS"]
    assert out.splitlines()[2].split()[:3] == ["max_queued", "2", "none"]
