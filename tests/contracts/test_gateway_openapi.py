"""Schemathesis against the gateway's own OpenAPI document, served by uvicorn over the real jobs service.

Every operation gets a bounded, deterministic set of generated requests (authenticated with a
minted token); no response may be a server error or disagree with the documented schema.
"""

from __future__ import annotations

import asyncio
from typing import Any

import hypothesis
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

MAX_EXAMPLES = 20

# Operations whose upstream RPCs only the real ingest / analysis services implement; the
# fixtures' stand-ins answer health checks and the two upload streams only.
NEEDS_REAL_SERVICES = {
    ("GET", "/v1/files"), ("GET", "/v1/files/{file_id}"), ("DELETE", "/v1/files/{file_id}"),
    ("GET", "/v1/files/{file_id}/download"), ("GET", "/v1/analyzers"),
    ("POST", "/v1/collections"), ("GET", "/v1/collections"), ("GET", "/v1/collections/{collection_id}"),
    ("DELETE", "/v1/collections/{collection_id}"), ("POST", "/v1/collections/{collection_id}:ask"),
}


def run_schemathesis(document: dict[str, Any], base_url: str, headers: dict[str, str]) -> dict[str, str]:
    """Every failure found, by operation (empty when the gateway conforms)."""
    schema = schemathesis.openapi.from_dict(document)
    failures: dict[str, str] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in NEEDS_REAL_SERVICES:
            continue

        @hypothesis.settings(max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None,
                             suppress_health_check=list(HealthCheck), phases=[hypothesis.Phase.generate])
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            case.call_and_validate(base_url=base_url, headers=headers, timeout=10,
                                   checks=[not_a_server_error, response_schema_conformance])

        try:
            check()
        except Exception as error:  # collected and reported together
            failures[f"{operation.method.upper()} {operation.path}"] = str(error)[:2000]
    return failures


async def test_generated_requests_find_no_server_error_and_no_response_that_violates_the_schema(gateway):
    server = uvicorn.Server(uvicorn.Config(gateway.app, host="127.0.0.1", port=0, lifespan="off",
                                           log_level="warning"))
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:  # noqa: ASYNC110 - uvicorn exposes a flag, not an event
            await asyncio.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        failures = await asyncio.to_thread(
            run_schemathesis, gateway.app.openapi(), f"http://127.0.0.1:{port}", gateway.auth())
    finally:
        server.should_exit = True
        await serving
    assert not failures, "\n\n".join(f"{name}:\n{text}" for name, text in failures.items())
