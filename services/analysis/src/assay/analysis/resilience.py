"""Waiting out a dependency outage: exponential backoff with full jitter, and a circuit breaker
per dependency (jobs, ingest, s3) that the fetch loop and readiness consult.

A dependency being down is not the job's fault: while a call keeps failing for that reason the
worker waits and retries (holding the job's lease) rather than spending one of its attempts.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import grpc
from opentelemetry import trace

from assay.analysis.metrics import BREAKER_OPEN, DEPENDENCY_RETRIES

logger = logging.getLogger(__name__)
T = TypeVar("T")

DEPENDENCY_RETRY_EVENT = "assay.dependency_retry"
"""Added to the current span (the delivery's ``process`` span) for each retry of an unreachable dependency."""
DEPENDENCIES = ("jobs", "ingest", "s3")
"""What a worker depends on, each with its circuit breaker."""
UNREACHABLE = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})
"""gRPC codes that say "the service could not be reached", not "the request is wrong"."""


@dataclass(frozen=True)
class Backoff:
    """Delay before retry ``n`` (0-based): uniform in [0, min(cap, base * 2**n)] ("full jitter")."""

    base: float = 0.2
    cap: float = 5.0

    def delay(self, retry: int) -> float:
        return random.uniform(0.0, min(self.cap, self.base * 2 ** min(retry, 30)))


DEFAULT_BACKOFF = Backoff()


class CircuitBreaker:
    """Opens after ``threshold`` consecutive failures; while open (``cooldown`` seconds, renewed by
    each further failure) the worker fetches no new work. The first success closes it."""

    def __init__(self, name: str, threshold: int = 3, cooldown: float = 5.0,
                 on_change: Callable[[], None] = lambda: None) -> None:
        self.name = name
        self._on_change = on_change
        self._threshold = threshold
        self._cooldown = cooldown
        self._failures = 0
        self._open_until = 0.0
        self._closed = asyncio.Event()
        self._closed.set()
        BREAKER_OPEN.labels(dependency=name).set(0)

    @property
    def closed(self) -> bool:
        """No failure streak past the threshold (unlike ``is_open``, a cooled-down breaker is not closed)."""
        return self._closed.is_set()

    @property
    def is_open(self) -> bool:
        return self._failures >= self._threshold and time.monotonic() < self._open_until

    def failure(self) -> None:
        self._failures += 1
        if self._failures >= self._threshold:
            opening = self._closed.is_set()
            self._open_until = time.monotonic() + self._cooldown
            self._closed.clear()
            BREAKER_OPEN.labels(dependency=self.name).set(1)
            if opening:
                logger.warning("dependency unreachable: circuit open", extra={"dependency": self.name})
                self._on_change()

    def success(self) -> None:
        closing = not self._closed.is_set()
        self._failures = 0
        self._closed.set()
        BREAKER_OPEN.labels(dependency=self.name).set(0)
        if closing:
            logger.info("dependency reachable again: circuit closed", extra={"dependency": self.name})
            self._on_change()

    async def wait_closed(self) -> None:
        """Return once closed, or once the cooldown ran out (half-open: one more try is allowed)."""
        while self.is_open:
            remaining = self._open_until - time.monotonic()
            try:
                async with asyncio.timeout(max(remaining, 0.01)):
                    await self._closed.wait()
            except TimeoutError:
                return


class Breakers:
    """The worker's breakers by dependency name."""

    def __init__(self, names: Iterable[str], threshold: int = 3, cooldown: float = 5.0) -> None:
        self._by_name = {name: CircuitBreaker(name, threshold, cooldown, self._changed) for name in names}
        self._listeners: list[Callable[[bool], Coroutine[Any, Any, None]]] = []
        self._reports: set[asyncio.Task[None]] = set()

    def on_change(self, listener: Callable[[bool], Coroutine[Any, Any, None]]) -> None:
        """``listener(all_closed)`` is called (in a task) whenever a breaker opens or closes."""
        self._listeners.append(listener)

    def _changed(self) -> None:
        closed = all(breaker.closed for breaker in self._by_name.values())
        for listener in self._listeners:
            task = asyncio.get_running_loop().create_task(listener(closed))
            self._reports.add(task)
            task.add_done_callback(self._reports.discard)

    def __getitem__(self, name: str) -> CircuitBreaker:
        return self._by_name[name]

    def open(self) -> list[str]:
        return [name for name, breaker in self._by_name.items() if breaker.is_open]

    async def wait_all_closed(self, stop: asyncio.Event) -> None:
        """Return once no breaker is open (cooled-down ones let one try through), or once ``stop`` is set."""
        if not self.open():
            return
        waiting = asyncio.ensure_future(self._wait_all())
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({waiting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (waiting, stopping):
                task.cancel()

    async def _wait_all(self) -> None:
        for breaker in self._by_name.values():
            await breaker.wait_closed()


async def retry_while_unreachable(call: Callable[[], Awaitable[T]], *, what: str, budget: float, backoff: Backoff,
                                  breaker_of: Callable[[BaseException], CircuitBreaker | None],
                                  reached: Iterable[CircuitBreaker]) -> T:
    """Call until it succeeds, fails otherwise, or ``budget`` seconds of unreachability have passed
    (the last failure is then raised). ``breaker_of`` names the breaker a failure charges (None: the
    failure is the call's own, not unreachability); an answer of any kind closes ``reached``."""
    deadline = time.monotonic() + budget
    retry = 0
    while True:
        try:
            result = await call()
        except Exception as exc:
            breaker = breaker_of(exc)
            if breaker is None:
                for reachable in reached:
                    reachable.success()
                raise
            breaker.failure()
            delay = backoff.delay(retry)
            if time.monotonic() + delay > deadline:
                raise
            DEPENDENCY_RETRIES.labels(dependency=breaker.name, call=what).inc()
            trace.get_current_span().add_event(DEPENDENCY_RETRY_EVENT, {
                "assay.dependency": breaker.name, "rpc.method": what, "assay.retry": retry + 1,
                "assay.retry_delay_seconds": delay, "exception.message": str(exc)[:200]})
            logger.info("dependency unreachable; retrying", extra={"dependency": breaker.name, "call": what,
                                                                   "delay": round(delay, 3)})
            retry += 1
            await asyncio.sleep(delay)  # the backoff itself, not synchronisation
        else:
            for reachable in reached:
                reachable.success()
            return result
