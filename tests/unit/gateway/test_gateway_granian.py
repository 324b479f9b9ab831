"""granian's options for the gateway: ASGI with lifespan on the asyncio loop (grpc.aio shares it),
HTTP/1.1, its own access log and logging off, idle keep-alive as long as uvicorn's, dead workers
respawned, one worker per configured process."""

from __future__ import annotations

import pytest
from granian.constants import HTTPModes, Interfaces, Loops
from granian.server import Server

from assay.gateway.config import GatewaySettings
from assay.gateway.serve import APP_FACTORY, granian_options


def test_the_app_runs_as_asgi_with_lifespan_on_the_asyncio_loop_over_http_1_1() -> None:
    options = granian_options(GatewaySettings())
    assert (options["interface"], options["loop"], options["http"]) == (Interfaces.ASGI, Loops.asyncio, HTTPModes.http1)
    assert options["factory"] is True
    assert (options["log_access"], options["log_enabled"], options["respawn_failed_workers"]) == (False, False, True)
    server = Server(APP_FACTORY, **options)
    assert (server.workers, server.backlog) == (1, 2048)


def test_idle_keep_alive_and_processes_follow_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSAY_HTTP_KEEP_ALIVE_SECONDS", "120")
    monkeypatch.setenv("ASSAY_GATEWAY_PROCESSES", "3")
    options = granian_options(GatewaySettings())
    assert options["http1_settings"].header_read_timeout == 120_000
    assert options["http1_settings"].keep_alive is True
    assert Server(APP_FACTORY, **options).workers == 3


def test_an_unknown_server_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSAY_GATEWAY_SERVER", "hypercorn")
    with pytest.raises(ValueError, match="gateway_server"):
        GatewaySettings()
