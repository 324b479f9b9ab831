"""Token buckets per tenant and per token: bursts, refusals that take nothing, refill, bounds."""

from __future__ import annotations

import grpc
import pytest

from assay.common.auth import Principal
from assay.common.errors import ResourceExhausted
from assay.common.rate_limits import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def caller(tenant: str = "acme", token: str = "t1") -> Principal:
    return Principal(subject="alice", tenant=tenant, roles=frozenset({"user"}), token=token, expires_at=0)


def refused(limiter: RateLimiter, who: Principal) -> ResourceExhausted:
    with pytest.raises(ResourceExhausted) as caught:
        limiter.check(who)
    return caught.value


def test_a_tenant_gets_its_burst_then_is_refused_with_the_policy_and_when_to_retry() -> None:
    clock = Clock()
    limiter = RateLimiter("acme=2", 0, burst_seconds=2, clock=clock)
    for _ in range(4):
        limiter.check(caller())

    error = refused(limiter, caller())

    assert error.code == grpc.StatusCode.RESOURCE_EXHAUSTED and error.reason == "RATE_LIMITED"
    assert error.metadata == {"rate_limit": "tenant", "limit": "4", "window_seconds": "2", "remaining": "0",
                              "reset_seconds": "2", "retry_after_seconds": "1"}
    assert "tenant acme is over its rate limit of 2 requests per second" in error.message
    clock.now += 0.5  # one request refilled
    limiter.check(caller())
    refused(limiter, caller())


def test_other_tenants_and_tenants_without_a_rate_are_not_affected() -> None:
    limiter = RateLimiter("flood=1", 0, burst_seconds=1, clock=Clock())
    limiter.check(caller("flood"))
    refused(limiter, caller("flood"))
    for _ in range(50):
        limiter.check(caller("quiet"))


def test_a_token_limit_refuses_one_token_while_the_tenants_other_tokens_go_on() -> None:
    limiter = RateLimiter("*=100", 1, burst_seconds=2, clock=Clock())
    limiter.check(caller(token="noisy"))
    limiter.check(caller(token="noisy"))
    assert refused(limiter, caller(token="noisy")).metadata["rate_limit"] == "token"
    limiter.check(caller(token="calm"))


def test_a_refused_call_takes_nothing_from_the_other_bucket() -> None:
    limiter = RateLimiter("acme=1", 1, burst_seconds=3, clock=Clock())
    for _ in range(3):
        limiter.check(caller(token="a"))
    for _ in range(5):
        refused(limiter, caller(token="a"))  # the token's bucket is empty: the tenant's keeps its 0
    refused(limiter, caller(token="b"))  # the tenant's 3 went to token a


def test_buckets_are_bounded_forgetting_the_least_recently_used() -> None:
    limiter = RateLimiter("*=1", 0, burst_seconds=1, max_buckets=2, clock=Clock())
    limiter.check(caller("a"))
    limiter.check(caller("b"))
    limiter.check(caller("c"))  # forgets a, which starts full again
    limiter.check(caller("a"))
    refused(limiter, caller("c"))


def test_no_rates_means_disabled_and_malformed_rates_are_refused() -> None:
    assert not RateLimiter("", 0, burst_seconds=1).enabled
    with pytest.raises(ValueError, match="ASSAY_RATE_LIMIT_TENANT"):
        RateLimiter("acme=0", 0, burst_seconds=1)
    with pytest.raises(ValueError, match="ASSAY_RATE_LIMIT_TENANT"):
        RateLimiter("acme/sentiment=3", 0, burst_seconds=1)


def test_the_retention_sweeps_never_take_from_a_tenants_buckets() -> None:
    limiter = RateLimiter("acme=1", 1, burst_seconds=1, clock=Clock())
    sweep = Principal(subject="system:retention", tenant="acme", roles=frozenset({"user"}), token="s", expires_at=0)
    for _ in range(10):
        limiter.check(sweep)
    limiter.check(caller())  # the tenant's one request is still there
    assert refused(limiter, caller()).metadata["rate_limit"] == "tenant"
