"""The job cache: newest state wins, tenants never see each other's jobs, entries expire."""

from __future__ import annotations

from assay.common.byte_cache import ENTRY_OVERHEAD
from assay.jobs.cache import JobCache
from assay.v1 import events_pb2, job_pb2

Job = job_pb2.Job


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def job(job_id: str = "j1", state: int = Job.STATE_QUEUED, tenant: str = "acme") -> job_pb2.Job:
    return Job(id=job_id, tenant_id=tenant, state=state)


def event(state: int, sequence: int, job_id: str = "j1") -> tuple[str, bytes]:
    payload = events_pb2.JobEvent(sequence=sequence, job=job(job_id, state)).SerializeToString()
    return f"assay.events.acme.{job_id}", payload


def test_a_cached_job_is_returned_to_its_own_tenant_only():
    cache = JobCache(max_bytes=64 * 1024, ttl_seconds=5)
    cache.put(job(), 1)
    assert cache.get("acme", "j1") == job()
    assert cache.get("globex", "j1") is None


def test_an_older_state_never_replaces_a_newer_one():
    cache = JobCache(max_bytes=64 * 1024, ttl_seconds=5)
    cache.put(job(state=Job.STATE_SUCCEEDED), 3)
    cache.put(job(state=Job.STATE_RUNNING), 2)
    assert cache.get("acme", "j1").state == Job.STATE_SUCCEEDED


def test_an_entry_expires_after_its_time_to_live():
    clock = Clock()
    cache = JobCache(max_bytes=64 * 1024, ttl_seconds=2, clock=clock)
    cache.put(job(), 1)
    clock.now += 1.9
    assert cache.get("acme", "j1") is not None
    clock.now += 0.2
    assert cache.get("acme", "j1") is None


def test_the_least_recently_used_job_is_evicted_at_capacity():
    one = ENTRY_OVERHEAD + len(job("a").SerializeToString())
    cache = JobCache(max_bytes=2 * one, ttl_seconds=5)
    cache.put(job("a"), 1)
    cache.put(job("b"), 1)
    assert cache.get("acme", "a") is not None  # b is now the least recently used
    cache.put(job("c"), 1)
    assert cache.get("acme", "b") is None
    assert cache.get("acme", "a") is not None
    assert len(cache) == 2


def test_events_refresh_cached_jobs_forward_only_and_add_uncached_ones():
    cache = JobCache(max_bytes=64 * 1024, ttl_seconds=5)
    cache.put(job(), 2)
    cache.apply_event(*event(Job.STATE_SUCCEEDED, 4))
    cache.apply_event(*event(Job.STATE_RUNNING, 3))  # late and out of order
    assert cache.get("acme", "j1").state == Job.STATE_SUCCEEDED
    cache.apply_event(*event(Job.STATE_QUEUED, 1, job_id="other"))  # another process's job
    assert cache.get("acme", "other").state == Job.STATE_QUEUED
    assert cache.get("globex", "other") is None


def test_a_zero_size_or_zero_lifetime_cache_keeps_nothing():
    for cache in (JobCache(max_bytes=0, ttl_seconds=5), JobCache(max_bytes=64 * 1024, ttl_seconds=0)):
        cache.put(job(), 1)
        assert cache.get("acme", "j1") is None


def test_large_results_cannot_grow_the_cache_past_its_byte_bound():
    """Issue 20 item 6: 200 jobs with ~1 MB results in a 4 MiB cache hold at most 4 MiB."""
    bound = 4 * 1024 * 1024
    cache = JobCache(max_bytes=bound, ttl_seconds=5)
    for index in range(200):
        big = job(f"j{index}", Job.STATE_SUCCEEDED)
        big.error.message = "x" * (1024 * 1024)
        cache.put(big, 3)
        assert cache.nbytes <= bound
    assert 1 <= len(cache) <= 4
    assert cache.get("acme", "j199").error.message == "x" * (1024 * 1024)
    assert cache.get("acme", "j0") is None


def test_a_job_larger_than_the_whole_cache_is_not_kept():
    cache = JobCache(max_bytes=1024, ttl_seconds=5)
    big = job()
    big.error.message = "x" * 2048
    cache.put(big, 1)
    assert cache.get("acme", "j1") is None and cache.nbytes == 0


def test_a_finished_job_is_kept_longer_than_a_running_one():
    clock = Clock()
    cache = JobCache(max_bytes=64 * 1024, ttl_seconds=2, clock=clock, finished_ttl_seconds=60)
    cache.put(job("running", Job.STATE_RUNNING), 2)
    cache.put(job("done", Job.STATE_SUCCEEDED), 3)
    clock.now += 30
    assert cache.get("acme", "running") is None
    assert cache.get("acme", "done") is not None
    clock.now += 31
    assert cache.get("acme", "done") is None


def test_a_state_read_before_a_newer_event_of_an_uncached_job_is_not_cached():
    """Another process completes the job while this one reads it from the database: the event
    finds no entry, and the older state the read returns must not be cached after it."""
    cache = JobCache(max_bytes=64 * 1024, ttl_seconds=5)
    cache.apply_event(*event(Job.STATE_SUCCEEDED, 3))
    cache.put(job(state=Job.STATE_RUNNING), 2)
    assert cache.get("acme", "j1").state == Job.STATE_SUCCEEDED
    one = ENTRY_OVERHEAD + len(job(state=Job.STATE_SUCCEEDED).SerializeToString())
    small = JobCache(max_bytes=one, ttl_seconds=5)  # room for one job
    small.apply_event(*event(Job.STATE_SUCCEEDED, 3))
    small.apply_event(*event(Job.STATE_SUCCEEDED, 3, job_id="j2"))  # j1 evicted, its sequence remembered
    small.put(job(state=Job.STATE_RUNNING), 2)
    assert small.get("acme", "j1") is None


def test_a_deleted_job_read_before_its_deletion_is_not_cached_again():
    cache = JobCache(max_bytes=64 * 1024, ttl_seconds=5)
    subject, _ = event(Job.STATE_SUCCEEDED, 3)
    cache.apply_event(subject, events_pb2.JobEvent(sequence=4, deleted=True).SerializeToString())
    cache.put(job(state=Job.STATE_SUCCEEDED), 3)
    assert cache.get("acme", "j1") is None
    cache.put(job("j2", state=Job.STATE_SUCCEEDED), 3)
    cache.forget("j2")  # DeleteJob in this process, a concurrent read putting what it read before
    cache.put(job("j2", state=Job.STATE_SUCCEEDED), 3)
    assert cache.get("acme", "j2") is None


def test_only_the_latest_events_of_uncached_jobs_are_remembered(monkeypatch):
    monkeypatch.setattr("assay.jobs.cache.RECENT_EVENTS", 2)
    cache = JobCache(max_bytes=64 * 1024, ttl_seconds=5)
    for job_id in ("a", "b", "c"):
        cache.forget(job_id)
    cache.put(job("a", state=Job.STATE_RUNNING), 2)  # "a" was forgotten: cached (bounded by its TTL)
    cache.put(job("c", state=Job.STATE_RUNNING), 2)
    assert cache.get("acme", "a") is not None
    assert cache.get("acme", "c") is None
