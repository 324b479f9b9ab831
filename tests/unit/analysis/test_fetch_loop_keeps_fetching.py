"""The fetch loop never stops fetching while the worker runs (issue 21, the c1 stall).

In one loaded ``bench.compare`` run the analysis worker stopped pulling for good: messages unread
on the sentiment consumer, no pull waiting, the worker's loop idle and its log silent. The small
fetch loop's slots follow the attempts' pace (``SmallBatches`` resizes them after each batch). When
an attempt gave its slot to the waiting fetch loop and a batch then shrank the slots before the loop
resumed, ``Slots.take`` returned ``1 + min(most - 1, free)`` with ``free`` below 0: 0 (or less),
which the loop read as "closed" and ended, silently. ``take`` now returns at least the slot handed
over, and the loop ends only when stopped (saying so), its state on ``assay_worker_fetch_loop``.
Found on the way: a pull failing after another source's messages had started gave every slot of the
fetch back, the started ones twice (the worker then ran more than its slots).
"""

from __future__ import annotations

import asyncio
import random
import time
from types import SimpleNamespace
from typing import Any

import prometheus_client

from assay.analysis.child import ChildBatch, ChildPayload
from assay.analysis.config import AnalysisSettings
from assay.analysis.consumer import Slots, WorkDispatcher, WorkSource
from assay.analysis.executor import Outcome
from assay.analysis.small_batches import SmallBatches

SOURCE = WorkSource(analyzer="sentiment", priority=0, consumer="analysis-sentiment-p0",
                    subject="assay.work.sentiment.p0")


async def test_a_slot_handed_over_stays_taken_when_the_slots_shrink_before_the_fetcher_resumes() -> None:
    slots = Slots(2, "handover")
    assert await slots.take(2) == 2
    fetcher = asyncio.create_task(slots.take(2))
    await asyncio.sleep(0)  # queued: nothing free
    slots.give(1)  # an attempt ends: its slot is handed to the waiting fetcher
    slots.resize(1)  # a batch's pace shrinks the slots before the fetcher runs again
    assert await asyncio.wait_for(fetcher, 1) == 1  # was 0: the fetch loop took that for "closed"
    assert slots.free == -1  # two out against a capacity of one: taken back as attempts give theirs
    slots.give(1)
    slots.give(1)
    assert slots.free == 1 == slots.capacity
    assert prometheus_client.REGISTRY.get_sample_value("assay_worker_free_slots", {"loop": "handover"}) == 1


class Subscription:
    async def unsubscribe(self) -> None:
        pass


class FakeNats:
    def jetstream(self) -> Any:
        async def stream_info(*_args: Any, **_kwargs: Any) -> Any:
            return SimpleNamespace(state=SimpleNamespace(subjects={SOURCE.subject: 10}))
        return SimpleNamespace(stream_info=stream_info)

    async def subscribe(self, *_args: Any, **_kwargs: Any) -> Subscription:
        return Subscription()


class EndlessPull:
    """A consumer with messages always waiting: answers every pull in full."""

    def __init__(self) -> None:
        self.pulled = 0

    async def pull(self, batch: int) -> list[Any]:
        self.pulled += batch
        return [SimpleNamespace(subject=SOURCE.subject) for _ in range(batch)]

    async def close(self) -> None:
        pass


def endless_fetch_loop(slots: Slots, handler: Any, tasks: set[asyncio.Task[None]],
                       name: str) -> tuple[WorkDispatcher, EndlessPull, asyncio.Task[None]]:
    """A running fetch loop over one source that always has messages, taking up to all of ``slots``."""
    dispatcher = WorkDispatcher(FakeNats(), [SOURCE], AnalysisSettings(), slots, handler,  # type: ignore[arg-type]
                                tasks=tasks, capacity=slots.capacity, name=name)
    pull = EndlessPull()
    dispatcher._pulls = [pull]  # type: ignore[list-item]
    return dispatcher, pull, asyncio.create_task(dispatcher.run())


def loop_state(loop: str, state: str) -> float | None:
    return prometheus_client.REGISTRY.get_sample_value("assay_worker_fetch_loop",
                                                       {"loop": loop, "assay_worker_fetch_loop": state})


async def until(condition: Any, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_the_fetch_loop_goes_on_pulling_after_its_slots_shrink_during_a_handover() -> None:
    slots = Slots(2, "shrinking")
    releases: list[Any] = []
    running: list[asyncio.Event] = []

    async def handler(_analyzer: str, _msg: Any, release: Any) -> None:
        releases.append(release)
        done = asyncio.Event()
        running.append(done)
        await done.wait()

    tasks: set[asyncio.Task[None]] = set()
    dispatcher, pull, loop = endless_fetch_loop(slots, handler, tasks, "shrinking")
    try:
        await until(lambda: len(releases) == 2 and loop_state("shrinking", "slots") == 1)  # both slots taken
        releases[0]()  # the first attempt's slot goes to the waiting loop ...
        slots.resize(1)  # ... and a batch's pace shrinks the slots before the loop resumes
        await until(lambda: pull.pulled == 3)  # the loop pulled with the slot it was handed
        assert not loop.done()  # it used to end here, for good, without a word
        assert slots.free == -1
        releases[1]()
        releases[2]()
        await until(lambda: pull.pulled == 4)  # one out again, within the new capacity of 1
        assert slots.free == 0
    finally:
        dispatcher.stop()
        slots.close()
        for event in running:
            event.set()
        await asyncio.wait_for(loop, 5)
        await asyncio.gather(*tasks)
    assert loop_state("shrinking", "stopped") == 1


class ScriptedPull:
    """Answers each pull with the next entry of its script (an exception is raised), then nothing."""

    def __init__(self, *answers: list[Any] | Exception) -> None:
        self.answers = list(answers)

    async def pull(self, batch: int) -> list[Any]:
        answer = self.answers.pop(0) if self.answers else []
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def close(self) -> None:
        pass


async def test_a_pull_failing_after_another_source_started_work_gives_back_only_the_unused_slots() -> None:
    sources = [WorkSource("sentiment", 1, "analysis-sentiment-p1", "assay.work.sentiment.p1"), SOURCE]
    slots = Slots(2, "failing")
    ended: list[int] = []

    async def handler(_analyzer: str, _msg: Any, release: Any) -> None:
        release()
        ended.append(slots.free)

    class TwoSubjects(FakeNats):
        def jetstream(self) -> Any:
            async def stream_info(*_args: Any, **_kwargs: Any) -> Any:
                return SimpleNamespace(state=SimpleNamespace(subjects={s.subject: 1 for s in sources}))
            return SimpleNamespace(stream_info=stream_info)

    tasks: set[asyncio.Task[None]] = set()
    dispatcher = WorkDispatcher(TwoSubjects(), sources, AnalysisSettings(), slots, handler,  # type: ignore[arg-type]
                                tasks=tasks, capacity=2, name="failing")
    dispatcher._pulls = [ScriptedPull([SimpleNamespace(subject=sources[0].subject)]),  # type: ignore[list-item]
                         ScriptedPull(TimeoutError("no answer"))]
    loop = asyncio.create_task(dispatcher.run())
    try:
        await until(lambda: ended and loop_state("failing", "doorbell") == 1)
        assert slots.free == slots.capacity == 2  # was 3: the started attempt's slot was given back twice
    finally:
        dispatcher.stop()
        await asyncio.wait_for(loop, 5)
        await asyncio.gather(*tasks)


class Paced:
    """A clock moved on by a fake child whose attempts take 5 ms or 30 ms each, batch by batch (on either
    side of the pace at which two children's small slots shrink below 32), answering after 0 to 3 turns."""

    def __init__(self, seed: int) -> None:
        self.now = 0.0
        self.random = random.Random(seed)

    def __call__(self) -> float:
        return self.now

    async def start(self, payload: ChildBatch | ChildPayload) -> Any:
        count = len(payload.payloads) if isinstance(payload, ChildBatch) else 1
        seconds = self.random.choice([0.005, 0.03]) * count

        async def answer() -> Any:
            for _ in range(self.random.randint(0, 3)):
                await asyncio.sleep(0)
            self.now += seconds
            return [Outcome("succeeded")] * count if isinstance(payload, ChildBatch) else Outcome("succeeded")
        return SimpleNamespace(batch_outcomes=answer, wait=answer)


async def test_with_the_pace_resizing_the_small_slots_the_loop_keeps_fetching_within_its_slots() -> None:
    """The real small-attempt path (SmallBatches, FairQueue, the slots' resize, the fetch loop) with
    a fake child and consumer: before the fix, within a few dozen fetches ``take`` returned 0 (the
    loop ended) or less (slots created from nothing: more attempts out than the capacity)."""
    paced = Paced(seed=2)
    slots = Slots(32, "paced")
    small = SmallBatches(paced, max_size=32, concurrency=2, slots=slots, window=0.1,  # type: ignore[arg-type]
                         spares=1, clock=paced)
    handled = 0

    async def handler(_analyzer: str, _msg: Any, release: Any) -> None:
        nonlocal handled
        handled += 1
        await small.run(ChildPayload(ref="x:Y", job_id=f"job-{handled}", tenant_id="t", attempt=1, params=b"",
                                     text="t", inputs=(), work_dir="/tmp", time_limit_seconds=5.0))
        release()

    tasks: set[asyncio.Task[None]] = set()
    dispatcher, pull, loop = endless_fetch_loop(slots, handler, tasks, "paced")
    try:
        for _ in range(5000):
            await asyncio.sleep(0)
            assert not loop.done()
            assert slots.free <= slots.capacity
        assert pull.pulled > 1000  # it kept fetching (a 2 s idle wait would have stopped it here)
    finally:
        dispatcher.stop()
        slots.close()
        await asyncio.wait_for(loop, 5)
        await asyncio.gather(*tasks)
