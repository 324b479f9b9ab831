"""The queue between the small fetch loop and the children (assay.analysis.fair_queue): fair-share
order across tenants, and a spare lane only for tenants with nothing running. A controllable flush:
each batch runs until the test ends it, so every assertion is about order, not time."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence

import pytest

from assay.analysis.child import ChildPayload
from assay.analysis.executor import Outcome
from assay.analysis.fair_queue import FairQueue, Lane, _Waiting, pick


def payload(tenant: str, n: int) -> ChildPayload:
    return ChildPayload(ref="x:Y", job_id=f"{tenant}-{n}", tenant_id=tenant, attempt=1, params=b"", text="t",
                        inputs=(), work_dir="", time_limit_seconds=1.0)


def waiting(tenant: str, n: int, priority: int = 0) -> _Waiting:
    return _Waiting(payload(tenant, n), priority, n, 0.0, asyncio.get_running_loop().create_future())


class Children:
    """A flush whose batches run until ``end`` is called for them; ``started`` lists each batch's job ids."""

    def __init__(self) -> None:
        self.started: list[list[str]] = []
        self._ends: dict[str, asyncio.Event] = {}
        self.changed = asyncio.Event()

    async def flush(self, payloads: Sequence[ChildPayload], lane: Lane) -> Sequence[Outcome]:
        ids = [p.job_id for p in payloads]
        self.started.append(ids)
        end = asyncio.Event()
        for job_id in ids:
            self._ends[job_id] = end
        self.changed.set()
        await end.wait()
        return [Outcome("succeeded")] * len(payloads)

    def end(self, job_id: str) -> None:
        self._ends[job_id].set()

    async def until_started(self, count: int) -> None:
        async with asyncio.timeout(5):
            while len(self.started) < count:
                self.changed.clear()
                await self.changed.wait()

    def running_ids(self) -> set[str]:
        return {job_id for batch in self.started for job_id in batch if not self._ends[job_id].is_set()}


async def test_pick_takes_the_tenant_with_fewest_running_first_then_priority_then_age() -> None:
    entries = [waiting("flood", 1), waiting("flood", 2), waiting("trickle", 3), waiting("trickle", 4, priority=5),
               waiting("other", 5)]
    chosen = pick(entries, Counter(flood=2, other=1), 5, idle_tenants_only=False)
    # trickle (nothing running): its priority-5 attempt before its older one; then trickle and other at
    # one each, trickle's next attempt the older; then other (1 against trickle's 2), then flood's two.
    assert [e.payload.job_id for e in chosen] == ["trickle-4", "trickle-3", "other-5", "flood-1", "flood-2"]


async def test_pick_for_a_spare_lane_takes_one_attempt_per_idle_tenant_only() -> None:
    entries = [waiting("flood", 1), waiting("trickle", 2), waiting("trickle", 3), waiting("new", 4)]
    chosen = pick(entries, Counter(flood=2), 8, idle_tenants_only=True)
    assert [e.payload.job_id for e in chosen] == ["new-4", "trickle-2"]  # new holds fewer here
    assert pick([waiting("flood", 1)], Counter(flood=1), 8, idle_tenants_only=True) == []


async def test_a_tenant_with_nothing_running_starts_in_the_spare_lane_while_the_flood_waits_for_its_children(
) -> None:
    children = Children()
    queue = FairQueue(children.flush, lanes=2, spares=1, max_size=1)
    flood = [asyncio.create_task(queue.submit(payload("flood", n))) for n in range(4)]
    await children.until_started(2)
    assert children.running_ids() == {"flood-0", "flood-1"}  # the spare lane is not the flood's
    trickle = asyncio.create_task(queue.submit(payload("trickle", 0)))
    await children.until_started(3)
    assert children.started[2] == ["trickle-0"]
    children.end("trickle-0")
    outcome, handed = await trickle
    assert outcome.kind == "succeeded" and handed.lane == "spare" and handed.size == 1
    assert children.running_ids() == {"flood-0", "flood-1"}  # flood-2 and -3 still wait for a child
    children.end("flood-0")
    await children.until_started(4)
    assert children.started[3] == ["flood-2"]
    for job_id in ("flood-1", "flood-2"):
        children.end(job_id)
    await children.until_started(5)
    children.end("flood-3")
    assert [handed.lane for _, handed in await asyncio.gather(*flood)] == ["child"] * 4


async def test_without_a_spare_another_tenants_attempt_takes_the_next_free_child_before_the_flood(
) -> None:
    children = Children()
    queue = FairQueue(children.flush, lanes=1, spares=0, max_size=1)
    flood = [asyncio.create_task(queue.submit(payload("flood", n))) for n in range(3)]
    await children.until_started(1)
    trickle = asyncio.create_task(queue.submit(payload("trickle", 0)))
    await asyncio.sleep(0)
    assert len(children.started) == 1  # no spare lane: it waits
    children.end("flood-0")
    await children.until_started(2)
    assert children.started[1] == ["trickle-0"]  # before flood-1, queued earlier (FIFO ran flood-1)
    children.end("trickle-0")
    assert (await trickle)[1].lane == "child"
    for n in (1, 2):
        await children.until_started(1 + 1 + n)
        children.end(f"flood-{n}")
    await asyncio.gather(*flood)


async def test_attempts_arriving_together_share_a_batch_in_fair_order() -> None:
    children = Children()
    queue = FairQueue(children.flush, lanes=1, spares=1, max_size=8)
    submitted = [asyncio.create_task(queue.submit(payload(tenant, n)))
                 for n, tenant in enumerate(["a", "a", "a", "b"])]
    await children.until_started(1)
    assert children.started == [["b-3", "a-0", "a-1", "a-2"]]  # b holds fewer here, then a's by age
    children.end("a-0")  # the whole batch
    assert [handed.size for _, handed in await asyncio.gather(*submitted)] == [4] * 4


async def test_a_batch_that_raises_fails_each_of_its_callers() -> None:
    async def broken(payloads: Sequence[ChildPayload], lane: Lane) -> Sequence[Outcome]:
        raise RuntimeError("no child")

    queue = FairQueue(broken, lanes=1)
    with pytest.raises(RuntimeError, match="no child"):
        await queue.submit(payload("a", 0))
