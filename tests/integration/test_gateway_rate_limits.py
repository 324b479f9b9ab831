"""Rate limits where a request first arrives: the gateway answers 429 itself for REST (jobs never
sees the refused requests), and a service's first interceptor refuses gRPC calls before parsing
the request or running any of its code."""

# ruff: noqa: F811 - test parameters named after the imported fixtures

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from gateway_fixtures import gateway_over
from harness import Postgres
from harness.jobs import JWT_SECRET, JobsService, jobs_on_fresh_database
from ingest_fixtures import ingest_stack, ingest_variant, new_tenant, upload_requests  # noqa: F401 - fixtures
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client import REGISTRY
from test_worker_tracing import span_exporter, spans  # noqa: F401 - fixtures

from assay.common.errors import details_from_rpc_error
from assay.v1 import jobs_service_pb2 as js

pytestmark = pytest.mark.integration

GET_USAGE = "/assay.v1.JobService/GetUsage"


@pytest.fixture(scope="module")
async def unlimited_jobs(postgres: Postgres, nats_server) -> AsyncIterator[JobsService]:  # type: ignore[no-untyped-def]
    """Jobs with no rate limit of its own: whatever the gateway lets through succeeds there."""
    async with jobs_on_fresh_database(postgres, nats_server.url, "gwrates") as service:
        yield service


def calls_served_by_jobs(method: str) -> float:
    """RPCs of ``method`` the jobs service answered OK (its latency histogram's count)."""
    return REGISTRY.get_sample_value("assay_rpc_duration_seconds_count", {"method": method, "code": "OK"}) or 0.0


def bearer(service: JobsService, tenant: str, subject: str = "alice") -> dict[str, str]:
    return {"Authorization": service.token(tenant=tenant, subject=subject)[0][1]}


async def test_a_flooding_tenant_is_refused_at_the_gateway_and_the_refusals_never_reach_jobs(
    unlimited_jobs: JobsService,
) -> None:
    async with gateway_over(f"127.0.0.1:{unlimited_jobs.server.port}", "127.0.0.1:1", jwt_hs256_secret=JWT_SECRET,
                            rate_limit_tenant="flood=0.01", rate_limit_burst_seconds=300) as client:
        served_before = calls_served_by_jobs(GET_USAGE)
        flood, other = bearer(unlimited_jobs, "flood"), bearer(unlimited_jobs, "calm")
        statuses = [(await client.get("/v1/usage", headers=flood)).status_code for _ in range(10)]
        refused = await client.get("/v1/usage", headers=flood)
        # refused before the body is read: a malformed create is answered 429, not 400
        malformed = await client.post("/v1/jobs", headers={**flood, "Content-Type": "application/json"},
                                      content=b"{not json")
        others = [(await client.get("/v1/usage", headers=other)).status_code for _ in range(10)]

    assert statuses == [200] * 3 + [429] * 7  # a burst of 0.01/s over 300 s
    assert others == [200] * 10
    assert calls_served_by_jobs(GET_USAGE) - served_before == 13  # the 8 refusals never reached jobs
    assert refused.status_code == 429 and malformed.status_code == 429
    problem = refused.json()
    assert (problem["code"], problem["grpc_code"], problem["status"]) == ("RATE_LIMITED", "RESOURCE_EXHAUSTED", 429)
    assert problem["detail"].startswith("tenant flood is over its rate limit of 0.01 requests per second")
    assert problem["request_id"] == refused.headers["X-Request-ID"]
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.headers["RateLimit-Policy"] == '"tenant";q=3;w=300'
    assert refused.headers["RateLimit"].startswith('"tenant";r=0;t=')
    assert refused.headers["X-Content-Type-Options"] == "nosniff"


async def test_each_token_has_its_own_bucket_at_the_gateway(unlimited_jobs: JobsService) -> None:
    async with gateway_over(f"127.0.0.1:{unlimited_jobs.server.port}", "127.0.0.1:1", jwt_hs256_secret=JWT_SECRET,
                            rate_limit_token=0.01, rate_limit_burst_seconds=300) as client:
        alice, bob = bearer(unlimited_jobs, "acme", "alice"), bearer(unlimited_jobs, "acme", "bob")
        alices = [(await client.get("/v1/usage", headers=alice)).status_code for _ in range(4)]
        refused = await client.get("/v1/usage", headers=alice)
        bobs = [(await client.get("/v1/usage", headers=bob)).status_code for _ in range(3)]

    assert alices == [200, 200, 200, 429]
    assert bobs == [200, 200, 200]  # the same tenant, another token: its own bucket
    assert refused.headers["RateLimit-Policy"] == '"token";q=3;w=300'
    assert refused.json()["detail"].startswith("this token is over its rate limit")


async def test_refusals_are_counted_not_traced(unlimited_jobs: JobsService, limited_jobs: JobsService,
                                               spans: InMemorySpanExporter) -> None:
    refused_before = REGISTRY.get_sample_value("assay_rate_limited_total", {"limit": "tenant"}) or 0.0
    async with gateway_over(f"127.0.0.1:{unlimited_jobs.server.port}", "127.0.0.1:1", jwt_hs256_secret=JWT_SECRET,
                            rate_limit_tenant="traced=0.01", rate_limit_burst_seconds=100) as client:
        statuses = [(await client.get("/v1/usage", headers=bearer(unlimited_jobs, "traced"))).status_code
                    for _ in range(4)]
    grpc_token = limited_jobs.token(tenant="traced")
    await limited_jobs.jobs.GetUsage(js.GetUsageRequest(), metadata=grpc_token)  # its burst of one
    for _ in range(3):
        with pytest.raises(grpc.aio.AioRpcError):
            await limited_jobs.jobs.GetUsage(js.GetUsageRequest(), metadata=grpc_token)

    assert statuses == [200, 429, 429, 429]
    assert (REGISTRY.get_sample_value("assay_rate_limited_total", {"limit": "tenant"}) or 0.0) - refused_before == 6
    codes = [str(value) for span in spans.get_finished_spans() if span.kind == SpanKind.SERVER
             for key, value in (span.attributes or {}).items()
             if key in ("http.status_code", "http.response.status_code", "rpc.grpc.status_code")]
    assert "200" in codes and "0" in codes  # the accepted requests were traced
    assert "429" not in codes and str(grpc.StatusCode.RESOURCE_EXHAUSTED.value[0]) not in codes


async def test_a_browser_reads_the_refusal_and_its_headers_across_origins(unlimited_jobs: JobsService) -> None:
    origin = "https://console.example"
    async with gateway_over(f"127.0.0.1:{unlimited_jobs.server.port}", "127.0.0.1:1", jwt_hs256_secret=JWT_SECRET,
                            rate_limit_tenant="cors=0.01", rate_limit_burst_seconds=100, cors_origins=origin) as client:
        headers = {**bearer(unlimited_jobs, "cors"), "Origin": origin}
        assert (await client.get("/v1/usage", headers=headers)).status_code == 200
        refused = await client.get("/v1/usage", headers=headers)

    assert refused.status_code == 429
    assert refused.headers["Access-Control-Allow-Origin"] == origin
    exposed = {name.strip().lower() for name in refused.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"retry-after", "ratelimit", "ratelimit-policy", "x-request-id"} <= exposed


async def test_requests_the_gateway_cannot_attribute_go_on_to_be_answered_by_the_service(
    unlimited_jobs: JobsService,
) -> None:
    async with gateway_over(f"127.0.0.1:{unlimited_jobs.server.port}", "127.0.0.1:1", jwt_hs256_secret=JWT_SECRET,
                            rate_limit_tenant="*=0.01", rate_limit_burst_seconds=100) as client:
        statuses = [(await client.get("/v1/usage", headers={"Authorization": "Bearer not-a-jwt"})).status_code
                    for _ in range(3)]
        anonymous = await client.get("/v1/usage")

    assert statuses == [401] * 3  # not counted against anyone: jobs refuses the token in its own words
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "UNAUTHENTICATED"


async def test_with_two_gateways_the_service_behind_them_bounds_the_tenant(limited_jobs: JobsService) -> None:
    """Each gateway replica applies the full limit to what it sees; jobs, with the same limit, refuses
    what the replicas pass on together beyond it (docs/architecture.md, "Rate limits")."""
    limits = {"jwt_hs256_secret": JWT_SECRET, "rate_limit_tenant": "spread=0.01", "rate_limit_burst_seconds": 100}
    jobs_addr = f"127.0.0.1:{limited_jobs.server.port}"
    headers = bearer(limited_jobs, "spread")
    async with gateway_over(jobs_addr, "127.0.0.1:1", **limits) as first, \
            gateway_over(jobs_addr, "127.0.0.1:1", **limits) as second:
        served_before = calls_served_by_jobs(GET_USAGE)
        through_first = (await first.get("/v1/usage", headers=headers)).status_code
        through_second = await second.get("/v1/usage", headers=headers)  # within the second gateway's own bucket

    assert through_first == 200
    assert through_second.status_code == 429 and through_second.json()["code"] == "RATE_LIMITED"
    assert through_second.headers["RateLimit-Policy"] == '"tenant";q=1;w=100'
    assert calls_served_by_jobs(GET_USAGE) - served_before == 1


@pytest.fixture(scope="module")
async def limited_jobs(postgres: Postgres, nats_server) -> AsyncIterator[JobsService]:  # type: ignore[no-untyped-def]
    limits = {"rate_limit_tenant": "flood=0.01,traced=0.01,spread=0.01", "rate_limit_burst_seconds": 100}
    async with jobs_on_fresh_database(postgres, nats_server.url, "grpcrates", **limits) as service:
        yield service


async def test_a_refused_grpc_call_is_answered_before_its_request_is_parsed(limited_jobs: JobsService) -> None:
    flood = limited_jobs.token(tenant="flood")
    raw_create = limited_jobs.channel.unary_unary("/assay.v1.JobService/CreateJob",
                                                  request_serializer=lambda raw: raw, response_deserializer=None)
    await limited_jobs.jobs.GetUsage(js.GetUsageRequest(), metadata=flood)  # the one request of the burst
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await raw_create(b"\xff\xff\xff not a protobuf message", metadata=flood)
    with pytest.raises(grpc.aio.AioRpcError) as watch:
        async for _ in limited_jobs.jobs.WatchJob(js.WatchJobRequest(id="00000000-0000-4000-8000-000000000000"),
                                                  metadata=flood):
            pass

    for error in (refused.value, watch.value):
        details = details_from_rpc_error(error)
        assert (details.code, details.reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "RATE_LIMITED")
        assert details.metadata["rate_limit"] == "tenant" and details.metadata["limit"] == "1"
    with pytest.raises(grpc.aio.AioRpcError) as unparsed:  # another tenant's malformed request is parsed
        await raw_create(b"\xff\xff\xff not a protobuf message", metadata=limited_jobs.token(tenant="calm"))
    assert unparsed.value.code() != grpc.StatusCode.RESOURCE_EXHAUSTED


async def test_a_refused_upload_stream_reads_the_refusal_and_stores_nothing(ingest_variant) -> None:  # type: ignore[no-untyped-def]
    tenant = new_tenant()
    async with ingest_variant(rate_limit_tenant=f"{tenant}=0.01", rate_limit_burst_seconds=100) as ingest:
        token = ingest.token(tenant=tenant)
        await ingest.upload([b"first"], metadata=token)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await ingest.files.UploadFile(upload_requests([b"x" * 65536] * 32), metadata=token)

        details = details_from_rpc_error(refused.value)
        assert (details.code, details.reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "RATE_LIMITED")
        assert len(ingest.object_keys(tenant)) == 1
