"""The gateway's access log: one line per request, at a level that follows its outcome."""

from __future__ import annotations

import logging

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from assay.gateway import middleware
from assay.gateway.config import GatewaySettings
from assay.gateway.middleware import FrontMiddleware
from assay.gateway.serve import uvicorn_options


async def answer(request: Request) -> PlainTextResponse:
    return PlainTextResponse("x", status_code=int(request.path_params["status"]))


def client() -> httpx.AsyncClient:
    app = FrontMiddleware(Starlette(routes=[Route("/answer/{status}", answer)]))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")


def access_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "assay.gateway.access"]


async def test_a_fast_success_is_logged_at_debug_only(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="assay.gateway.access")
    async with client() as http:
        await http.get("/answer/200")
    assert access_records(caplog) == [], "a status poll costs no log line at INFO"
    caplog.set_level(logging.DEBUG, logger="assay.gateway.access")
    async with client() as http:
        await http.get("/answer/200", headers={"X-Request-ID": "req-1"})
    (record,) = access_records(caplog)
    assert record.levelno == logging.DEBUG
    assert (record.http_method, record.http_route, record.http_status, record.request_id) == (  # type: ignore[attr-defined]
        "GET", "/answer/{status}", 200, "req-1")


async def test_client_errors_are_logged_at_info_and_server_errors_at_warning(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="assay.gateway.access")
    async with client() as http:
        await http.get("/answer/404")
        await http.get("/answer/503")
    assert [(r.levelno, r.http_status) for r in access_records(caplog)] == [  # type: ignore[attr-defined]
        (logging.INFO, 404), (logging.WARNING, 503)]


async def test_a_slow_success_is_logged_at_info(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(middleware, "SLOW_SECONDS", 0.0)
    caplog.set_level(logging.INFO, logger="assay.gateway.access")
    async with client() as http:
        await http.get("/answer/200")
    assert [r.levelno for r in access_records(caplog)] == [logging.INFO]


def test_uvicorn_writes_no_access_log_of_its_own() -> None:
    assert uvicorn_options(GatewaySettings())["access_log"] is False
