"""Group commit: calls that arrive together are served by one batch operation, each caller still
getting its own answer (or its own error).

A caller ``submit``s an item and awaits its answer. While fewer than ``concurrency`` batches are in
flight, a new batch starts at the next turn of the event loop (after ``max_wait`` seconds, if set)
and takes up to ``max_size`` waiting items; when ``concurrency`` batches are already in flight, new
items wait for one of them to end and go together in the next. Under light load a call waits one
turn of the loop; under load the batches grow to what one batch operation absorbs — the group
commit of database logs, which costs no fixed delay.

``flush(items)`` returns one answer per item, in order: a value, or an exception that only that
item's caller receives. If ``flush`` raises, every item of that batch receives the exception. A
caller cancelled before its batch was taken is left out of it. A batch runs in a context of its
own (no caller's span or log context).
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

import prometheus_client

T = TypeVar("T")
R = TypeVar("R")

BATCH_SIZE = prometheus_client.Histogram(
    "assay_group_commit_batch_size", "Items served by one batch operation, by batcher.", ["batcher"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)

Flush = Callable[[Sequence[T]], Awaitable[Sequence[R | BaseException]]]


class GroupCommitter(Generic[T, R]):
    """Collects concurrent ``submit`` calls into batches for ``flush``."""

    def __init__(self, name: str, flush: Flush[T, R], *, max_size: int = 64, concurrency: int = 1,
                 max_wait: float = 0.0) -> None:
        if max_size < 1 or concurrency < 1 or max_wait < 0:
            raise ValueError("max_size and concurrency must be at least 1, max_wait not negative")
        self.name = name
        self._flush = flush
        self._max_size = max_size
        self._concurrency = concurrency
        self._max_wait = max_wait
        self._waiting: collections.deque[tuple[T, asyncio.Future[R]]] = collections.deque()
        self._in_flight = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._sizes = BATCH_SIZE.labels(batcher=name)

    @property
    def max_size(self) -> int:
        return self._max_size

    @max_size.setter
    def max_size(self, size: int) -> None:
        """Batches starting from now take at most ``size`` items (at least 1)."""
        if size < 1:
            raise ValueError("max_size must be at least 1")
        self._max_size = size

    async def submit(self, item: T) -> R:
        """``item``'s answer from the batch it was flushed in."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        self._start_batches()
        return await future

    def _start_batches(self) -> None:
        while self._waiting and self._in_flight < self._concurrency:
            self._in_flight += 1
            # A context of its own: the batch is not part of the trace (or log context) of whichever
            # caller happened to start it.
            task = asyncio.get_running_loop().create_task(
                self._run_batch(), name=f"group-commit-{self.name}", context=contextvars.Context())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            if len(self._waiting) <= self._max_size:
                break  # one new batch takes them all (those arriving before it runs included)

    async def _run_batch(self) -> None:
        try:
            await asyncio.sleep(self._max_wait)  # at least one turn of the loop: callers ready now join
            batch: list[tuple[T, asyncio.Future[R]]] = []
            while self._waiting and len(batch) < self._max_size:
                item, future = self._waiting.popleft()
                if not future.done():  # its caller was cancelled meanwhile
                    batch.append((item, future))
            if batch:
                self._sizes.observe(len(batch))
                await self._serve(batch)
        finally:
            self._in_flight -= 1
            self._start_batches()

    async def _serve(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            answers = await self._flush([item for item, _ in batch])
            if len(answers) != len(batch):
                raise RuntimeError(f"{self.name}: flush answered {len(answers)} of {len(batch)} items")
        except asyncio.CancelledError:
            for _, future in batch:
                future.cancel()
            raise
        except Exception as error:  # the batch failed whole: each caller gets the error
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for (_, future), answer in zip(batch, answers, strict=True):
            if future.done():
                continue
            if isinstance(answer, BaseException):
                future.set_exception(answer)
            else:
                future.set_result(answer)

    async def close(self) -> None:
        """Wait for the batches in flight (new submits still start batches)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
