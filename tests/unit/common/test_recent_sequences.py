"""The bounded record of recent event sequences that keeps caches from taking older reads."""

from __future__ import annotations

from assay.common.recent_sequences import GONE, RecentSequences


def test_a_state_older_than_the_noted_sequence_is_superseded_and_an_equal_or_newer_one_is_not() -> None:
    recent = RecentSequences(4)
    recent.note("j1", 5)
    assert recent.supersedes("j1", 4)
    assert not recent.supersedes("j1", 5) and not recent.supersedes("j1", 6)
    assert not recent.supersedes("j2", 1)


def test_a_lower_sequence_never_replaces_a_higher_one_and_gone_supersedes_every_state() -> None:
    recent = RecentSequences(4)
    recent.note("j1", GONE)
    recent.note("j1", 7)
    assert recent.supersedes("j1", 10**12)


def test_only_the_last_limit_ids_are_kept() -> None:
    recent = RecentSequences(2)
    for job_id in ("a", "b", "c"):
        recent.note(job_id, 3)
    assert len(recent) == 2
    assert not recent.supersedes("a", 1)
    assert recent.supersedes("b", 1) and recent.supersedes("c", 1)
