"""JWT bearer authentication: verifying tokens, the caller's identity, and minting dev tokens."""

from __future__ import annotations

import contextvars
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import jwt

from assay.common.config import CommonSettings, TokenSettings
from assay.common.errors import PermissionDenied, Unauthenticated
from assay.common.metrics import WORKER_REFUSALS

ROLES = frozenset({"admin", "user", "readonly"})
"""Every role a tenant token may carry (a ``worker`` role in one is ignored)."""
READERS = ("admin", "user", "readonly")
"""Roles that may read a tenant's jobs and files."""
WRITERS = ("admin", "user")
"""Roles that may create, change and delete a tenant's jobs and files."""
ADMIN = "admin"
"""The role that may also retry a tenant's failed jobs."""
WORKER = "worker"
"""The role of a verified worker credential (never of a tenant token): the only one the
worker-facing services accept."""
WORKER_AUDIENCE = "assay-worker"
"""The ``aud`` of a worker credential; tenant tokens never carry it."""
WORKER_TENANT = "_service"
"""The tenant of a worker principal: a worker acts for a job's tenant only with its capability."""

TENANT_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
"""Tenant ids are used in NATS subjects and object keys, so they are restricted to this."""


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    subject: str
    tenant: str
    roles: frozenset[str]
    token: str
    expires_at: float
    """The token's ``exp`` claim (seconds since the epoch)."""

    def has_any(self, roles: Iterable[str]) -> bool:
        """True when the caller holds at least one of ``roles``."""
        return not self.roles.isdisjoint(roles)


current_principal: contextvars.ContextVar[Principal | None] = contextvars.ContextVar(
    "assay_principal", default=None
)
"""The caller of the RPC being served, set by the auth interceptor."""


def principal() -> Principal:
    """The current RPC's caller; raises UNAUTHENTICATED outside an authenticated call."""
    found = current_principal.get()
    if found is None:
        raise Unauthenticated("UNAUTHENTICATED", "authentication required")
    return found


def require_role(*roles: str) -> Principal:
    """The current caller, if it holds one of ``roles``; else PERMISSION_DENIED."""
    caller = principal()
    if not caller.has_any(roles):
        raise PermissionDenied(
            "ROLE_REQUIRED", f"this operation needs one of the roles: {', '.join(sorted(roles))}"
        )
    return caller


class TokenVerifier:
    """Verifies HS256 or RS256 bearer tokens against the configured key."""

    def __init__(self, settings: TokenSettings) -> None:
        if settings.jwt_public_key_file:
            self._key: str | bytes = Path(settings.jwt_public_key_file).read_bytes()
            self._algorithms = ["RS256"]
        elif settings.jwt_hs256_secret:
            self._key = settings.jwt_hs256_secret
            self._algorithms = ["HS256"]
        else:
            raise ValueError("set ASSAY_JWT_HS256_SECRET or ASSAY_JWT_PUBLIC_KEY_FILE")
        if settings.jwt_audience == WORKER_AUDIENCE:
            raise ValueError(f"ASSAY_JWT_AUDIENCE must not be {WORKER_AUDIENCE!r} (the worker credential's)")
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience

    def verify(self, token: str) -> Principal:
        """Decode and check a token; raises UNAUTHENTICATED with the reason."""
        try:
            claims = jwt.decode(
                token, self._key, algorithms=self._algorithms, audience=self._audience,
                issuer=self._issuer, options={"require": ["exp", "sub", "tenant"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("TOKEN_EXPIRED", "the bearer token has expired") from None
        except jwt.PyJWTError as exc:
            raise Unauthenticated("TOKEN_INVALID", f"the bearer token is invalid: {exc}") from None
        tenant = str(claims["tenant"])
        if not TENANT_PATTERN.match(tenant):
            raise Unauthenticated("TOKEN_INVALID", "the token's tenant claim is malformed")
        roles = frozenset(str(r) for r in claims.get("roles", ())) & ROLES
        return Principal(subject=str(claims["sub"]), tenant=tenant, roles=roles, token=token,
                         expires_at=float(claims["exp"]))


def mint_token(
    settings: CommonSettings,
    *,
    subject: str,
    tenant: str,
    roles: Iterable[str],
    ttl_seconds: int = 3600,
) -> str:
    """Mint a token with the configured signing key (development, tests, service identities)."""
    now = int(time.time())
    claims = {
        "sub": subject, "tenant": tenant, "roles": sorted(set(roles) & ROLES),
        "iss": settings.jwt_issuer, "aud": settings.jwt_audience, "iat": now,
        "exp": now + ttl_seconds,
    }
    if settings.jwt_private_key_file:
        return jwt.encode(claims, Path(settings.jwt_private_key_file).read_bytes(), algorithm="RS256")
    if not settings.jwt_hs256_secret:
        raise ValueError("minting needs ASSAY_JWT_HS256_SECRET or ASSAY_JWT_PRIVATE_KEY_FILE")
    return jwt.encode(claims, settings.jwt_hs256_secret, algorithm="HS256")


def _worker_secret(settings: CommonSettings) -> str:
    if not settings.worker_secret:
        raise ValueError("worker credentials need ASSAY_WORKER_SECRET")
    if settings.worker_secret == settings.jwt_hs256_secret:
        raise ValueError("ASSAY_WORKER_SECRET must differ from ASSAY_JWT_HS256_SECRET (the tenant-token key)")
    return settings.worker_secret


class WorkerVerifier:
    """Verifies worker credentials: HS256 with ASSAY_WORKER_SECRET and audience ``assay-worker``.

    The key is not the tenant-token key, so a tenant token (whatever its roles) never verifies here,
    and a worker credential never verifies as a tenant token (other key, other audience)."""

    def __init__(self, settings: CommonSettings) -> None:
        self._key = _worker_secret(settings)
        self._issuer = settings.jwt_issuer

    def verify(self, token: str) -> Principal:
        """Decode and check a worker credential; raises UNAUTHENTICATED with the reason."""
        try:
            claims = jwt.decode(token, self._key, algorithms=["HS256"], audience=WORKER_AUDIENCE,
                                issuer=self._issuer, options={"require": ["exp", "sub"]})
        except jwt.ExpiredSignatureError:
            WORKER_REFUSALS.labels(reason="TOKEN_EXPIRED").inc()
            raise Unauthenticated("TOKEN_EXPIRED", "the worker credential has expired") from None
        except jwt.PyJWTError as exc:
            WORKER_REFUSALS.labels(reason="WORKER_CREDENTIAL_REQUIRED").inc()
            raise Unauthenticated(
                "WORKER_CREDENTIAL_REQUIRED", f"this service accepts only a worker credential: {exc}") from None
        return Principal(subject=str(claims["sub"]), tenant=WORKER_TENANT, roles=frozenset({WORKER}),
                         token=token, expires_at=float(claims["exp"]))


def mint_worker_credential(settings: CommonSettings, *, subject: str, ttl_seconds: int = 86400) -> str:
    """A worker credential signed with ASSAY_WORKER_SECRET (analysis mints its own; tests too)."""
    now = int(time.time())
    claims = {"sub": subject, "iss": settings.jwt_issuer, "aud": WORKER_AUDIENCE, "iat": now,
              "exp": now + ttl_seconds}
    return jwt.encode(claims, _worker_secret(settings), algorithm="HS256")


def worker_credential(settings: CommonSettings, *, service: str) -> str:
    """The credential a worker presents to jobs and ingest: configured, or minted for a day."""
    if settings.service_token:
        return settings.service_token
    return mint_worker_credential(settings, subject=f"service:{service}")
