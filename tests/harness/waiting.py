"""Wait for a condition with a deadline instead of sleeping a fixed time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

Retryable = tuple[type[BaseException], ...]


def assert_eventually(
    predicate: Callable[[], T],
    timeout: float = 10.0,
    interval: float = 0.05,
    retry_on: Retryable = (AssertionError,),
) -> T:
    """Call `predicate` until it returns something truthy and return that.

    Exceptions listed in `retry_on` count as "not yet"; anything else propagates at once.
    After `timeout` seconds an AssertionError is raised from the last failure.
    """
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while True:
        try:
            result = predicate()
            if result:
                return result
            last = None
        except retry_on as exc:
            last = exc
        if time.monotonic() >= deadline:
            raise AssertionError(_describe(predicate, timeout, last)) from last
        time.sleep(interval)


async def eventually(
    predicate: Callable[[], Awaitable[T]],
    timeout: float = 10.0,  # noqa: ASYNC109 - an overall deadline that also bounds each attempt
    interval: float = 0.05,
    retry_on: Retryable = (AssertionError,),
) -> T:
    """Async `assert_eventually`; an attempt still pending at the deadline is cancelled."""
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while True:
        remaining = deadline - time.monotonic()
        try:
            result = await asyncio.wait_for(predicate(), timeout=max(remaining, interval))
            if result:
                return result
            last = None
        except retry_on as exc:
            last = exc
        except TimeoutError as exc:
            last = exc
        if time.monotonic() >= deadline:
            raise AssertionError(_describe(predicate, timeout, last)) from last
        await asyncio.sleep(interval)


def _describe(predicate: Callable[..., object], timeout: float, last: BaseException | None) -> str:
    name = getattr(predicate, "__qualname__", repr(predicate))
    reason = f": {last!r}" if last is not None else " (it kept returning a falsy value)"
    return f"{name} did not hold within {timeout:g}s{reason}"
