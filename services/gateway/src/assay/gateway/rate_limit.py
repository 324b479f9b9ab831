"""Rate limits at the front door: a REST request over its tenant's or token's rate is answered 429
by the gateway, before its body is read, a route runs or any service is called.

Pure-ASGI middleware, inside the access log, security headers, request id and CORS middleware (a
refusal carries their headers like every problem) and before routing. It reads the bearer token
from ``Authorization``, verifies it (once per token: ``CachingVerifier``, shared with the job view),
takes a request from the caller's buckets (``assay.common.rate_limits``, configured by the same
``ASSAY_RATE_LIMIT_*`` variables as the services) and, when one is empty, answers the problem a
service's refusal becomes: 429 ``RATE_LIMITED`` with ``Retry-After``, ``RateLimit-Policy`` and
``RateLimit``. A request without a token, with one the gateway cannot verify, or with a stream
ticket instead goes on: the services answer it as before.

Each gateway replica counts only what it sees, so it refuses only what is certainly over the limit;
the services' own check (``assay.common.rate_limit_interceptor``) stays the bound on what several
replicas pass on together (docs/architecture.md, "Rate limits").
"""

from __future__ import annotations

import logging

from opentelemetry import trace
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from assay.common.auth import TokenVerifier
from assay.common.errors import AssayError, ResourceExhausted
from assay.common.interceptors import CachingVerifier
from assay.common.rate_limits import RateLimiter
from assay.gateway.config import GatewaySettings
from assay.gateway.middleware import _HttpMiddleware
from assay.gateway.problems import Problem, problem_response

logger = logging.getLogger(__name__)


def tenant_verifier(settings: GatewaySettings) -> CachingVerifier | None:
    """The gateway's check of tenant tokens, cached per token; None without a token key."""
    try:
        return CachingVerifier(TokenVerifier(settings), name="gateway_verified_tokens")
    except ValueError:
        return None


def add_rate_limits(app: Starlette, settings: GatewaySettings, verifier: CachingVerifier | None) -> None:
    """Add the middleware when the settings set a limit and the gateway has a key to tell tenants apart."""
    limiter = RateLimiter.from_settings(settings)
    if not limiter.enabled:
        return
    if verifier is None:
        logger.warning("rate limits left to the services: the gateway has no token key "
                       "(ASSAY_JWT_HS256_SECRET or ASSAY_JWT_PUBLIC_KEY_FILE)")
        return
    app.add_middleware(RateLimitMiddleware, limiter=limiter, verifier=verifier)


class RateLimitMiddleware(_HttpMiddleware):
    """Answers a request over its rate limit with the 429 problem; passes every other request on."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter, verifier: CachingVerifier) -> None:
        super().__init__(app)
        self._limiter = limiter
        self._verifier = verifier

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = self._over_limit(scope)
        if refusal is None:
            await self.app(scope, receive, send)
            return
        trace.get_current_span().set_attribute("assay.rate_limit", refusal.metadata["rate_limit"])
        await problem_response(Request(scope), Problem.from_error(refusal))(scope, receive, send)

    def _over_limit(self, scope: Scope) -> ResourceExhausted | None:
        token = _bearer_token(scope)
        if token is None:
            return None
        try:
            caller = self._verifier.verify(token)
        except AssayError:
            return None  # the service refuses it with the reason
        try:
            self._limiter.check(caller)
        except ResourceExhausted as refusal:
            return refusal
        return None


def _bearer_token(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = bytes(value).decode("latin-1").partition(" ")
            token = token.strip()
            return token if scheme.lower() == "bearer" and token else None
    return None
