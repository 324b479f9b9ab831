"""`assay dev` owns its data directory: a signal stops everything it started, a second start is
refused while a stack (or what a killed one left) runs there, and stale locks are taken over."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import assert_eventually
from harness.assay_dev import Stack, private_root

pytestmark = pytest.mark.e2e


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def descendants(pid: int) -> list[int]:
    """``pid``'s children, grandchildren, … (PostgreSQL's backends, an analyzer's process)."""
    try:
        children = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []
    return [grandchild for child in children for grandchild in (child, *descendants(child))]


def stack_pids(info: dict[str, Any]) -> list[int]:
    """Every process of a running stack: supervisor, servers, services and their children."""
    started = [*info["backing_pids"].values(), *info["pids"].values()]
    return [info["supervisor_pid"], *started, *(d for pid in started for d in descendants(pid))]


def kill_all(pids: list[int]) -> None:
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
    assert_eventually(lambda: not any(map(alive, pids)), timeout=30)


@pytest.fixture(scope="module")
def data_dir() -> Iterator[Path]:
    with private_root("assay-dev-lifecycle-") as root:
        yield root / "data"


@pytest.fixture
def stack(data_dir: Path) -> Iterator[Stack]:
    running = Stack(data_dir)
    yield running
    info = running.info()
    running.stop()
    if info.get("backing_pids"):
        kill_all(stack_pids(info))  # whatever a test left behind (orphans)


def test_a_second_start_is_refused_and_sighup_stops_every_process(stack: Stack, data_dir: Path) -> None:
    stack.start()
    info = stack.info()
    second = stack.cli("dev")
    assert second.returncode == 3, second.stderr[-2000:]
    assert f"a stack is already running on {data_dir} (pid {info['supervisor_pid']})" in second.stderr

    pids = stack_pids(info)
    assert len(pids) > 8, pids
    assert stack.proc is not None
    stack.proc.send_signal(signal.SIGHUP)  # what closing the terminal sends
    assert stack.proc.wait(90) == 0
    assert_eventually(lambda: [pid for pid in pids if alive(pid)] == [], timeout=30)


def test_stale_locks_are_taken_over_and_an_orphaned_stack_is_refused(stack: Stack, data_dir: Path) -> None:
    # A supervisor and a PostgreSQL that died without cleaning up, whose pids now name other processes.
    unrelated = subprocess.Popen(["sleep", "300"])
    try:
        (data_dir / "dev.lock").write_text(f"{unrelated.pid}\n")
        postmaster_pid = data_dir / "postgres" / "data" / "postmaster.pid"
        postmaster_pid.write_text(f"{unrelated.pid}\n{data_dir / 'postgres' / 'data'}\n0\n5432\n\n\n")
        stack.start()
    finally:
        unrelated.kill()
        unrelated.wait()
    assert "migrations and provisioning were current, skipped" in stack.log_path.read_text()

    info = stack.info()
    orphans = stack_pids(info)[1:]
    assert stack.proc is not None
    stack.proc.kill()  # the supervisor dies without stopping its children
    stack.proc.wait()
    again = stack.cli("dev")
    assert again.returncode == 3, again.stderr[-2000:]
    assert f"a stack is already running on {data_dir} (pid " in again.stderr
    reported = int(again.stderr.rsplit("(pid ", 1)[1].split(")")[0])
    assert reported in orphans
