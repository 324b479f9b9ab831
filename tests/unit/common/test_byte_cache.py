"""ByteLRU: an LRU whose entries together never exceed its byte budget, with metrics."""

from __future__ import annotations

import random

from prometheus_client import REGISTRY

from assay.common.byte_cache import ENTRY_OVERHEAD, ByteLRU


def metric(name: str, cache: str) -> float:
    return REGISTRY.get_sample_value(name, {"cache": cache}) or 0.0


def test_random_sizes_never_grow_the_cache_past_its_bound_and_the_metrics_say_so() -> None:
    bound = 100_000
    cache: ByteLRU[int, bytes] = ByteLRU("test_random", bound, len)
    rng = random.Random(7)
    for key in range(2_000):
        cache.put(key % 300, b"x" * rng.randrange(0, 20_000))
        assert cache.nbytes <= bound
    assert metric("assay_cache_bytes", "test_random") == cache.nbytes
    assert metric("assay_cache_entries", "test_random") == len(cache)
    assert metric("assay_cache_max_bytes", "test_random") == bound
    assert metric("assay_cache_evictions_total", "test_random") > 0


def test_least_recently_used_goes_first_and_peek_does_not_count_as_use() -> None:
    one = 10 + ENTRY_OVERHEAD
    cache: ByteLRU[str, bytes] = ByteLRU("test_order", 2 * one, len)
    cache.put("a", b"a" * 10)
    cache.put("b", b"b" * 10)
    assert cache.peek("a") == b"a" * 10  # a stays the least recently used
    assert cache.get("b") == b"b" * 10
    cache.put("c", b"c" * 10)
    assert "a" not in cache and "b" in cache and "c" in cache


def test_a_value_over_the_budget_is_refused_and_replaces_nothing() -> None:
    cache: ByteLRU[str, bytes] = ByteLRU("test_refused", 1_000, len)
    cache.put("k", b"small")
    assert cache.put("k", b"x" * 1_000) is False
    assert cache.get("k") is None and cache.nbytes == 0  # the older value is not served either
    assert metric("assay_cache_refused_total", "test_refused") == 1


def test_a_zero_budget_keeps_nothing() -> None:
    cache: ByteLRU[str, bytes] = ByteLRU("test_off", 0, len)
    assert not cache.enabled and cache.put("k", b"v") is False and cache.get("k") is None
