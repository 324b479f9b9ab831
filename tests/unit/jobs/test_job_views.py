"""JobView: what BASIC leaves out of a job, and that it adds nothing."""

from __future__ import annotations

from assay.jobs.views import apply_view
from assay.v1 import job_pb2, sentiment_pb2
from assay.v1 import jobs_service_pb2 as js


def full_job() -> job_pb2.Job:
    return job_pb2.Job(
        id="j", analyzer="sentiment", state=job_pb2.Job.STATE_FAILED, progress=40,
        params=job_pb2.JobParams(sentiment=sentiment_pb2.SentimentParams(text_column="text")),
        inputs=job_pb2.JobInputs(text="long inline text", file_ids=["f1"], jobs=["d1"]),
        result=job_pb2.JobResult(sentiment=sentiment_pb2.SentimentResult(items_truncated=True)),
        artifacts=[job_pb2.Artifact(file_id="a1", name="out.csv")],
        error=job_pb2.JobError(code="INPUT_UNPARSEABLE", message="row 3 is not UTF-8", retryable=False))


def test_basic_keeps_state_progress_ids_and_the_error_code_and_drops_the_bodies() -> None:
    basic = apply_view(full_job(), js.JOB_VIEW_BASIC, js.JOB_VIEW_FULL)
    assert (basic.state, basic.progress, basic.analyzer) == (job_pb2.Job.STATE_FAILED, 40, "sentiment")
    assert list(basic.inputs.file_ids) == ["f1"] and list(basic.inputs.jobs) == ["d1"] and basic.inputs.text == ""
    assert basic.error.code == "INPUT_UNPARSEABLE" and basic.error.message == ""
    assert not basic.HasField("params") and not basic.HasField("result") and not basic.artifacts


def test_the_default_applies_when_the_view_is_unset_and_full_changes_nothing() -> None:
    assert apply_view(full_job(), js.JOB_VIEW_UNSPECIFIED, js.JOB_VIEW_FULL) == full_job()
    assert apply_view(full_job(), js.JOB_VIEW_FULL, js.JOB_VIEW_BASIC) == full_job()
    assert not apply_view(full_job(), js.JOB_VIEW_UNSPECIFIED, js.JOB_VIEW_BASIC).HasField("result")


def test_basic_adds_no_empty_error_or_inputs_to_a_job_without_them() -> None:
    bare = apply_view(job_pb2.Job(id="j"), js.JOB_VIEW_BASIC, js.JOB_VIEW_BASIC)
    assert not bare.HasField("error") and not bare.HasField("inputs")
