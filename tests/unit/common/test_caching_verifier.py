"""The interceptors' token cache: a token's signature is checked once, and never past its expiry."""

from __future__ import annotations

import pytest

from assay.common import interceptors
from assay.common.auth import Principal, TokenVerifier, mint_token
from assay.common.byte_cache import ENTRY_OVERHEAD
from assay.common.config import CommonSettings
from assay.common.errors import Unauthenticated
from assay.common.interceptors import CachingVerifier

SETTINGS = CommonSettings(jwt_hs256_secret="unit-test-secret-0123456789abcdef0123")


class CountingVerifier(TokenVerifier):
    def __init__(self) -> None:
        super().__init__(SETTINGS)
        self.calls = 0

    def verify(self, token: str) -> Principal:
        self.calls += 1
        return super().verify(token)


def token(ttl_seconds: int = 3600) -> str:
    return mint_token(SETTINGS, subject="alice", tenant="acme", roles=["user"], ttl_seconds=ttl_seconds)


def test_a_token_sent_again_is_not_verified_again() -> None:
    counting = CountingVerifier()
    cache = CachingVerifier(counting)
    alice = token()
    first, second = cache.verify(alice), cache.verify(alice)
    assert first == second and first.tenant == "acme"
    assert counting.calls == 1


def test_a_cached_token_is_verified_again_once_it_expired(monkeypatch: pytest.MonkeyPatch) -> None:
    counting = CountingVerifier()
    cache = CachingVerifier(counting)
    alice = token(ttl_seconds=60)
    principal = cache.verify(alice)
    monkeypatch.setattr(interceptors.time, "time", lambda: principal.expires_at + 1)
    cache.verify(alice)  # (PyJWT's own clock still accepts it; the cache did not answer)
    assert counting.calls == 2


def test_a_refused_token_is_not_remembered() -> None:
    counting = CountingVerifier()
    cache = CachingVerifier(counting)
    expired = token(ttl_seconds=-60)
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            cache.verify(expired)
    assert counting.calls == 2


def test_the_least_recently_used_token_is_forgotten_beyond_the_bound() -> None:
    counting = CountingVerifier()
    a, b, c = (mint_token(SETTINGS, subject=s, tenant="acme", roles=["user"]) for s in "abc")
    one = len(a) + CachingVerifier.PRINCIPAL_BYTES + ENTRY_OVERHEAD
    cache = CachingVerifier(counting, max_bytes=2 * one)
    for each in (a, b, c):
        cache.verify(each)
    cache.verify(c)
    assert counting.calls == 3, "c is still cached"
    cache.verify(a)
    assert counting.calls == 4, "a was evicted"
