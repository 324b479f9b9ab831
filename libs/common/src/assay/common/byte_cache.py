"""An LRU bounded by bytes, not entries, with Prometheus metrics: the one cache shape of the services.

Every in-memory cache of a service process (the jobs service's job cache and JSONB parse memo,
the gateway's job view and rendered bodies, verified tokens) keeps what it holds under a byte
budget: a count bound lets memory grow with the size of what is cached (a job cache of 10,000
entries holding 1.4 MB results would be 14 GB). The size of an entry is what the cache's
``sizeof`` says about the value (the bytes it holds: wire form, rendered JSON, token text) plus
:data:`ENTRY_OVERHEAD` for the key, the entry object and the table slot; a value bigger than the
whole budget is not cached. Built on ``cachetools.LRUCache`` and its ``getsizeof``.

Metrics, labelled by the cache's name: ``assay_cache_bytes`` and ``assay_cache_entries`` (what it
holds now), ``assay_cache_max_bytes`` (its budget), ``assay_cache_evictions_total`` (entries
dropped to make room) and ``assay_cache_refused_total`` (values larger than the budget).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

import cachetools
import prometheus_client

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

ENTRY_OVERHEAD = 256
"""Bytes charged per entry on top of its value's own: key, entry object, hash-table and LRU slots."""

CACHE_BYTES = prometheus_client.Gauge("assay_cache_bytes", "Bytes an in-memory cache holds now.", ["cache"])
CACHE_ENTRIES = prometheus_client.Gauge("assay_cache_entries", "Entries an in-memory cache holds now.", ["cache"])
CACHE_MAX_BYTES = prometheus_client.Gauge("assay_cache_max_bytes", "Byte budget of an in-memory cache.", ["cache"])
CACHE_EVICTIONS = prometheus_client.Counter(
    "assay_cache_evictions_total", "Entries an in-memory cache dropped to stay within its byte budget.", ["cache"])
CACHE_REFUSED = prometheus_client.Counter(
    "assay_cache_refused_total", "Values not cached because they alone exceed the cache's byte budget.", ["cache"])


class _Lru(cachetools.LRUCache[K, V]):
    """``LRUCache`` that reports each eviction (``popitem`` is what it calls to make room)."""

    def __init__(self, maxsize: int, getsizeof: Callable[[V], int], on_evict: Callable[[], None]) -> None:
        super().__init__(maxsize, getsizeof)
        self._on_evict = on_evict

    def popitem(self) -> tuple[K, V]:
        item = super().popitem()
        self._on_evict()
        return item


class ByteLRU(Generic[K, V]):
    """A least-recently-used map whose entries together never exceed ``max_bytes``.

    ``max_bytes`` of 0 disables the cache (nothing is kept, every ``get`` misses).
    """

    def __init__(self, name: str, max_bytes: int, sizeof: Callable[[V], int]) -> None:
        if max_bytes < 0:
            raise ValueError("max_bytes must be >= 0")
        self.name = name
        self.max_bytes = max_bytes
        self._sizeof = sizeof
        self._evictions = CACHE_EVICTIONS.labels(cache=name)
        self._refused = CACHE_REFUSED.labels(cache=name)
        self._bytes = CACHE_BYTES.labels(cache=name)
        self._entries = CACHE_ENTRIES.labels(cache=name)
        self._lru: _Lru[K, V] = _Lru(max(max_bytes, 1), self.entry_bytes, self._evictions.inc)
        CACHE_MAX_BYTES.labels(cache=name).set(max_bytes)
        self._report()

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    @property
    def nbytes(self) -> int:
        """Bytes held now (values' sizes plus the per-entry overhead)."""
        return int(self._lru.currsize)

    def entry_bytes(self, value: V) -> int:
        """What one entry holding ``value`` is charged."""
        return self._sizeof(value) + ENTRY_OVERHEAD

    def get(self, key: K) -> V | None:
        """The value (now the most recently used), or None."""
        return self._lru.get(key)

    def peek(self, key: K) -> V | None:
        """The value without touching its recency."""
        if key in self._lru:
            return cachetools.Cache.__getitem__(self._lru, key)  # LRUCache's own would move it to the end
        return None

    def put(self, key: K, value: V) -> bool:
        """Keep ``value`` under ``key``, evicting the least recently used entries to make room;
        False (and any older value under ``key`` dropped) when it alone exceeds the budget."""
        if not self.enabled:
            return False
        if self.entry_bytes(value) > self.max_bytes:
            self._lru.pop(key, None)
            self._refused.inc()
            self._report()
            return False
        self._lru[key] = value
        self._report()
        return True

    def pop(self, key: K) -> V | None:
        """Drop ``key``'s entry, returning its value."""
        value = self._lru.pop(key, None)
        self._report()
        return value

    def clear(self) -> None:
        self._lru.clear()
        self._report()

    def __len__(self) -> int:
        return len(self._lru)

    def __contains__(self, key: object) -> bool:
        return key in self._lru

    def _report(self) -> None:
        self._bytes.set(self._lru.currsize)
        self._entries.set(len(self._lru))
