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


def simulate(picker: PriorityPicker, seconds: dict[int, int], slots: int, horizon: int) -> dict[int, int]:
    """Run endless queues of jobs taking ``seconds[source]`` each through ``slots`` slots for ``horizon``
    seconds, filling free slots as the worker's fetch loop does; returns the starts per source."""
    ends: list[tuple[int, int]] = []  # (second it ends, source)
    starts = dict.fromkeys(seconds, 0)
    for now in range(horizon):
        for ended in [end for end in ends if end[0] <= now]:
            ends.remove(ended)
            picker.freed(ended[1])
        left, waiting = slots - len(ends), set(seconds)
        for source in picker.order(waiting):
            if left == 0:
                break
            taken = picker.share(source, left, waiting)
            picker.started(source, taken, waiting)
            for _ in range(taken):
                picker.occupied(source)
                ends.append((now + seconds[source], source))
            starts[source] += taken
            left -= taken
    return starts


def test_a_slow_analyzer_with_a_backlog_holds_no_more_than_its_share_of_the_slots() -> None:
    """Contract reviews of 20 s and sentiment jobs of 1 s, both backlogged at one priority, through two
    slots: each analyzer keeps one slot (taking turns at starting gave sentiment one start per review
    ended: 20 in 200 s, the 4-10 a minute seen after an outage)."""
    picker = PriorityPicker([0, 0], patience=8, analyzers=["contract_review", "sentiment"])
    starts = simulate(picker, {0: 20, 1: 1}, slots=2, horizon=200)
    assert starts[1] >= 190 and 10 <= starts[0] <= 11
    assert picker.held(0) == 1 and picker.held(1) == 1


def test_slots_free_at_once_are_split_evenly_between_analyzers_of_one_priority() -> None:
    picker = PriorityPicker([0, 0, 0], patience=8, analyzers=["a", "b", "c"])
    assert picker.share(0, 4, {0, 1}) == 2
    picker.occupied(0, 2)
    assert picker.order({0, 1}) == [1, 0] and picker.share(1, 2, {0, 1}) == 2
    assert picker.share(0, 1, {0, 1}) == 1  # at least one: a free slot is never left idle by the cap
    assert picker.share(2, 3, {2}) == 3  # alone at its priority: every free slot


def test_a_higher_priority_still_takes_every_free_slot_before_a_lower_analyzer() -> None:
    picker = PriorityPicker([9, 0], patience=8, analyzers=["contract_review", "sentiment"])
    picker.occupied(0, 2)
    assert picker.order({0, 1}) == [0, 1] and picker.share(0, 2, {0, 1}) == 2


def test_an_analyzers_slots_count_over_all_its_priorities() -> None:
    picker = PriorityPicker([5, 0, 0], patience=8, analyzers=["contract_review", "contract_review", "sentiment"])
    picker.occupied(0)  # a priority-5 review runs
    assert picker.order({1, 2}) == [2, 1]  # at priority 0, sentiment holds fewer slots


def test_one_analyzer_per_source() -> None:
    with pytest.raises(ValueError, match="analyzer"):
        PriorityPicker(LEVELS, patience=2, analyzers=["a"])
