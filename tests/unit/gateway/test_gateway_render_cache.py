"""The gateway's cache of rendered job bodies gives exactly what JSONResponse(to_json(job)) gives."""

from __future__ import annotations

from fastapi.responses import JSONResponse

from assay.common.byte_cache import ENTRY_OVERHEAD
from assay.gateway.json import RenderCache, to_json
from assay.v1 import job_pb2


def job(progress: int = 100, text: str = "I love it") -> job_pb2.Job:
    found = job_pb2.Job(id="j-1", tenant_id="dev", analyzer="sentiment", state=job_pb2.Job.STATE_SUCCEEDED,
                        progress=progress)
    found.inputs.text = text
    found.update_time.FromJsonString("2026-01-02T03:04:05.123456Z")
    found.result.sentiment.statistics.mean_compound = 0.6369
    found.result.sentiment.items.add().scores.compound = 0.5
    return found


def test_the_body_is_byte_for_byte_the_json_response_body_and_repeats_come_from_the_cache() -> None:
    cache = RenderCache()
    first = cache.body(job(text="ünïcode ✓"))
    assert first == JSONResponse(to_json(job(text="ünïcode ✓"))).body
    assert cache.body(job(text="ünïcode ✓")) is first


def test_a_changed_job_is_rendered_again_and_old_entries_are_evicted() -> None:
    key, body = job(progress=1).SerializeToString(deterministic=True), RenderCache().body(job(progress=1))
    cache = RenderCache(max_bytes=2 * (len(key) + len(body) + ENTRY_OVERHEAD))  # room for two
    bodies = [cache.body(job(progress=p)) for p in (1, 2, 3)]
    assert len(cache._bodies) == 2 and cache.nbytes <= 2 * (len(key) + len(body) + ENTRY_OVERHEAD)
    assert [b[b.index(b'"progress"'):][:12] for b in bodies] == [b'"progress":1', b'"progress":2', b'"progress":3']
    assert cache.body(job(progress=3)) is bodies[2]
    assert cache.body(job(progress=1)) is not bodies[0]  # evicted, rendered again
    assert cache.body(job(progress=1)) == bodies[0]


def test_large_messages_are_rendered_but_not_kept() -> None:
    cache = RenderCache(max_message_bytes=64)
    big = job(text="x" * 100)
    assert cache.body(big) == JSONResponse(to_json(big)).body
    assert cache.body(big) is not cache.body(big)
