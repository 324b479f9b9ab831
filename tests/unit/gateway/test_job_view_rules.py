"""The gateway's job view: answers only live, fresh, for the job's own tenant with a reading role;
never moves a job backwards; bounded by bytes."""

from __future__ import annotations

from prometheus_client import REGISTRY

from assay.common.auth import TokenVerifier, mint_token
from assay.common.byte_cache import ENTRY_OVERHEAD
from assay.common.config import CommonSettings
from assay.common.interceptors import CachingVerifier
from assay.gateway.job_view import JobView
from assay.gateway.json import render, to_json
from assay.v1 import events_pb2, job_pb2

Job = job_pb2.Job
SETTINGS = CommonSettings(jwt_hs256_secret="unit-test-secret-0123456789abcdef0123")
ACME = mint_token(SETTINGS, subject="alice", tenant="acme", roles=["readonly"])


class Clock:
    now = 100.0

    def __call__(self) -> float:
        return self.now


def view(max_bytes: int = 1 << 20, clock: Clock | None = None) -> JobView:
    found = JobView(max_bytes, 2.0, CachingVerifier(TokenVerifier(SETTINGS)), clock=clock or Clock())
    found.set_live(True)
    return found


def job(state: int = Job.STATE_QUEUED, sequence: int = 1, job_id: str = "j1", tenant: str = "acme") -> job_pb2.Job:
    return Job(id=job_id, tenant_id=tenant, analyzer="sentiment", state=state, event_sequence=sequence)


def event(found: job_pb2.Job) -> bytes:
    return events_pb2.JobEvent(sequence=found.event_sequence, job=found).SerializeToString()


def test_the_body_is_the_jobs_json_for_its_tenant_only_and_for_reading_roles_only() -> None:
    jobs = view()
    jobs.remember(job())
    assert jobs.body(ACME, "j1") == render(to_json(job()))
    assert jobs.body(mint_token(SETTINGS, subject="eve", tenant="globex", roles=["admin"]), "j1") is None
    assert jobs.body(mint_token(SETTINGS, subject="bob", tenant="acme", roles=[]), "j1") is None
    assert jobs.body("not-a-token", "j1") is None


def test_events_move_jobs_forward_only() -> None:
    jobs = view()
    jobs.apply_event(event(job(Job.STATE_SUCCEEDED, 3)))
    jobs.apply_event(event(job(Job.STATE_RUNNING, 2)))  # late
    jobs.remember(job(Job.STATE_QUEUED, 1))  # a CreateJob answer overtaken by the job's events
    assert b'"state":"STATE_SUCCEEDED"' in (jobs.body(ACME, "j1") or b"")


def test_an_entry_not_updated_for_its_lifetime_is_asked_of_jobs_again() -> None:
    clock = Clock()
    jobs = view(clock=clock)
    jobs.remember(job())
    clock.now += 1.9
    assert jobs.body(ACME, "j1") is not None
    clock.now += 0.2
    assert jobs.body(ACME, "j1") is None


def test_not_live_it_answers_nothing_and_going_live_again_drops_what_it_held() -> None:
    jobs = view()
    jobs.remember(job())
    jobs.set_live(False)
    assert jobs.body(ACME, "j1") is None
    jobs.remember(job())
    jobs.set_live(True)
    assert len(jobs) == 0 and jobs.body(ACME, "j1") is None


def test_the_view_never_holds_more_than_its_byte_budget() -> None:
    one = len(job(job_id="j0000").SerializeToString()) + ENTRY_OVERHEAD
    jobs = view(max_bytes=50 * one)
    for index in range(1_000):
        jobs.remember(job(job_id=f"j{index:04}"))
        assert jobs.nbytes <= 50 * one
    assert len(jobs) == 50


def test_a_finished_job_stays_answerable_longer_than_a_running_one() -> None:
    clock = Clock()
    jobs = JobView(1 << 20, 2.0, CachingVerifier(TokenVerifier(SETTINGS)), clock=clock, finished_ttl_seconds=60)
    jobs.set_live(True)
    jobs.remember(job(Job.STATE_RUNNING, 2))
    jobs.remember(job(Job.STATE_SUCCEEDED, 3, job_id="j2"))
    clock.now += 30
    assert jobs.body(ACME, "j1") is None and jobs.body(ACME, "j2") is not None
    clock.now += 31
    assert jobs.body(ACME, "j2") is None


def test_a_deleted_event_drops_the_job_and_a_late_event_of_it_is_not_taken_back_as_newer() -> None:
    jobs = view()
    jobs.apply_event(event(job(Job.STATE_SUCCEEDED, 3)))
    notice = events_pb2.JobEvent(sequence=4, job=Job(id="j1", tenant_id="acme", state=Job.STATE_SUCCEEDED),
                                 deleted=True)
    jobs.apply_event(notice.SerializeToString())
    assert jobs.body(ACME, "j1") is None and len(jobs) == 0


def test_a_getjob_answer_read_before_the_deletion_is_not_taken_after_its_event() -> None:
    jobs = view()
    notice = events_pb2.JobEvent(sequence=4, job=Job(id="j1", tenant_id="acme"), deleted=True)
    jobs.apply_event(notice.SerializeToString())  # the job was not held: a read of it is in flight
    jobs.remember(job(Job.STATE_SUCCEEDED, 3))  # that read's answer, from before the deletion
    jobs.apply_event(event(job(Job.STATE_SUCCEEDED, 3)))  # or a late event of it
    assert jobs.body(ACME, "j1") is None and len(jobs) == 0


def test_deletions_through_this_gateway_are_remembered_too() -> None:
    jobs = view()
    jobs.remember(job(Job.STATE_SUCCEEDED, 3))
    jobs.forget("j1")
    jobs.remember(job(Job.STATE_SUCCEEDED, 3))
    assert jobs.body(ACME, "j1") is None


def renders_so_far() -> float:
    return REGISTRY.get_sample_value("assay_gateway_job_view_renders_total") or 0.0


def test_each_job_version_is_rendered_once_however_often_it_is_read() -> None:
    jobs = view()
    renders = renders_so_far()
    jobs.apply_event(event(job(Job.STATE_RUNNING, 2)))
    bodies = {jobs.body(ACME, "j1") for _ in range(3)}
    assert len(bodies) == 1 and renders_so_far() == renders + 1
    jobs.apply_event(event(job(Job.STATE_SUCCEEDED, 3)))
    assert b'"state":"STATE_SUCCEEDED"' in (jobs.body(ACME, "j1") or b"") and jobs.body(ACME, "j1") is not None
    assert renders_so_far() == renders + 2
    jobs.remember(job(Job.STATE_SUCCEEDED, 3, job_id="j2"), render(to_json(job(Job.STATE_SUCCEEDED, 3, "j2"))))
    assert jobs.body(ACME, "j2") is not None and renders_so_far() == renders + 2, "given rendered"
