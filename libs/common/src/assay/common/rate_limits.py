"""Rate limits of the tenant API per tenant and per token: token buckets, checked once the token is verified.

Each bucket holds up to ``rate * burst_seconds`` requests and refills at ``rate`` per second; a call
takes one request from its tenant's bucket and from its token's, or is refused with
``RESOURCE_EXHAUSTED RATE_LIMITED`` (nothing taken from either) whose ErrorInfo metadata says which
limit, its policy (quota and window, as the IETF RateLimit fields draft names them), what is left and
``retry_after_seconds``. The buckets live in each process that checks them — the gateway for REST
(``assay.gateway.rate_limit``), every service for gRPC (``assay.common.rate_limit_interceptor``) —
each limiting what it sees (docs/architecture.md, "Rate limits"); at most ``max_buckets`` are kept,
the least recently used forgotten (it starts full again). The retention sweeps' calls for a tenant
(subject ``system:retention``, a token only a service's key mints) are never counted: housekeeping
must not use up a tenant's rate.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import prometheus_client

from assay.common.auth import Principal
from assay.common.config import RateLimitSettings
from assay.common.errors import AssayError, ResourceExhausted
from assay.common.retention import SYSTEM_ACTOR
from assay.common.tenant_values import parse_entries

RATE_LIMITED = prometheus_client.Counter(
    "assay_rate_limited_total", "Calls refused by a per-tenant or per-token rate limit.", ["limit"])
UNLIMITED_SUBJECTS = frozenset({SYSTEM_ACTOR})
"""Callers no bucket counts: the retention sweeps acting for a tenant."""


@dataclass
class TokenBucket:
    """``capacity`` requests, refilled at ``rate`` per second."""

    capacity: float
    rate: float
    tokens: float
    updated: float

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def wait(self) -> float:
        """Seconds until one request is available (0: now)."""
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def reset(self) -> float:
        """Seconds until the bucket is full again."""
        return (self.capacity - self.tokens) / self.rate


class Verifier(Protocol):
    def verify(self, token: str) -> Principal: ...


class RateLimiter:
    """Buckets per tenant (``tenant=rate,…``, ``*`` for every other tenant) and per token (one rate)."""

    def __init__(self, tenant_rates: str, token_rate: float, burst_seconds: float, *, max_buckets: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if burst_seconds <= 0:
            raise ValueError("the rate limit burst must be positive")
        self._tenant_rates: dict[str, float] = {}
        for tenant, analyzer, rate in parse_entries(tenant_rates, "ASSAY_RATE_LIMIT_TENANT"):
            if analyzer is not None or rate <= 0:
                raise ValueError(f"ASSAY_RATE_LIMIT_TENANT: {tenant}: give tenant=requests per second (> 0)")
            self._tenant_rates[tenant] = rate
        self._token_rate = token_rate
        self._burst = burst_seconds
        self._buckets: OrderedDict[tuple[str, str], TokenBucket] = OrderedDict()
        self._max_buckets = max_buckets
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: RateLimitSettings) -> RateLimiter:
        return cls(settings.rate_limit_tenant, settings.rate_limit_token, settings.rate_limit_burst_seconds)

    @property
    def enabled(self) -> bool:
        return bool(self._tenant_rates) or self._token_rate > 0

    def check(self, caller: Principal) -> None:
        """Take one request for ``caller`` or raise RATE_LIMITED."""
        if caller.subject in UNLIMITED_SUBJECTS:
            return
        now = self._clock()
        limits = []
        tenant_rate = self._tenant_rates.get(caller.tenant, self._tenant_rates.get("*"))
        if tenant_rate is not None:
            limits.append(("tenant", self._bucket(("tenant", caller.tenant), tenant_rate, now)))
        if self._token_rate > 0:
            key = hashlib.sha256(caller.token.encode()).hexdigest()[:32]
            limits.append(("token", self._bucket(("token", key), self._token_rate, now)))
        for name, bucket in limits:
            if bucket.wait() > 0:
                RATE_LIMITED.labels(limit=name).inc()
                raise _refusal(name, caller, bucket)
        for _, bucket in limits:
            bucket.tokens -= 1

    def refusal(self, token: str | None, verifier: Verifier) -> ResourceExhausted | None:
        """Take one request for the holder of ``token``, or the refusal to answer with; None too when
        the request cannot be attributed (no token, or one ``verifier`` refuses: the service says why)."""
        if token is None:
            return None
        try:
            caller = verifier.verify(token)
        except AssayError:
            return None
        try:
            self.check(caller)
        except ResourceExhausted as refusal:
            return refusal
        return None

    def _bucket(self, key: tuple[str, str], rate: float, now: float) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            capacity = max(1.0, rate * self._burst)
            bucket = self._buckets[key] = TokenBucket(capacity, rate, capacity, now)
            if len(self._buckets) > self._max_buckets:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            bucket.refill(now)
        return bucket


def _refusal(name: str, caller: Principal, bucket: TokenBucket) -> ResourceExhausted:
    wait = bucket.wait()
    whom = f"tenant {caller.tenant}" if name == "tenant" else "this token"
    return ResourceExhausted(
        "RATE_LIMITED",
        f"{whom} is over its rate limit of {bucket.rate:g} requests per second "
        f"(bursts of {bucket.capacity:g}); retry in {wait:.2f} s",
        metadata={
            "rate_limit": name, "limit": f"{bucket.capacity:g}", "window_seconds": f"{bucket.capacity / bucket.rate:g}",
            "remaining": str(math.floor(bucket.tokens)), "reset_seconds": str(math.ceil(bucket.reset())),
            "retry_after_seconds": str(max(1, math.ceil(wait))),
        },
    )
