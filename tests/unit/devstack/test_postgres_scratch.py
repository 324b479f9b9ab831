"""A throwaway PostgreSQL cluster in a temporary root lives in RAM when the machine has the room: a test
session's cluster is some 50,000 files, and deleting them from a disk mounted with ``discard`` took over
three minutes of the suite's teardown."""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.devstack.servers import process
from assay.devstack.servers.postgres import PostgresServer


def test_a_throwaway_cluster_is_made_in_ram_scratch_and_a_kept_one_is_not(tmp_path: Path) -> None:
    scratch = process.ram_scratch()
    if scratch is None:
        pytest.skip("no RAM-backed directory with room on this machine")
    assert PostgresServer().scratch_parent() == scratch
    assert PostgresServer(tmp_path, throwaway=False).scratch_parent() is None


def test_without_room_in_ram_the_system_temporary_directory_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(process, "RAM_SCRATCH_MIN_FREE", 1 << 62)
    assert process.ram_scratch() is None
    assert PostgresServer().scratch_parent() is None


def test_the_cluster_starts_in_the_scratch_directory_and_is_gone_after_close() -> None:
    scratch = process.ram_scratch()
    if scratch is None:
        pytest.skip("no RAM-backed directory with room on this machine")
    with PostgresServer() as server:
        root = server.root
        assert root is not None and root.parent == scratch
        assert (server.data_dir / "PG_VERSION").exists()
    assert not root.exists()
