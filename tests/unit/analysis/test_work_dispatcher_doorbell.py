"""The worker's fetch loop and a doorbell that rings before the message can be pulled.

JetStream announces a stored work message (its doorbell) before the source's consumer can always
deliver it, so a no-wait pull made at once on the doorbell may come back short. The loop used to
drop the source on that answer and found the message only at its next look, 2 s later: measured as
stalls of the whole pipeline in ``make bench`` (bench/README.md). A source is now dropped only by a
short answer ``RECHECK_SECONDS`` after the first one that followed its doorbell.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from assay.analysis import consumer
from assay.analysis.config import AnalysisSettings
from assay.analysis.consumer import RECHECK_SECONDS, Slots, WorkDispatcher, WorkSource
from assay.common.nats import stored_subject

SOURCE = WorkSource(analyzer="sentiment", priority=0, consumer="analysis-sentiment-p0",
                    subject="assay.work.sentiment.p0")


class FakeStream:
    async def stream_info(self, *_args: Any, **_kwargs: Any) -> Any:
        return SimpleNamespace(state=SimpleNamespace(subjects={}))


class FakeNats:
    def jetstream(self) -> FakeStream:
        return FakeStream()


class ScriptedPull:
    """Answers each pull with the next list of messages of its script."""

    def __init__(self, *answers: list[Any]) -> None:
        self.answers = list(answers)
        self.pulls = 0

    async def pull(self, batch: int) -> list[Any]:
        self.pulls += 1
        return self.answers.pop(0) if self.answers else []

    async def close(self) -> None:
        pass


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(consumer.time, "monotonic", clock)
    return clock


async def fetch_loop(pull: ScriptedPull) -> tuple[WorkDispatcher, list[Any]]:
    handled: list[Any] = []

    async def handler(_analyzer: str, msg: Any, release: Any) -> None:
        handled.append(msg)
        release()

    dispatcher = WorkDispatcher(FakeNats(), [SOURCE], AnalysisSettings(), Slots(4), handler,  # type: ignore[arg-type]
                                tasks=set())
    dispatcher._pulls = [pull]  # type: ignore[list-item]
    await dispatcher._ring(SimpleNamespace(subject=stored_subject(SOURCE.subject)))  # type: ignore[arg-type]
    return dispatcher, handled


async def test_a_short_answer_right_after_the_doorbell_keeps_the_source_for_a_prompt_second_pull(clock: Clock) -> None:
    message = SimpleNamespace(subject=SOURCE.subject)
    pull = ScriptedPull([], [message])  # the consumer has not got the rung message yet, then has it
    dispatcher, _ = await fetch_loop(pull)

    assert await dispatcher._dispatch(4) == 0
    assert 0 in dispatcher._waiting  # dropped here before: the message waited for the next look (2 s)
    assert dispatcher._idle_wait_seconds() == RECHECK_SECONDS

    clock.now += RECHECK_SECONDS
    assert await dispatcher._dispatch(4) == 1
    assert pull.pulls == 2


async def test_the_source_is_dropped_when_it_is_still_short_after_the_recheck(clock: Clock) -> None:
    dispatcher, _ = await fetch_loop(ScriptedPull([], [], []))

    assert await dispatcher._dispatch(4) == 0
    assert await dispatcher._dispatch(4) == 0  # at once: still within the recheck, still kept
    assert 0 in dispatcher._waiting
    clock.now += RECHECK_SECONDS * 1.5
    assert await dispatcher._dispatch(4) == 0
    assert 0 not in dispatcher._waiting  # nothing there after all: the next doorbell or look finds more
    assert dispatcher._idle_wait_seconds() == AnalysisSettings().worker_fetch_timeout_seconds
