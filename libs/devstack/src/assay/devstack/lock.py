"""One ``assay dev`` per data directory: a lock held while the supervisor lives, a check for
processes a killed supervisor left behind, and taking over locks whose process is gone."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import IO

LOCK_FILE = "dev.lock"


class StackRunning(Exception):
    """Another stack (or what is left of one) runs on the data directory."""

    def __init__(self, data_dir: Path, pid: int | None) -> None:
        super().__init__(f"a stack is already running on {data_dir} (pid {pid if pid else 'unknown'})")
        self.pid = pid


class DataDirLock:
    """An exclusive ``flock`` on ``DIR/dev.lock`` holding the supervisor's pid.

    The kernel drops the lock when the supervisor dies however it dies, so a lock file left by a
    dead supervisor is taken over as a matter of course. Its children do not inherit it.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path = data_dir / LOCK_FILE
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock, or raise StackRunning naming the supervisor or an orphaned process."""
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            text = handle.read().strip()
            handle.close()
            raise StackRunning(self.data_dir, int(text) if text.isdigit() else None) from None
        orphan = next((pid for pid in recorded_pids(self.data_dir) if belongs_to(pid, self.data_dir)), None)
        if orphan is not None:
            handle.close()
            raise StackRunning(self.data_dir, orphan)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing drops the flock
            self._handle = None


def recorded_pids(data_dir: Path) -> list[int]:
    """Every process the last supervisor recorded (stack.json), and PostgreSQL's own (postmaster.pid)."""
    pids: list[int] = []
    try:
        stack = json.loads((data_dir / "stack.json").read_text())
        for group in ("backing_pids", "pids"):
            pids += [int(pid) for pid in stack.get(group, {}).values()]
    except (FileNotFoundError, json.JSONDecodeError, ValueError):
        pass
    postmaster = postmaster_pid(data_dir)
    return [*pids, *([postmaster] if postmaster else [])]


def belongs_to(pid: int, data_dir: Path) -> bool:
    """Whether ``pid`` is alive and one of this data directory's servers or services (so a pid the
    kernel reused for something else is not mistaken for ours)."""
    if pid <= 0 or pid == os.getpid():
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    if any(str(data_dir).encode() in arg for arg in cmdline):
        return True  # postgres -D DIR/…, nats-server -sd DIR/…, localbucket DIR/…
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False
    return f"ASSAY_DATA_DIR={data_dir}".encode() in environ  # the Assay services


def postmaster_pid(data_dir: Path) -> int | None:
    """The pid in PostgreSQL's lock file, if there is one."""
    try:
        first = (data_dir / "postgres" / "data" / "postmaster.pid").read_text().split("\n", 1)[0].strip()
    except (FileNotFoundError, PermissionError):
        return None
    return int(first) if first.isdigit() else None


def take_over_stale_locks(data_dir: Path) -> None:
    """Remove PostgreSQL's lock file when its process is gone (or is some other process now)."""
    pid = postmaster_pid(data_dir)
    if pid is not None and not belongs_to(pid, data_dir):
        (data_dir / "postgres" / "data" / "postmaster.pid").unlink(missing_ok=True)
