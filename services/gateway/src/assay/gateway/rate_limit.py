"""Rate limits at the front door: a REST request over its tenant's or token's rate is answered 429
by the gateway before anything else runs — no tracing, routing, body, route code or service call.

The gate wraps the whole application, outside even the OpenTelemetry middleware (whose span and
route lookup cost more than the rest of a refusal: 0.38 → 0.10 ms of CPU per refusal in the ASGI
stack). It reads the bearer token from ``Authorization``, verifies it (once per token:
``CachingVerifier``, shared with the job view), takes a request from the caller's buckets
(``assay.common.rate_limits``, configured by the same ``ASSAY_RATE_LIMIT_*`` variables as the
services) and, when one is empty,
answers the problem a service's refusal becomes — 429 ``RATE_LIMITED`` with ``Retry-After``,
``RateLimit-Policy`` and ``RateLimit`` — through the application's own outer middleware (access
log and metrics, security headers, request id, CORS), so the response is the one the services'
refusal gave. Refusals are counted (``assay_rate_limited_total``, ``assay_http_request_duration_seconds``
with status 429), not traced. A request without a token, with one the gateway cannot verify, or with
a stream ticket instead goes on: the services answer it as before.

Each gateway replica counts only what it sees, so it refuses only what is certainly over the limit;
the services' own check (``assay.common.rate_limit_interceptor``) stays the bound on what several
replicas pass on together (docs/architecture.md, "Rate limits").
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from assay.common.auth import TokenVerifier
from assay.common.interceptors import CachingVerifier
from assay.common.rate_limits import RateLimiter
from assay.gateway.config import GatewaySettings
from assay.gateway.middleware import _HttpMiddleware
from assay.gateway.problems import Problem, problem_json

logger = logging.getLogger(__name__)

REFUSAL = "assay.rate_limit_refusal"
"""The scope key that carries a refusal from the gate to the answer."""


def tenant_verifier(settings: GatewaySettings) -> CachingVerifier | None:
    """The gateway's check of tenant tokens, cached per token; None without a token key."""
    try:
        return CachingVerifier(TokenVerifier(settings), name="gateway_verified_tokens")
    except ValueError:
        return None


def add_rate_limits(app: FastAPI, settings: GatewaySettings, verifier: CachingVerifier | None,
                    outer: Callable[[ASGIApp], ASGIApp]) -> None:
    """Put the gate in front of ``app``'s whole stack (call it after instrumenting the app) when the
    settings set a limit and the gateway has a key to tell tenants apart; ``outer`` wraps an ASGI app
    in the middleware every response passes through."""
    limiter = RateLimiter.from_settings(settings)
    if not limiter.enabled:
        return
    if verifier is None:
        logger.warning("rate limits left to the services: the gateway has no token key "
                       "(ASSAY_JWT_HS256_SECRET or ASSAY_JWT_PUBLIC_KEY_FILE)")
        return
    build = app.build_middleware_stack
    answer = outer(answer_refusal)
    app.build_middleware_stack = lambda: RateLimitGate(build(), limiter, verifier, answer)  # type: ignore[method-assign]


class RateLimitGate(_HttpMiddleware):
    """Passes a request on, or hands it to ``answer`` with its refusal in the scope."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter, verifier: CachingVerifier, answer: ASGIApp) -> None:
        super().__init__(app)
        self._limiter = limiter
        self._verifier = verifier
        self._answer = answer

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = self._limiter.refusal(_bearer_token(scope), self._verifier)
        if refusal is None:
            await self.app(scope, receive, send)
            return
        scope[REFUSAL] = refusal
        await self._answer(scope, receive, send)


async def answer_refusal(scope: Scope, receive: Receive, send: Send) -> None:
    """The 429 problem of the refusal the gate put in the scope."""
    response = problem_json(Problem.from_error(scope[REFUSAL]), scope["path"],
                            scope.get("state", {}).get("request_id"))
    await response(scope, receive, send)


def _bearer_token(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = bytes(value).decode("latin-1").partition(" ")
            token = token.strip()
            return token if scheme.lower() == "bearer" and token else None
    return None
