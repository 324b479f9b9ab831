"""Which work source a worker takes its next job from: strict priority, with bounded patience.

The rule, per worker: among the sources (one per analyzer and priority) that have work waiting,
take from the one of highest priority (ties: the one passed over most often, then the first
listed). Every start from another source while a source had work waiting passes that source over
once; a source passed over ``patience`` times is served before everything else (most passed over
first). So higher priority goes first, and lower priority still gets at least one start in every
``patience`` + (number of sources) starts of a worker: slower under load, never starved.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Literal

Rule = Literal["priority", "patience"]


class PriorityPicker:
    """The order in which a worker tries its sources; sources are indices into ``priorities``."""

    def __init__(self, priorities: Sequence[int], patience: int) -> None:
        if patience < 1:
            raise ValueError("patience must be at least 1")
        self._priorities = list(priorities)
        self._patience = patience
        self._passes = [0] * len(self._priorities)

    def order(self, waiting: Collection[int]) -> list[int]:
        """The sources with work waiting, in the order to try them."""
        def key(source: int) -> tuple[bool, int, int, int]:
            passes = self._passes[source]
            if self.overdue(source):
                return (False, -passes, -self._priorities[source], source)
            return (True, -self._priorities[source], -passes, source)
        return sorted(waiting, key=key)

    def overdue(self, source: int) -> bool:
        """Whether the source was passed over often enough to be served before higher priorities."""
        return self._passes[source] >= self._patience

    def rule(self, source: int) -> Rule:
        """Why the source is served now (for metrics): its priority, or its patience ran out."""
        return "patience" if self.overdue(source) else "priority"

    def started(self, source: int, count: int, waiting: Collection[int]) -> None:
        """``count`` jobs started from ``source``: every other waiting source was passed over."""
        self._passes[source] = 0
        for other in waiting:
            if other != source:
                self._passes[other] += count

    def drained(self, source: int) -> None:
        """The source had nothing to deliver (its messages run elsewhere or wait for a retry)."""
        self._passes[source] = 0

    def passes(self, source: int) -> int:
        return self._passes[source]
