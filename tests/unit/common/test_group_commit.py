"""GroupCommitter: concurrent calls share batches, and each caller gets its own answer or error."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from assay.common.group_commit import GroupCommitter


class Recorder:
    """A flush that records its batches and waits on ``gate`` (so calls pile up meanwhile)."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.flushing = asyncio.Event()
        self.gate = asyncio.Event()
        self.gate.set()

    async def flush(self, items: Sequence[int]) -> list[int | BaseException]:
        self.batches.append(list(items))
        self.flushing.set()
        await self.gate.wait()
        return [ValueError(f"odd {item}") if item % 2 else item * 10 for item in items]


async def test_calls_arriving_while_a_batch_is_written_go_together_in_the_next() -> None:
    recorder = Recorder()
    recorder.gate.clear()
    committer = GroupCommitter("test", recorder.flush, max_size=100, concurrency=1)
    first = asyncio.create_task(committer.submit(0))
    await recorder.flushing.wait()  # the first batch is being written
    rest = [asyncio.create_task(committer.submit(n)) for n in (2, 4, 6, 8)]
    await asyncio.sleep(0)
    recorder.gate.set()
    assert await first == 0
    assert [await task for task in rest] == [20, 40, 60, 80]
    assert recorder.batches == [[0], [2, 4, 6, 8]]


async def test_an_item_refused_by_the_flush_fails_only_its_own_caller() -> None:
    recorder = Recorder()
    committer = GroupCommitter("test", recorder.flush, max_size=100)
    results = await asyncio.gather(*(committer.submit(n) for n in range(6)), return_exceptions=True)
    assert [r if not isinstance(r, BaseException) else str(r) for r in results] == [
        0, "odd 1", 20, "odd 3", 40, "odd 5"]
    assert recorder.batches == [[0, 1, 2, 3, 4, 5]]  # callers ready in the same turn of the loop: one batch


async def test_batches_never_exceed_max_size() -> None:
    recorder = Recorder()
    committer = GroupCommitter("test", recorder.flush, max_size=4, concurrency=2)
    results = await asyncio.gather(*(committer.submit(n * 2) for n in range(10)))
    assert results == [n * 20 for n in range(10)]
    assert all(len(batch) <= 4 for batch in recorder.batches)
    assert sorted(item for batch in recorder.batches for item in batch) == [n * 2 for n in range(10)]


async def test_a_failed_flush_fails_every_caller_of_that_batch() -> None:
    async def broken(items: Sequence[int]) -> list[int | BaseException]:
        raise ConnectionError("database gone")

    committer = GroupCommitter("test", broken)
    results = await asyncio.gather(*(committer.submit(n) for n in range(3)), return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    recorder = Recorder()  # and the committer keeps working for later calls
    committer = GroupCommitter("test", recorder.flush)
    assert await committer.submit(4) == 40


async def test_a_caller_cancelled_before_its_batch_is_taken_is_left_out() -> None:
    recorder = Recorder()
    recorder.gate.clear()
    committer = GroupCommitter("test", recorder.flush, max_size=100, concurrency=1)
    first = asyncio.create_task(committer.submit(0))
    await recorder.flushing.wait()
    gone = asyncio.create_task(committer.submit(2))
    kept = asyncio.create_task(committer.submit(4))
    await asyncio.sleep(0)
    gone.cancel()
    recorder.gate.set()
    assert await first == 0 and await kept == 40
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert recorder.batches == [[0], [4]]


def test_settings_are_checked() -> None:
    async def flush(items: Sequence[int]) -> list[int | BaseException]:
        return list(items)

    with pytest.raises(ValueError):
        GroupCommitter("test", flush, max_size=0)
