"""The latest event sequence of recently evicted or deleted jobs, so a read older than it is not cached.

A cache fed by lifecycle events (the jobs service's GetJob cache, the gateway's job view) fills a
miss by reading the job, and an event can arrive while that read is in flight — when there is no
entry to apply it to. Without a record of it, the read's older state would be cached after it: a
job moved backwards, or a deleted job answered until its entry expires. The record is bounded: the
race it closes lasts one read, and the last ``limit`` ids are plenty for that.
"""

from __future__ import annotations

import sys
from collections import OrderedDict

GONE = sys.maxsize
"""The sequence noted for a deleted job: no state of it is newer."""


class RecentSequences:
    """Job id → the highest event sequence noted for it, for the last ``limit`` ids noted."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._sequences: OrderedDict[str, int] = OrderedDict()

    def note(self, job_id: str, sequence: int) -> None:
        """Record that ``job_id`` reached ``sequence`` (``GONE`` once deleted); a lower one is kept out."""
        if self._sequences.get(job_id, -1) >= sequence:
            return
        self._sequences[job_id] = sequence
        self._sequences.move_to_end(job_id)
        if len(self._sequences) > self._limit:
            self._sequences.popitem(last=False)

    def supersedes(self, job_id: str, sequence: int) -> bool:
        """True when a state of ``job_id`` at ``sequence`` is older than one noted (or the job is gone)."""
        return self._sequences.get(job_id, -1) > sequence

    def __len__(self) -> int:
        return len(self._sequences)
