"""What each fetch loop of a worker is doing, and its free slots, are metrics (issue 21: the c1 stall,
where the small loop had ended silently and nothing showed it). Real NATS JetStream, PostgreSQL and the
in-process jobs service."""

from __future__ import annotations

from harness import eventually
from prometheus_client import REGISTRY
from worker_fixtures import Stack, stack  # noqa: F401 - fixture

from assay.analysis.registry import Registry
from assay.v1 import job_pb2

Job = job_pb2.Job


def registry() -> Registry:
    registry = Registry()
    registry.add_ref("worker_analyzers:SCRIPTED_BATCHED")  # small work: all three loops run
    return registry


def state(loop: str) -> str | None:
    """The loop's state on ``assay_worker_fetch_loop`` (None: no sample)."""
    for metric in REGISTRY.collect():
        if metric.name == "assay_worker_fetch_loop":
            for sample in metric.samples:
                if sample.labels.get("loop") == loop and sample.value == 1:
                    return sample.labels["assay_worker_fetch_loop"]
    return None


def free(loop: str) -> float | None:
    return REGISTRY.get_sample_value("assay_worker_free_slots", {"loop": loop})


async def test_an_idle_worker_s_loops_wait_for_a_doorbell_with_every_slot_free_and_say_when_they_stop(
        stack: Stack) -> None:  # noqa: F811
    ids = [(await stack.create("ok")).id for _ in range(8)]
    worker = await stack.start_worker(registry(), worker_concurrency=1, worker_small_concurrency=8)
    loops = [dispatcher.name for dispatcher in worker.dispatchers]
    assert loops == ["small", "reserve"]  # every source is small work: no ordinary fetch loop
    slots = dict(zip(("ordinary", "small", "reserve"), worker.slots, strict=True))
    try:
        async def all_done() -> bool | None:
            jobs = [await stack.get(job_id) for job_id in ids]
            return all(job.state == Job.STATE_SUCCEEDED for job in jobs) or None

        await eventually(all_done, timeout=30)

        async def idle() -> bool | None:
            every_slot_free = all(free(name) == held.capacity for name, held in slots.items())  # after the pace
            return (every_slot_free and all(state(loop) == "doorbell" for loop in loops)) or None

        await eventually(idle, timeout=10)
    finally:
        await worker.stop(2.0)
    assert {loop: state(loop) for loop in loops} == dict.fromkeys(loops, "stopped")
