"""What a browser needs from the REST API: stream tickets, EventSource-shaped SSE (end, retry,
Last-Event-ID), list views, offline docs, CORS and the job's trace, against the real jobs service."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from integration.gateway_fixtures import Gateway, gateway_settings
from integration.test_gateway_api import create, drive_to_success, parse_sse
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import REGISTRY
from test_worker_tracing import span_exporter, spans  # noqa: F401 - fixtures

from assay.gateway.app import create_app
from assay.gateway.tickets import TicketBox
from assay.v1 import job_execution_service_pb2 as ex
from assay.v1 import job_pb2
from assay.v1 import jobs_service_pb2 as js


def expired_count() -> float:
    return REGISTRY.get_sample_value("assay_gateway_stream_tickets_total", {"outcome": "ticket_expired"}) or 0.0


def events_of(text: str) -> list[dict[str, str]]:
    return [m for m in parse_sse(text) if "event" in m]


async def succeeded_job(gateway: Gateway) -> str:
    job = (await create(gateway)).json()
    await drive_to_success(gateway, job["id"])
    return str(job["id"])


async def test_the_stream_opens_with_retry_and_closes_with_end_after_the_final_snapshot(gateway):
    job_id = await succeeded_job(gateway)
    response = await gateway.client.get(f"/v1/jobs/{job_id}/events", headers=gateway.auth())
    assert response.status_code == 200
    assert response.text.startswith("retry: 3000\n\n"), "EventSource's reconnection delay comes first"
    [final, end] = events_of(response.text)
    assert final["event"] == "job" and json.loads(final["data"])["state"] == "STATE_SUCCEEDED"
    assert end["event"] == "end" and "id" not in end
    assert json.loads(end["data"]) == {"id": job_id, "state": "STATE_SUCCEEDED"}


async def test_last_event_id_resumes_after_the_snapshot_it_names_without_repeating_it(gateway):
    job_id = await succeeded_job(gateway)
    first = events_of((await gateway.client.get(f"/v1/jobs/{job_id}/events", headers=gateway.auth())).text)
    last_id = first[0]["id"]
    again = await gateway.client.get(f"/v1/jobs/{job_id}/events", headers={**gateway.auth(), "Last-Event-ID": last_id})
    assert [m["event"] for m in events_of(again.text)] == ["end"], "the final snapshot was seen: only end"
    earlier = await gateway.client.get(f"/v1/jobs/{job_id}/events",
                                       headers={**gateway.auth(), "Last-Event-ID": str(int(last_id) - 1)})
    assert [(m["event"], m.get("id")) for m in events_of(earlier.text)] == [("job", last_id), ("end", None)]


async def test_a_resumed_live_stream_skips_the_snapshot_already_seen_and_follows_to_the_end(gateway):
    job = (await create(gateway)).json()
    worker, capability = gateway.jobs.worker, gateway.jobs.capability("acme", job["id"])
    await gateway.jobs.execution.StartJob(ex.StartJobRequest(
        id=job["id"], tenant_id="acme", attempt=1, analyzer_version="1.0.0", capability=capability), metadata=worker)
    seen = await gateway.jobs.jobs.WatchJob(js.WatchJobRequest(id=job["id"]), metadata=gateway.jobs.token()).read()
    sequence = seen.job.event_sequence
    assert seen.job.state == job_pb2.Job.STATE_RUNNING and sequence > 0
    stream = asyncio.create_task(gateway.client.get(
        f"/v1/jobs/{job['id']}/events", headers={**gateway.auth(), "Last-Event-ID": str(sequence)}))
    await gateway.jobs.execution.CompleteJob(
        ex.CompleteJobRequest(id=job["id"], tenant_id="acme", attempt=1, capability=capability), metadata=worker)
    events = events_of((await asyncio.wait_for(stream, 20)).text)
    states = [json.loads(m["data"])["state"] for m in events if m["event"] == "job"]
    assert states == ["STATE_SUCCEEDED"], "the RUNNING snapshot the client had is not sent again"
    assert int(events[0]["id"]) > sequence and events[-1]["event"] == "end"


async def test_a_malformed_last_event_id_is_a_400_naming_the_header(gateway):
    job = (await create(gateway)).json()
    response = await gateway.client.get(f"/v1/jobs/{job['id']}/events",
                                        headers={**gateway.auth(), "Last-Event-ID": "abc"})
    assert response.status_code == 400
    assert response.json()["violations"][0]["field"] == "Last-Event-ID"


async def test_a_stream_ticket_opens_that_jobs_events_without_an_authorization_header(gateway):
    job_id = await succeeded_job(gateway)
    token = gateway.auth()["Authorization"].removeprefix("Bearer ")
    issued = await gateway.client.post(f"/v1/jobs/{job_id}/events:ticket", headers=gateway.auth())
    assert issued.status_code == 200, issued.text
    body = issued.json()
    assert body["expires_in"] == 60 and token not in body["ticket"] and token not in body["events_url"]
    assert issued.headers["cache-control"] == "no-store"
    stream = await gateway.client.get(body["events_url"])  # what EventSource does: no headers
    assert stream.status_code == 200
    assert [m["event"] for m in events_of(stream.text)] == ["job", "end"]


async def test_the_ticket_is_redacted_from_the_server_spans_url(gateway, spans: InMemorySpanExporter):  # noqa: F811 - the fixture
    job_id = await succeeded_job(gateway)
    body = (await gateway.client.post(f"/v1/jobs/{job_id}/events:ticket", headers=gateway.auth())).json()
    assert (await gateway.client.get(body["events_url"])).status_code == 200
    servers = [s for s in spans.get_finished_spans()
               if any("/events" in str(v) for v in (s.attributes or {}).values())]
    assert servers, "the stream's server span was recorded"
    values = [str(v) for s in servers for v in (s.attributes or {}).values()]
    assert not any(body["ticket"] in v for v in values)
    assert any("ticket=REDACTED" in v for v in values)


async def test_a_ticket_is_refused_for_another_job_tampered_expired_or_on_any_other_route(gateway):
    job_id, other_id = await succeeded_job(gateway), await succeeded_job(gateway)
    ticket = (await gateway.client.post(f"/v1/jobs/{job_id}/events:ticket", headers=gateway.auth())).json()["ticket"]
    elsewhere = await gateway.client.get(f"/v1/jobs/{other_id}/events", params={"ticket": ticket})
    assert elsewhere.status_code == 401 and elsewhere.json()["code"] == "TICKET_INVALID"
    tampered = await gateway.client.get(f"/v1/jobs/{job_id}/events", params={"ticket": ticket[:-4] + "AAAA"})
    assert tampered.status_code == 401 and tampered.json()["code"] == "TICKET_INVALID"
    read = await gateway.client.get(f"/v1/jobs/{job_id}", params={"ticket": ticket})
    assert read.status_code == 401, "read-only, one route: a ticket is no credential for GET /v1/jobs/{id}"
    box: TicketBox = gateway.app.state.tickets
    token = gateway.auth()["Authorization"].removeprefix("Bearer ")
    old = box.seal(job_id, token, issued_at=int(time.time()) - box.ttl_seconds - 5)
    refused_before = expired_count()
    expired = await gateway.client.get(f"/v1/jobs/{job_id}/events", params={"ticket": old})
    assert expired.status_code == 401 and expired.json()["code"] == "TICKET_EXPIRED"
    assert expired_count() == refused_before + 1, "refusals are counted by reason"
    assert expired.headers["www-authenticate"].startswith("Bearer")


async def test_a_ticket_is_only_issued_for_a_job_the_caller_can_read(gateway):
    job = (await create(gateway, tenant="acme")).json()
    foreign = await gateway.client.post(f"/v1/jobs/{job['id']}/events:ticket", headers=gateway.auth(tenant="globex"))
    assert foreign.status_code == 404 and foreign.json()["code"] == "JOB_NOT_FOUND"
    anonymous = await gateway.client.post(f"/v1/jobs/{job['id']}/events:ticket")
    assert anonymous.status_code == 401


async def test_lists_default_to_the_basic_view_and_full_brings_results_and_inputs_back(gateway):
    tenant = "views"
    job = (await create(gateway, text="I love it", tenant=tenant)).json()
    worker, capability = gateway.jobs.worker, gateway.jobs.capability(tenant, job["id"])
    await gateway.jobs.execution.StartJob(ex.StartJobRequest(
        id=job["id"], tenant_id=tenant, attempt=1, analyzer_version="1.0.0", capability=capability), metadata=worker)
    await gateway.jobs.execution.CompleteJob(ex.CompleteJobRequest(
        id=job["id"], tenant_id=tenant, attempt=1, capability=capability,
        result=job_pb2.JobResult(sentiment={"statistics": {"rows_total": 1}})), metadata=worker)
    auth = gateway.auth(tenant=tenant)
    [basic] = (await gateway.client.get("/v1/jobs", headers=auth)).json()["jobs"]
    assert "result" not in basic and "params" not in basic and basic["inputs"]["text"] == ""
    assert basic["state"] == "STATE_SUCCEEDED" and basic["progress"] == 100 and basic["analyzer"] == "sentiment"
    assert basic["end_time"] and basic["trace_id"] == job["trace_id"]
    [full] = (await gateway.client.get("/v1/jobs", params={"view": "FULL"}, headers=auth)).json()["jobs"]
    assert full["result"]["sentiment"]["statistics"]["rows_total"] == 1 and full["inputs"]["text"] == "I love it"
    single = (await gateway.client.get(f"/v1/jobs/{job['id']}", headers=auth)).json()
    assert single["result"] == full["result"], "GetJob defaults to FULL"
    trimmed = (await gateway.client.get(f"/v1/jobs/{job['id']}", params={"view": "basic"}, headers=auth)).json()
    assert "result" not in trimmed
    bad = await gateway.client.get("/v1/jobs", params={"view": "HUGE"}, headers=auth)
    assert bad.status_code == 400 and bad.json()["violations"][0]["field"] == "view"


async def test_grpc_list_jobs_is_basic_unless_full_is_asked_for(gateway):
    tenant = "grpc-views"
    job = (await create(gateway, text="so good", tenant=tenant)).json()
    token = gateway.jobs.token(tenant=tenant)
    [basic] = (await gateway.jobs.jobs.ListJobs(js.ListJobsRequest(), metadata=token)).jobs
    assert basic.id == job["id"] and basic.inputs.text == "" and not basic.HasField("params")
    [full] = (await gateway.jobs.jobs.ListJobs(js.ListJobsRequest(view=js.JOB_VIEW_FULL), metadata=token)).jobs
    assert full.inputs.text == "so good" and full.HasField("params")
    got = (await gateway.jobs.jobs.GetJob(js.GetJobRequest(id=job["id"]), metadata=token)).job
    assert got.inputs.text == "so good", "GetJob's default is FULL"


async def test_docs_and_redoc_load_their_assets_from_the_gateway_not_a_cdn(gateway):
    for page, asset in (("/docs", "/docs/static/swagger-ui-bundle.js"), ("/redoc", "/docs/static/redoc.standalone.js")):
        html = await gateway.client.get(page)
        assert html.status_code == 200 and asset in html.text
        assert "cdn." not in html.text and "fonts.googleapis" not in html.text
        assert "https:" not in html.headers["content-security-policy"], "the CSP allows no other host"
        script = await gateway.client.get(asset)
        assert script.status_code == 200 and len(script.content) > 100_000


async def test_cors_states_its_credentials_policy_and_lets_eventsource_resume(gateway):
    app = create_app(gateway_settings(cors_origins="https://app.example"), gateway.channels)
    client = gateway.client_for(app)
    preflight = await client.options("/v1/jobs/x/events", headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "last-event-id"})
    assert preflight.status_code == 200
    assert "last-event-id" in preflight.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in preflight.headers, "bearer tokens, never cookies"


def span(trace_id: str, span_id: str, parent: str, name: str, start: int, end: int, status: str = "OK") -> str:
    return json.dumps({"trace_id": trace_id, "span_id": span_id, "parent_id": parent, "name": name, "kind": "INTERNAL",
                       "service": "assay-jobs", "start_ns": start, "end_ns": end, "status": status,
                       "events": [{"name": "assay.cancel_requested", "time_ns": start + 1_000_000, "attributes": {}}]})


async def test_the_trace_route_serves_the_jobs_spans_as_offsets_when_a_span_file_is_configured(gateway, tmp_path: Path):
    job = (await create(gateway, traceparent=f"00-{'e' * 32}-{'1' * 16}-01")).json()
    assert job["trace_id"] == "e" * 32, "the job joined the caller's trace"
    base = 1_764_000_000_000_000_000  # nanoseconds since the epoch: beyond 2^53
    span_file = tmp_path / "spans.jsonl"
    span_file.write_text("\n".join([
        span(job["trace_id"], "b" * 16, "a" * 16, "analyze sentiment", base + 2_000_000, base + 5_000_000, "ERROR"),
        span(job["trace_id"], "a" * 16, "", "CreateJob", base, base + 10_000_000),
        span("f" * 32, "c" * 16, "", "another trace", base, base + 1),
    ]) + "\n")
    (tmp_path / "spans.jsonl.1").write_text(span(job["trace_id"], "d" * 16, "a" * 16, "older file", base + 1_000_000,
                                                 base + 1_500_000) + "\n")
    client = gateway.client_for(create_app(gateway_settings(trace_file=str(span_file)), gateway.channels))
    response = await client.get(f"/v1/jobs/{job['id']}/trace", headers=gateway.auth())
    assert response.status_code == 200, response.text
    body = response.json()
    assert [s["name"] for s in body["spans"]] == ["CreateJob", "older file", "analyze sentiment"]
    first, _, failed = body["spans"]
    assert (first["offset_ms"], first["duration_ms"]) == (0.0, 10.0)
    assert (failed["offset_ms"], failed["duration_ms"], failed["status"]) == (2.0, 3.0, "ERROR")
    assert failed["events"] == [{"name": "assay.cancel_requested", "offset_ms": 3.0}]
    foreign = await client.get(f"/v1/jobs/{job['id']}/trace", headers=gateway.auth(tenant="globex"))
    assert foreign.status_code == 404 and foreign.json()["code"] == "JOB_NOT_FOUND"
    without = await gateway.client.get(f"/v1/jobs/{job['id']}/trace", headers=gateway.auth())
    assert without.status_code == 404 and without.json()["code"] == "TRACE_UNAVAILABLE"


async def test_retry_requeues_a_failed_job_for_an_admin_and_is_refused_to_a_user(gateway):
    job = (await create(gateway)).json()
    worker, capability = gateway.jobs.worker, gateway.jobs.capability("acme", job["id"])
    await gateway.jobs.execution.StartJob(ex.StartJobRequest(
        id=job["id"], tenant_id="acme", attempt=1, analyzer_version="1.0.0", capability=capability), metadata=worker)
    await gateway.jobs.execution.FailJob(ex.FailJobRequest(
        id=job["id"], tenant_id="acme", attempt=1, capability=capability,
        error=job_pb2.JobError(code="INPUT_UNPARSEABLE", message="bad", retryable=False)), metadata=worker)
    refused = await gateway.client.post(f"/v1/jobs/{job['id']}:retry", headers=gateway.auth(roles=("user",)))
    assert refused.status_code == 403 and refused.json()["code"] == "ROLE_REQUIRED"
    retried = await gateway.client.post(f"/v1/jobs/{job['id']}:retry", headers=gateway.auth(roles=("admin",)))
    assert retried.status_code == 200, retried.text
    assert retried.json()["state"] == "STATE_QUEUED"
    again = await gateway.client.post(f"/v1/jobs/{job['id']}:retry", headers=gateway.auth(roles=("admin",)))
    assert again.status_code == 409 and again.json()["code"] == "JOB_NOT_FAILED"


async def test_the_console_is_served_small_with_a_strict_csp_and_no_outside_reference(gateway):
    index = await gateway.client.get("/console/")
    assert index.status_code == 200 and index.headers["content-type"].startswith("text/html")
    policy = index.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy and "https:" not in policy
    assert (await gateway.client.get("/console", follow_redirects=False)).headers["location"] == "/console/"
    total = len(index.content)
    for asset in ("/console/console.js", "/console/console.css"):
        response = await gateway.client.get(asset)
        assert response.status_code == 200
        total += len(response.content)
        assert "http://" not in response.text and "https://" not in response.text, "nothing from another host"
    assert total < 200 * 1024, "first load under 200 KB even uncompressed"
