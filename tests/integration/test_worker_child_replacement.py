"""A worker's analyzer process past its attempt limit is replaced warm: the replacement rehearses an
attempt before it takes real work, so no attempt pays a fresh process's first build of its models
(the gaps of the fair-share benchmark). Real forkserver children running the scripted analyzer."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from harness import eventually

from assay.analysis.child import ChildBatch, ChildPayload
from assay.analysis.executor import Executor
from assay.analysis.plugin import InputDocument

SMALL = "worker_analyzers:SCRIPTED_BATCHED"


def whoami(work_dir: Path, index: int) -> ChildPayload:
    return ChildPayload(ref=SMALL, job_id=f"job-{index}", tenant_id="t", attempt=1, params=b"", text="whoami",
                        inputs=(), work_dir=str(work_dir), time_limit_seconds=30)


async def served_by(executor: Executor, payload: ChildPayload | ChildBatch) -> list[tuple[int, int]]:
    """(process id, attempts that process ran so far) of each attempt of the payload."""
    execution = await executor.start(payload)
    if isinstance(payload, ChildBatch):
        outcomes = await execution.batch_outcomes()
        assert outcomes is not None
    else:
        outcomes = [await execution.wait()]
    stats = [outcome.result.sentiment.statistics for outcome in outcomes if outcome.result is not None]
    assert len(stats) == len(outcomes), outcomes
    return [(s.rows_total, s.rows_scored) for s in stats]


async def attempts_until(executor: Executor, payload: Callable[[int], ChildPayload | ChildBatch], processes: int,
                         timeout: float = 60.0) -> list[tuple[int, int]]:  # noqa: ASYNC109
    """``payload(1)``, ``payload(2)``, ... one after another until ``processes`` different processes
    have served them; each attempt's (process id, runs of that process)."""
    served: list[tuple[int, int]] = []
    async with asyncio.timeout(timeout):
        index = 0
        while len({pid for pid, _ in served}) < processes:
            index += 1
            served += await served_by(executor, payload(index))
    return served


async def test_a_child_past_its_attempt_limit_is_replaced_by_one_that_rehearsed_first(tmp_path: Path) -> None:
    executor = Executor([SMALL], rehearsable=[SMALL], attempts_per_child=5)
    try:
        served = await attempts_until(executor, lambda index: whoami(tmp_path, index) if index % 2 else ChildBatch(
            tuple(whoami(tmp_path, index * 10 + i) for i in range(3))), processes=3)  # single ones and batches
    finally:
        executor.close()
    pids = list(dict.fromkeys(pid for pid, _ in served))
    assert os.getpid() not in pids
    # Only the very first attempt met a process that had run nothing; each replacement had
    # rehearsed one attempt before it took its first real one.
    assert served[0][1] == 1
    firsts = {pid: runs for pid, runs in reversed(served)}
    assert [firsts[pid] for pid in pids[1:]] == [2, 2], served
    assert not await asyncio.to_thread(lambda: list(tmp_path.iterdir()))  # the rehearsals' scratch dirs are gone


@pytest.mark.parametrize("rehearsable, with_file", [([], False), ([SMALL], True)],
                         ids=["analyzer-not-rehearsable", "attempt-with-a-file"])
async def test_the_attempt_limit_holds_without_a_rehearsable_attempt(
        tmp_path: Path, rehearsable: list[str], with_file: bool) -> None:
    """Only inline-text attempts of the rehearsable analyzers are run again; without one the old
    process still retires at its limit and the replacement takes real work cold."""
    document = InputDocument(file_id="f", path=tmp_path / "input.txt", media_type="text/plain",
                             display_name="input.txt", size_bytes=1)
    executor = Executor([SMALL], rehearsable=rehearsable, attempts_per_child=3)
    try:
        served = await attempts_until(executor, lambda index: replace(whoami(tmp_path, index), inputs=(
            (document,) if with_file else ())), processes=2)
    finally:
        executor.close()
    first_pid = served[0][0]
    assert max(runs for pid, runs in served if pid == first_pid) >= 3
    assert next(runs for pid, runs in served if pid != first_pid) == 1, served


async def test_spare_children_are_kept_warm_so_attempts_beyond_the_busy_ones_find_processes_that_rehearsed(
        tmp_path: Path) -> None:
    """``keep_warm(3)``: once an attempt has run, two more processes start and rehearse it, so three
    attempts at once (the spare lane's beside two busy children) all find a process that ran one
    before; without it the second and third forked a process that had run nothing."""
    executor = Executor([SMALL], rehearsable=[SMALL])
    executor.keep_warm(3)
    try:
        [(_, runs)] = await served_by(executor, whoami(tmp_path, 0))
        assert runs == 1  # a fresh process: the one the spares copy their rehearsal from

        async def warm() -> bool:
            return executor.idle_children() == 3
        await eventually(warm, timeout=60)
        served = await asyncio.gather(*(served_by(executor, whoami(tmp_path, n)) for n in range(1, 4)))
        assert executor.live_children() == 3
    finally:
        executor.close()
    assert len({pid for [(pid, _)] in served}) == 3
    assert [runs for [(_, runs)] in served] == [2, 2, 2], served
