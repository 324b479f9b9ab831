"""Small attempts are handed out by their measured pace (assay.analysis.small_batches): slow attempts
shrink the batches and the small fetch loop's slots, so an attempt arriving later is not queued in the
worker behind seconds of work already fetched; cheap ones keep the configured maxima."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from assay.analysis.child import ChildBatch, ChildPayload
from assay.analysis.consumer import Slots
from assay.analysis.executor import Outcome
from assay.analysis.small_batches import SmallBatches, portion


def test_cheap_attempts_keep_the_maxima() -> None:
    assert portion(0.002, 0.1, max_size=32, max_slots=32, children=2) == (32, 32)


def test_slow_attempts_get_one_per_batch_and_a_slot_each_for_the_running_and_the_next() -> None:
    assert portion(0.2, 0.1, max_size=32, max_slots=32, children=2) == (1, 4)


def test_attempts_in_between_get_a_window_of_work_per_batch() -> None:
    assert portion(0.02, 0.1, max_size=32, max_slots=32, children=2) == (5, 20)


def test_unmeasured_or_switched_off_means_the_maxima() -> None:
    assert portion(None, 0.1, max_size=32, max_slots=32, children=2) == (32, 32)
    assert portion(0.2, 0.0, max_size=32, max_slots=32, children=2) == (32, 32)


async def test_fewer_slots_are_taken_back_as_attempts_give_theirs_and_more_wake_a_waiting_fetcher() -> None:
    slots = Slots(4)
    assert await slots.take(4) == 4
    slots.resize(1)
    slots.give(2)  # two attempts end: still 2 out, over the new capacity of 1
    waiting = asyncio.create_task(slots.take(1))
    await asyncio.sleep(0)  # let it queue (no slot is free, so it must wait)
    assert not waiting.done()
    slots.give(1)  # one out now, the capacity: still nothing free
    await asyncio.sleep(0)
    assert not waiting.done()
    slots.resize(2)  # a slot more: the waiting fetcher gets it at once
    assert await asyncio.wait_for(waiting, 1) == 1


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class PacedExecutor:
    """Runs a batch by moving the clock on ``seconds`` per attempt."""

    def __init__(self, clock: Clock, seconds: float) -> None:
        self.clock, self.seconds, self.sizes = clock, seconds, list[int]()

    async def start(self, payload: ChildBatch | ChildPayload) -> PacedExecutor.Execution:
        count = len(payload.payloads) if isinstance(payload, ChildBatch) else 1
        self.sizes.append(count)
        self.clock.now += self.seconds * count
        return PacedExecutor.Execution(count)

    class Execution:
        def __init__(self, count: int) -> None:
            self.count = count

        async def batch_outcomes(self) -> Sequence[Outcome]:
            return [Outcome("succeeded")] * self.count

        async def wait(self) -> Outcome:
            return Outcome("succeeded")


def payload(n: int) -> ChildPayload:
    return ChildPayload(ref="x:Y", job_id=f"job-{n}", tenant_id="t", attempt=1, params=b"", text="t", inputs=(),
                        work_dir="", time_limit_seconds=1.0)


async def test_a_slow_batch_shrinks_the_next_batches_and_the_slots_and_cheap_ones_restore_them() -> None:
    clock, slots = Clock(), Slots(32)
    executor = PacedExecutor(clock, 0.2)
    small = SmallBatches(executor, max_size=32, concurrency=2, slots=slots, window=0.1,  # type: ignore[arg-type]
                         clock=clock)
    await asyncio.gather(*(small.run(payload(n)) for n in range(8)))
    assert slots.capacity == 4
    executor.sizes.clear()
    await asyncio.gather(*(small.run(payload(n)) for n in range(6)))
    assert max(executor.sizes) == 1  # one 0.2 s attempt per exchange now
    executor.seconds = 0.001
    for n in range(40):
        await small.run(payload(n))
    assert slots.capacity == 32


async def test_a_spare_lanes_batches_leave_the_pace_to_the_ordinary_childrens() -> None:
    """Another tenant's cheap attempts in the spare lane must not make the flood's slow ones look cheap
    (bigger batches and more slots for the flood): only the ordinary lanes' batches are paced."""
    clock, slots = Clock(), Slots(32)
    executor = PacedExecutor(clock, 0.2)
    small = SmallBatches(executor, max_size=32, concurrency=2, slots=slots, window=0.1,  # type: ignore[arg-type]
                         spares=1, clock=clock)
    await small._run_batch([payload(0)], "child")
    assert slots.capacity == 4
    executor.seconds = 0.001
    for n in range(20):
        await small._run_batch([payload(n)], "spare")
    assert slots.capacity == 4
    for n in range(20):  # the same cheap attempts on the ordinary lanes do move it
        await small._run_batch([payload(n)], "child")
    assert slots.capacity == 32
