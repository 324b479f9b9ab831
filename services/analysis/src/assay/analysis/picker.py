"""Which work source a worker takes its next job from: strict priority, with bounded patience,
and the worker's slots shared evenly among analyzers of one priority.

The rule, per worker: among the sources (one per analyzer and priority) that have work waiting,
take from the one of highest priority (ties: the one whose analyzer holds fewest of the worker's
slots, then the one that waited through most starts, then the first listed). Every start from a
higher priority while a source had work waiting passes that source over once; a source passed
over ``patience`` times is served before everything else (most passed over first). So higher priority
goes first, and lower priority still gets at least one start in every ``patience`` + (number of
sources) starts of a worker: slower under load, never starved.

Analyzers of one priority share the slots by the slots they *hold*, not by turns at starting: a
slot freed goes to the waiting analyzer holding fewest, and of several slots free at once a source
takes at most what brings its analyzer to an even share (``share``). Taking turns at starting let
a slow analyzer (a contract review, ~20 s) end up in every slot: each time a fast job ended, its
slot went to the slow one's turn, and the fast analyzer got one start per slow job ended.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from typing import Literal

Rule = Literal["priority", "patience"]


class PriorityPicker:
    """The order in which a worker tries its sources; sources are indices into ``priorities``."""

    def __init__(self, priorities: Sequence[int], patience: int, analyzers: Sequence[str] | None = None) -> None:
        """``analyzers``: each source's analyzer (the slots held are counted per analyzer, over all
        its priorities); None: every source an analyzer of its own."""
        if patience < 1:
            raise ValueError("patience must be at least 1")
        if analyzers is not None and len(analyzers) != len(priorities):
            raise ValueError("one analyzer per source")
        self._priorities = list(priorities)
        self._patience = patience
        self._passes = [0] * len(self._priorities)
        """Starts of a higher priority since the source's last start, while it had work waiting."""
        self._turns = [0] * len(self._priorities)
        """Starts of any other source since the source's last start, while it had work waiting."""
        self._analyzers = list(analyzers) if analyzers is not None else [str(i) for i in range(len(priorities))]
        self._held = dict.fromkeys(self._analyzers, 0)

    def order(self, waiting: Collection[int]) -> list[int]:
        """The sources with work waiting, in the order to try them."""
        def key(source: int) -> tuple[bool, int, int, int, int]:
            passes = self._passes[source]
            if self.overdue(source):
                return (False, -passes, -self._priorities[source], self.held(source), source)
            return (True, -self._priorities[source], self.held(source), -self._turns[source], source)
        return sorted(waiting, key=key)

    def share(self, source: int, free: int, waiting: Collection[int]) -> int:
        """How many of ``free`` slots ``source`` may take now: all of them when no other analyzer of its
        priority has work waiting, else at least one and at most what brings its analyzer's slots to an
        even share of those the waiting analyzers of that priority hold and the free ones."""
        priority = self._priorities[source]
        peers = {self._analyzers[other] for other in waiting if self._priorities[other] == priority}
        peers.add(self._analyzers[source])
        if len(peers) == 1:
            return free
        even = math.ceil((free + sum(self._held[analyzer] for analyzer in peers)) / len(peers))
        return max(1, min(free, even - self.held(source)))

    def held(self, source: int) -> int:
        """The worker's slots the source's analyzer holds now."""
        return self._held[self._analyzers[source]]

    def occupied(self, source: int, count: int = 1) -> None:
        """``count`` slots were taken by jobs of ``source``."""
        self._held[self._analyzers[source]] += count

    def freed(self, source: int) -> None:
        """A job of ``source`` gave its slot back."""
        self._held[self._analyzers[source]] -= 1

    def overdue(self, source: int) -> bool:
        """Whether the source was passed over often enough to be served before higher priorities."""
        return self._passes[source] >= self._patience

    def rule(self, source: int) -> Rule:
        """Why the source is served now (for metrics): its priority, or its patience ran out."""
        return "patience" if self.overdue(source) else "priority"

    def started(self, source: int, count: int, waiting: Collection[int]) -> None:
        """``count`` jobs started from ``source``: every other waiting source was passed over (towards
        its patience only by a higher priority: its own priority's analyzers share by slots held)."""
        self._passes[source] = 0
        self._turns[source] = 0
        for other in waiting:
            if other != source:
                self._turns[other] += count
                if self._priorities[other] < self._priorities[source]:
                    self._passes[other] += count

    def drained(self, source: int) -> None:
        """The source had nothing to deliver (its messages run elsewhere or wait for a retry)."""
        self._passes[source] = 0
        self._turns[source] = 0

    def passes(self, source: int) -> int:
        return self._passes[source]
