"""`assay dev` as a user runs it: a process on a data directory, ready when its gateway is."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from assay.devstack.servers.process import ram_scratch

from .waiting import assert_eventually


@contextlib.contextmanager
def private_root(prefix: str) -> Iterator[Path]:
    """A temporary directory for a stack's data, not under pytest's temp root: another pytest
    session resets that root to 0700 while it runs, and PostgreSQL runs as its own account when
    the tests run as root, so it would lose access to its data directory mid-test. In RAM when there
    is room (``ram_scratch``): deleting a stack's PostgreSQL cluster from disk took half a minute."""
    root = Path(tempfile.mkdtemp(prefix=prefix, dir=ram_scratch()))
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


class Stack:
    """A running `assay dev` and the handles a test needs."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.log_path = data_dir.parent / "assay-dev.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 180) -> None:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "assay.cli", "--data-dir", str(self.data_dir), "dev"],
                                         stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        assert_eventually(self._ready, timeout=timeout, interval=0.2)

    def _ready(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise RuntimeError(f"assay dev exited: {self.log_path.read_text()[-3000:]}")
        info = self.info()
        if info.get("supervisor_pid") != self.proc.pid or len(info.get("pids", {})) != 4:
            return False  # stack.json of an earlier run
        try:
            return httpx.get(f"{info['gateway_url']}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def info(self) -> dict[str, Any]:
        path = self.data_dir / "stack.json"
        try:
            info: dict[str, Any] = json.loads(path.read_text())
            return info
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(90)

    def cli(self, *args: str, token: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {**os.environ}
        if token:
            env["ASSAY_TOKEN"] = token
        return subprocess.run([sys.executable, "-m", "assay.cli", "--data-dir", str(self.data_dir), *args],
                              capture_output=True, text=True, timeout=120, env=env)

    def client(self) -> httpx.Client:
        info = self.info()
        return httpx.Client(base_url=info["gateway_url"], timeout=30,
                            headers={"Authorization": f"Bearer {info['token']}"})


@contextlib.contextmanager
def running_stack(prefix: str) -> Iterator[Stack]:
    """A started `assay dev` on a private data directory, stopped on the way out."""
    with private_root(prefix) as root:
        running = Stack(root / "data")
        running.start()
        try:
            yield running
        finally:
            running.stop()
