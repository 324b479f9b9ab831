"""One `assay dev` per data directory: the lock, orphan detection and stale-lock takeover."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import assert_eventually

from assay.devstack.lock import DataDirLock, StackRunning, take_over_stale_locks


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    (tmp_path / "postgres" / "data").mkdir(parents=True)
    return tmp_path


@pytest.fixture
def process_of(data_dir: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A live process whose command line names the data directory, as its servers' do."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", str(data_dir)])
    assert_eventually(lambda: str(data_dir).encode() in Path(f"/proc/{proc.pid}/cmdline").read_bytes())  # exec'd
    yield proc
    proc.kill()
    proc.wait()


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_second_lock_names_the_holder_until_it_is_released(data_dir: Path) -> None:
    first, second = DataDirLock(data_dir), DataDirLock(data_dir)
    first.acquire()
    with pytest.raises(StackRunning, match=rf"a stack is already running on {data_dir} \(pid {os.getpid()}\)"):
        second.acquire()
    first.release()
    second.acquire()
    second.release()


def test_a_lock_file_left_by_a_dead_supervisor_is_taken_over(data_dir: Path) -> None:
    (data_dir / "dev.lock").write_text(f"{dead_pid()}\n")
    lock = DataDirLock(data_dir)
    lock.acquire()
    assert (data_dir / "dev.lock").read_text() == f"{os.getpid()}\n"
    lock.release()


def test_an_orphan_recorded_in_stack_json_is_reported(data_dir: Path, process_of: subprocess.Popen[bytes]) -> None:
    (data_dir / "stack.json").write_text(json.dumps({"backing_pids": {"nats": process_of.pid}, "pids": {}}))
    with pytest.raises(StackRunning, match=rf"\(pid {process_of.pid}\)"):
        DataDirLock(data_dir).acquire()
    process_of.kill()
    process_of.wait()
    DataDirLock(data_dir).acquire()  # the orphan is gone, and the refused attempt let go of the lock


def test_postmaster_pid_is_removed_when_its_process_is_gone_or_is_someone_else(data_dir: Path) -> None:
    postmaster = data_dir / "postgres" / "data" / "postmaster.pid"
    for pid in (dead_pid(), os.getppid()):
        postmaster.write_text(f"{pid}\n{postmaster.parent}\n")
        take_over_stale_locks(data_dir)
        assert not postmaster.exists()


def test_postmaster_pid_of_a_live_server_of_this_directory_is_kept_and_reported(
    data_dir: Path, process_of: subprocess.Popen[bytes],
) -> None:
    postmaster = data_dir / "postgres" / "data" / "postmaster.pid"
    postmaster.write_text(f"{process_of.pid}\n{postmaster.parent}\n")
    take_over_stale_locks(data_dir)
    assert postmaster.exists()
    with pytest.raises(StackRunning, match=rf"\(pid {process_of.pid}\)"):
        DataDirLock(data_dir).acquire()
