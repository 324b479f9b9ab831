"""Backoff with full jitter, per-dependency circuit breakers and the retry loop of the worker."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from assay.analysis.resilience import Backoff, Breakers, CircuitBreaker, retry_while_unreachable


def test_backoff_doubles_up_to_the_cap_with_full_jitter() -> None:
    backoff = Backoff(base=0.1, cap=1.0)
    for retry, bound in ((0, 0.1), (1, 0.2), (3, 0.8), (4, 1.0), (50, 1.0)):
        delays = [backoff.delay(retry) for _ in range(200)]
        assert all(0.0 <= d <= bound for d in delays)
        assert max(delays) > bound / 2  # spread over the range, not a fixed step


async def test_a_breaker_opens_after_the_threshold_and_the_first_success_closes_it() -> None:
    changes: list[bool] = []
    reported = asyncio.Event()
    breakers = Breakers(["ingest", "s3"], threshold=2, cooldown=60.0)

    async def record(closed: bool) -> None:
        changes.append(closed)
        if len(changes) == 2:
            reported.set()

    breakers.on_change(record)
    breakers["ingest"].failure()
    assert breakers.open() == []
    breakers["ingest"].failure()
    assert breakers.open() == ["ingest"]
    stop = asyncio.Event()
    waiting = asyncio.create_task(breakers.wait_all_closed(stop))
    await asyncio.sleep(0)
    assert not waiting.done()
    breakers["ingest"].success()
    await asyncio.wait_for(waiting, timeout=2)
    await asyncio.wait_for(reported.wait(), timeout=2)
    assert changes == [False, True]


async def test_an_open_breaker_lets_one_try_through_after_its_cooldown_and_stop_ends_the_wait() -> None:
    breaker = CircuitBreaker("jobs", threshold=1, cooldown=0.05)
    breaker.failure()
    assert breaker.is_open
    await asyncio.wait_for(breaker.wait_closed(), timeout=2)  # half-open: returns although not closed
    assert not breaker.closed
    breakers = Breakers(["jobs"], threshold=1, cooldown=60.0)
    breakers["jobs"].failure()
    stop = asyncio.Event()
    waiting = asyncio.create_task(breakers.wait_all_closed(stop))
    stop.set()
    await asyncio.wait_for(waiting, timeout=2)


def _unavailable() -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(grpc.StatusCode.UNAVAILABLE, grpc.aio.Metadata(), grpc.aio.Metadata())


async def test_retries_while_unreachable_until_an_answer_and_gives_up_at_the_budget() -> None:
    breaker = CircuitBreaker("jobs", threshold=2, cooldown=60.0)
    calls = 0

    async def flaky() -> str:
        nonlocal calls
        calls += 1
        if calls < 4:
            raise _unavailable()
        return "ok"

    def breaker_of(exc: BaseException) -> CircuitBreaker | None:
        return breaker if isinstance(exc, grpc.aio.AioRpcError) else None

    result = await retry_while_unreachable(flaky, what="CompleteJob", budget=10, backoff=Backoff(0.001, 0.01),
                                           breaker_of=breaker_of, reached=[breaker])
    assert (result, calls, breaker.closed) == ("ok", 4, True)

    async def down() -> str:
        raise _unavailable()

    with pytest.raises(grpc.aio.AioRpcError):
        await retry_while_unreachable(down, what="CompleteJob", budget=0.05, backoff=Backoff(0.01, 0.02),
                                      breaker_of=breaker_of, reached=[breaker])
    assert breaker.is_open

    async def refused() -> str:
        raise ValueError("the call's own fault")

    with pytest.raises(ValueError):
        await retry_while_unreachable(refused, what="CompleteJob", budget=10, backoff=Backoff(0.01, 0.02),
                                      breaker_of=breaker_of, reached=[breaker])
    assert breaker.closed  # it answered: reachable
