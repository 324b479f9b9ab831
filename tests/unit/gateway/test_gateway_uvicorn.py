"""The gateway's uvicorn options: keep-alive outlives the usual 60 s load-balancer idle timeout."""

from __future__ import annotations

import pytest
import uvicorn

from assay.gateway.config import GatewaySettings
from assay.gateway.serve import uvicorn_options


def test_idle_keep_alive_connections_outlive_a_load_balancers_60_seconds() -> None:
    options = uvicorn_options(GatewaySettings())
    assert options["timeout_keep_alive"] == 75
    config = uvicorn.Config("assay.gateway.app:create_app", **options)
    assert config.timeout_keep_alive == 75


def test_the_keep_alive_timeout_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSAY_HTTP_KEEP_ALIVE_SECONDS", "120")
    assert uvicorn_options(GatewaySettings())["timeout_keep_alive"] == 120


def test_http_is_parsed_by_httptools_on_the_asyncio_loop() -> None:
    options = uvicorn_options(GatewaySettings())
    assert (options["http"], options["loop"]) == ("httptools", "asyncio")
    config = uvicorn.Config("assay.gateway.app:create_app", **{**options, "factory": False})
    config.load()
    assert config.http_protocol_class.__name__ == "HttpToolsProtocol"
