"""The worker's choice among its work sources: strict priority, bounded patience."""

from __future__ import annotations

import pytest

from assay.analysis.picker import PriorityPicker

LEVELS = [9, 5, 0]
"""Sources 0, 1, 2 at priorities 9, 5 and 0."""


def run(picker: PriorityPicker, queues: dict[int, int], starts: int) -> list[int]:
    """Start ``starts`` jobs one at a time from sources holding ``queues[source]`` jobs (-1: endless)."""
    order = []
    for _ in range(starts):
        waiting = {s for s, n in queues.items() if n != 0}
        source = picker.order(waiting)[0]
        picker.started(source, 1, waiting)
        queues[source] -= 1
        order.append(source)
    return order


def test_the_highest_priority_with_work_waiting_goes_first() -> None:
    picker = PriorityPicker(LEVELS, patience=8)
    assert picker.order({2, 0, 1}) == [0, 1, 2]
    assert run(picker, {0: 1, 1: 2, 2: 3}, 6) == [0, 1, 1, 2, 2, 2]


def test_under_endless_higher_priority_work_a_lower_level_is_served_after_patience_passes() -> None:
    picker = PriorityPicker(LEVELS, patience=3)
    order = run(picker, {0: -1, 2: -1}, 12)
    assert order == [0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2]
    assert picker.rule(0) == "priority"


def test_every_waiting_level_gets_a_start_within_patience_plus_the_number_of_sources() -> None:
    picker = PriorityPicker(LEVELS, patience=4)
    order = run(picker, {0: -1, 1: -1, 2: -1}, 200)
    bound = 4 + len(LEVELS)
    for source in (1, 2):
        starts = [i for i, s in enumerate(order) if s == source]
        gaps = [b - a for a, b in zip([-1, *starts], starts, strict=False)]
        assert max(gaps) <= bound, (source, gaps)
    assert order.count(0) > order.count(1) >= order.count(2)


def test_a_source_that_had_nothing_to_deliver_starts_counting_again() -> None:
    picker = PriorityPicker(LEVELS, patience=2)
    picker.started(0, 2, {0, 2})
    assert picker.overdue(2) and picker.order({0, 2}) == [2, 0]
    picker.drained(2)  # its messages were running elsewhere
    assert not picker.overdue(2) and picker.order({0, 2}) == [0, 2]


def test_sources_of_one_priority_take_turns() -> None:
    picker = PriorityPicker([3, 3], patience=8)
    assert run(picker, {0: -1, 1: -1}, 4) == [0, 1, 0, 1]


def test_patience_must_be_positive() -> None:
    with pytest.raises(ValueError, match="patience"):
        PriorityPicker(LEVELS, patience=0)
