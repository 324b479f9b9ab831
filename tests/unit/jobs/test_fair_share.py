"""The dispatcher's choice among tenants: weighted fair share of in-flight work, limits, order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from assay.jobs.fair_share import Head, InFlight, Policy, may_go_ahead, parse_policy, plan, plan_round

T0 = datetime(2026, 12, 4, tzinfo=UTC)


def held(tenant: str, count: int, *, priority: int = 0, start: int = 0) -> list[Head]:
    return [Head(f"{tenant}-{start + i}", tenant, priority, T0 + timedelta(seconds=start + i)) for i in range(count)]


def test_a_newcomer_with_nothing_in_flight_goes_before_a_tenant_with_a_thousand_waiting() -> None:
    in_flight = InFlight()
    in_flight.add("a", "sentiment", 16)
    heads = {"a": held("a", 4), "b": held("b", 1, start=500)}

    chosen = plan("sentiment", 1, heads, in_flight, Policy())

    assert [h.job_id for h in chosen] == ["b-500"]
    assert in_flight.of("b", "sentiment") == 1


def test_equal_weights_alternate_and_a_lone_tenant_takes_every_place() -> None:
    chosen = plan("sentiment", 6, {"a": held("a", 10), "b": held("b", 10, start=100)}, InFlight(), Policy())
    assert [h.tenant for h in chosen] == ["a", "b", "a", "b", "a", "b"]

    alone = plan("sentiment", 5, {"a": held("a", 10)}, InFlight(), Policy())
    assert len(alone) == 5


def test_weights_divide_the_places_in_proportion() -> None:
    policy = parse_policy("a=3,b=1", "")
    chosen = plan("sentiment", 8, {"a": held("a", 20), "b": held("b", 20, start=100)}, InFlight(), policy)
    assert [h.tenant for h in chosen].count("a") == 6
    assert [h.tenant for h in chosen].count("b") == 2


def test_within_a_tenant_higher_priority_then_older_first() -> None:
    heads = {"a": sorted([*held("a", 2), *held("a", 1, priority=9, start=50)],
                         key=lambda h: (-h.priority, h.created_at))}
    chosen = plan("sentiment", 3, heads, InFlight(), Policy())
    assert [h.job_id for h in chosen] == ["a-50", "a-0", "a-1"]


def test_a_tenant_at_its_limit_is_passed_over_and_the_rest_keep_flowing() -> None:
    policy = parse_policy("", "a=2,b/sentiment=1")
    in_flight = InFlight()
    in_flight.add("a", "compare", 1)  # the tenant-wide limit counts every analyzer
    chosen = plan("sentiment", 10, {"a": held("a", 5), "b": held("b", 5, start=10), "c": held("c", 2, start=20)},
                  in_flight, policy)
    tenants = [h.tenant for h in chosen]
    assert tenants.count("a") == 1 and tenants.count("b") == 1 and tenants.count("c") == 2


def test_a_wildcard_limit_applies_to_tenants_without_their_own() -> None:
    policy = parse_policy("", "*=1,big=3")
    assert policy.limit("small", None) == 1 and policy.limit("big", None) == 3
    assert policy.limit("small", "sentiment") is None


@pytest.mark.parametrize(("weights", "concurrency", "named"), [
    ("a=0", "", "positive"),
    ("a/sentiment=2", "", "per tenant"),
    ("", "a=0", "at least 1"),
    ("", "a=x", "no number"),
    ("", "a:3", "tenant=value"),
])
def test_a_malformed_policy_is_refused_with_the_entry_named(weights: str, concurrency: str, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        parse_policy(weights, concurrency)


def flooded() -> InFlight:
    """A tenant with 32 jobs running and 64 waiting in the stream (a batch-running worker's backlog)."""
    in_flight = InFlight()
    in_flight.add("flood", "sentiment", 96)
    return in_flight


def test_with_the_backlog_full_a_tenant_with_nothing_waiting_gets_its_next_job_ahead_and_only_that() -> None:
    in_flight = flooded()
    in_flight.add("trickle", "sentiment", 1)  # running: it has nothing waiting in the stream
    heads = {"flood": held("flood", 50), "trickle": held("trickle", 3, start=500)}

    ahead, rest = plan_round("sentiment", 0, heads, in_flight, {"flood": 64, "trickle": 0}, Policy())

    assert [h.job_id for h in ahead] == ["trickle-500"] and rest == []
    assert in_flight.of("trickle", "sentiment") == 2


def test_a_tenant_with_a_message_waiting_or_no_smaller_share_waits_its_turn_in_the_backlog() -> None:
    heads = {"flood": held("flood", 50), "trickle": held("trickle", 3, start=500)}
    ahead, rest = plan_round("sentiment", 0, heads, flooded(), {"flood": 64, "trickle": 1}, Policy())
    assert ahead == [] and rest == []  # its own message still waits: its next one may not pass it

    in_flight = flooded()
    in_flight.add("big", "sentiment", 96)  # as many in flight, all running: no smaller share
    heads = {"flood": held("flood", 50), "big": held("big", 3, start=500)}
    ahead, rest = plan_round("sentiment", 0, heads, in_flight, {"flood": 64, "big": 0}, Policy())
    assert ahead == [] and rest == []


def test_a_job_ahead_takes_a_free_place_first_and_keeps_the_tenants_limits() -> None:
    heads = {"flood": held("flood", 50), "trickle": held("trickle", 3, start=500)}
    ahead, rest = plan_round("sentiment", 3, heads, flooded(), {"flood": 64}, Policy())
    assert [h.job_id for h in ahead] == ["trickle-500"]
    assert [h.tenant for h in rest] == ["trickle", "trickle"]  # the share rule: still far below the flood

    in_flight = flooded()
    in_flight.add("trickle", "compare", 2)
    ahead, rest = plan_round("sentiment", 0, heads, in_flight, {"flood": 64}, parse_policy("", "trickle=2"))
    assert ahead == [] and rest == []


def test_a_tenant_at_its_limit_is_no_candidate_so_a_full_backlog_costs_no_look_at_its_jobs() -> None:
    in_flight = flooded()
    in_flight.add("capped", "sentiment", 2)  # both running, nothing waiting
    policy = parse_policy("", "capped=2")
    assert may_go_ahead("sentiment", ["capped", "new"], in_flight, {"flood": 64}, policy) == {"new"}
