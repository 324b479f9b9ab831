"""The REST gateway over the real jobs service: translation, problems, headers and streaming."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
from integration.gateway_fixtures import Gateway, drive_to_success, gateway_settings

from assay.gateway.app import create_app
from assay.v1 import job_pb2

PROBLEM = "application/problem+json"


async def create(gw: Gateway, text: str = "I love it", tenant: str = "acme", **headers: str) -> httpx.Response:
    return await gw.client.post("/v1/jobs", json={"analyzer": "sentiment", "inputs": {"text": text}},
                                headers={**gw.auth(tenant=tenant), **headers})


async def test_creating_a_job_answers_202_with_location_and_the_queued_job_which_get_returns(gateway):
    created = await create(gateway)
    assert created.status_code == 202, created.text
    job = created.json()
    assert created.headers["location"] == f"/v1/jobs/{job['id']}"
    assert job["state"] == "STATE_QUEUED" and job["analyzer"] == "sentiment"
    assert job["inputs"] == {"file_ids": [], "text": "I love it", "jobs": []}
    assert job["progress"] == 0 and job["cancel_requested"] is False, "fields without presence are printed"
    fetched = await gateway.client.get(created.headers["location"], headers=gateway.auth())
    assert fetched.status_code == 200 and fetched.json() == job


async def test_listing_filters_by_state_written_in_any_of_its_three_spellings(gateway):
    job = (await create(gateway)).json()
    for state in ("queued", "QUEUED", "STATE_QUEUED"):
        listed = await gateway.client.get("/v1/jobs", params={"state": state, "page_size": 100},
                                          headers=gateway.auth())
        assert listed.status_code == 200
        ids = [found["id"] for found in listed.json()["jobs"]]
        assert job["id"] in ids
        assert {found["state"] for found in listed.json()["jobs"]} == {"STATE_QUEUED"}
    wrong = await gateway.client.get("/v1/jobs", params={"state": "sleeping"}, headers=gateway.auth())
    assert wrong.status_code == 400 and wrong.json()["violations"][0]["field"] == "state"


async def test_listing_pages_with_page_size_and_next_page_token(gateway):
    for _ in range(3):
        await create(gateway, tenant="pager")
    first = (await gateway.client.get("/v1/jobs", params={"page_size": 2}, headers=gateway.auth("pager"))).json()
    assert len(first["jobs"]) == 2 and first["next_page_token"]
    second = (await gateway.client.get("/v1/jobs", params={"page_size": 2, "page_token": first["next_page_token"]},
                                       headers=gateway.auth("pager"))).json()
    assert len(second["jobs"]) == 1 and second["next_page_token"] == ""


async def test_cancelling_a_queued_job_cancels_it_and_cancelling_again_is_a_409_problem(gateway):
    job = (await create(gateway)).json()
    cancelled = await gateway.client.post(f"/v1/jobs/{job['id']}:cancel", headers=gateway.auth())
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "STATE_CANCELLED"
    again = await gateway.client.post(f"/v1/jobs/{job['id']}:cancel", headers=gateway.auth())
    if again.status_code != 200:  # cancelling a terminal job may be an idempotent no-op upstream
        assert again.status_code == 409 and again.headers["content-type"] == PROBLEM


async def test_another_tenants_token_gets_a_404_problem_for_the_first_tenants_job(gateway):
    job = (await create(gateway, tenant="acme")).json()
    for path in (f"/v1/jobs/{job['id']}", f"/v1/jobs/{job['id']}/result", f"/v1/jobs/{job['id']}/events"):
        other = await gateway.client.get(path, headers=gateway.auth(tenant="globex"))
        assert other.status_code == 404, path
        assert other.headers["content-type"] == PROBLEM
        problem = other.json()
        assert problem["status"] == 404 and problem["grpc_code"] == "NOT_FOUND" and problem["code"]
    cancel = await gateway.client.post(f"/v1/jobs/{job['id']}:cancel", headers=gateway.auth(tenant="globex"))
    assert cancel.status_code == 404
    assert (await gateway.client.get(f"/v1/jobs/{job['id']}", headers=gateway.auth())).json()["state"] == "STATE_QUEUED"


async def test_a_request_without_a_token_gets_a_401_problem(gateway):
    response = await gateway.client.get("/v1/jobs")
    assert response.status_code == 401 and response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["grpc_code"] == "UNAUTHENTICATED" and problem["instance"] == "/v1/jobs"
    assert problem["type"].startswith("https://") and problem["title"] == "Unauthorized"


async def test_a_600_character_text_gets_a_400_problem_naming_inputs_text(gateway):
    response = await create(gateway, text="x" * 600)
    assert response.status_code == 400 and response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["grpc_code"] == "INVALID_ARGUMENT" and problem["code"]
    assert "inputs.text" in [violation["field"] for violation in problem["violations"]]


async def test_a_body_that_is_not_a_create_job_request_gets_a_400_problem(gateway):
    for body in (b"{not json", b"[1]", b'{"analyzer": "sentiment", "bogus": 1}', b'{"priority": "high"}'):
        response = await gateway.client.post("/v1/jobs", content=body, headers={
            **gateway.auth(), "Content-Type": "application/json"})
        assert response.status_code == 400, body
        assert response.headers["content-type"] == PROBLEM and response.json()["violations"]
    plain = await gateway.client.post("/v1/jobs", content=b"hi",
                                      headers={**gateway.auth(), "Content-Type": "text/plain"})
    assert plain.status_code == 415


async def test_the_same_idempotency_key_returns_the_same_job_twice(gateway):
    key = f"key-{uuid.uuid4().hex}"
    first = await create(gateway, **{"Idempotency-Key": key})
    second = await create(gateway, **{"Idempotency-Key": key})
    assert first.status_code == second.status_code == 202
    assert first.json()["id"] == second.json()["id"] and first.json()["request_id"] == key
    different = await gateway.client.post("/v1/jobs", json={"analyzer": "sentiment", "inputs": {"text": "other"}},
                                          headers={**gateway.auth(), "Idempotency-Key": key})
    assert different.status_code == 409 and different.json()["grpc_code"] == "ALREADY_EXISTS"


async def test_x_request_id_is_echoed_and_generated_when_absent(gateway):
    echoed = await gateway.client.get("/v1/jobs", headers={**gateway.auth(), "X-Request-ID": "req-123"})
    assert echoed.headers["x-request-id"] == "req-123"
    generated = await gateway.client.get("/v1/jobs", headers=gateway.auth())
    assert uuid.UUID(generated.headers["x-request-id"])
    problem = await gateway.client.get("/v1/jobs", headers={"X-Request-ID": "req-456"})
    assert problem.json()["request_id"] == "req-456"


async def test_every_response_carries_the_security_headers_and_only_the_docs_page_relaxes_the_csp(gateway):
    for path in ("/v1/jobs", "/healthz", "/openapi.json", "/no/such/route"):
        response = await gateway.client.get(path, headers=gateway.auth())
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
        assert "script-src" not in response.headers["content-security-policy"]
    docs = await gateway.client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert "script-src" in docs.headers["content-security-policy"] and docs.headers["x-frame-options"] == "DENY"
    unknown = await gateway.client.get("/no/such/route")
    assert unknown.status_code == 404 and unknown.headers["content-type"] == PROBLEM


async def test_cors_preflight_is_allowed_only_for_configured_origins(gateway):
    preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization,content-type,idempotency-key"}
    default = await gateway.client.options("/v1/jobs", headers=preflight)
    assert "access-control-allow-origin" not in default.headers, "no origins are allowed by default"
    app = create_app(gateway_settings(cors_origins="https://app.example, https://admin.example"), gateway.channels)
    client = gateway.client_for(app)
    allowed = await client.options("/v1/jobs", headers=preflight)
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    assert "idempotency-key" in allowed.headers["access-control-allow-headers"].lower()
    assert allowed.headers["x-content-type-options"] == "nosniff"
    refused = await client.options("/v1/jobs", headers={**preflight, "Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in refused.headers


def parse_sse(text: str) -> list[dict[str, str]]:
    messages = []
    for block in text.strip().split("\n\n"):
        fields = {}
        for line in block.splitlines():
            if line.startswith(":"):
                fields.setdefault("comment", line)
                continue
            name, _, value = line.partition(": ")
            fields[name] = value
        messages.append(fields)
    return messages


async def test_events_stream_the_job_as_sse_until_it_succeeds(gateway):
    """The job is driven only once the stream has sent a heartbeat: the test client buffers the whole
    response, so the app's own sends are watched to know the stream is open and quiet (a fixed sleep
    before driving lost the race on a fast machine)."""
    heartbeat = asyncio.Event()

    async def watched(scope, receive, send):
        async def sending(message):
            if message["type"] == "http.response.body" and message.get("body", b"").startswith(b":"):
                heartbeat.set()
            await send(message)

        await gateway.app(scope, receive, sending)

    job = (await create(gateway)).json()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=watched), base_url="http://gateway") as client:
        stream = asyncio.create_task(client.get(f"/v1/jobs/{job['id']}/events", headers=gateway.auth()))
        await asyncio.wait_for(heartbeat.wait(), 20)
        await drive_to_success(gateway, job["id"])
        response = await asyncio.wait_for(stream, 20)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    messages = [m for m in parse_sse(response.text) if m.get("event") == "job"]
    ids = [int(m["id"]) for m in messages]
    assert ids == sorted(set(ids)), "ids are the job's event sequence: increasing, none repeated"
    assert [m.get("event") for m in parse_sse(response.text) if "event" in m][-1] == "end"
    states = [json.loads(m["data"])["state"] for m in messages]
    assert states[0] == "STATE_QUEUED" and states[-1] == "STATE_SUCCEEDED"
    assert "STATE_RUNNING" in states
    assert any("comment" in m for m in parse_sse(response.text)), "quiet periods send heartbeat comments"


async def test_the_result_is_a_409_problem_until_the_job_finishes_then_carries_state_and_result(gateway):
    job = (await create(gateway)).json()
    early = await gateway.client.get(f"/v1/jobs/{job['id']}/result", headers=gateway.auth())
    assert early.status_code == 409 and early.json()["code"] == "JOB_NOT_FINISHED"
    await drive_to_success(gateway, job["id"])
    done = await gateway.client.get(f"/v1/jobs/{job['id']}/result", headers=gateway.auth())
    assert done.status_code == 200
    assert done.json()["job_id"] == job["id"] and done.json()["state"] == "STATE_SUCCEEDED"
    assert done.json()["artifacts"] == []


async def test_healthz_is_ok_and_readyz_follows_the_upstreams_health_checks(gateway):
    assert (await gateway.client.get("/healthz")).json() == {"status": "ok"}
    ready = await gateway.client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["upstreams"] == {"jobs": "SERVING", "ingest": "SERVING", "analysis": "SERVING"}
    await gateway.stand_ins["ingest"].set_serving(False)
    try:
        not_ready = await gateway.client.get("/readyz")
        assert not_ready.status_code == 503 and not_ready.json()["upstreams"]["ingest"] == "NOT_SERVING"
    finally:
        await gateway.stand_ins["ingest"].set_serving(True)


async def test_readyz_stays_ready_while_the_workers_wait_out_an_outage(gateway):
    # Workers read NOT_SERVING while a breaker pauses their fetching; reads and creates still work.
    await gateway.stand_ins["analysis"].set_serving(False)
    try:
        response = await gateway.client.get("/readyz")
        assert response.status_code == 200, response.text
        assert response.json()["upstreams"]["analysis"] == "NOT_SERVING"
    finally:
        await gateway.stand_ins["analysis"].set_serving(True)


async def test_readyz_is_503_when_an_upstream_does_not_answer(gateway):
    from assay.common.grpc_client import open_channel
    from assay.gateway.upstream import Channels

    dead = open_channel("127.0.0.1:1")
    app = create_app(gateway_settings(readiness_timeout_seconds=1.0),
                     Channels(gateway.channels.jobs, dead, gateway.channels.analysis))
    try:
        response = await gateway.client_for(app).get("/readyz")
        assert response.status_code == 503
        assert response.json()["upstreams"]["ingest"] in ("UNAVAILABLE", "DEADLINE_EXCEEDED")
    finally:
        await dead.close()


def multipart(*parts: tuple[str, str | None, bytes, str | None]) -> tuple[bytes, str]:
    boundary = "gatewayboundary42"
    body = bytearray()
    for name, filename, content, content_type in parts:
        body += f"--{boundary}\r\n".encode()
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += f"Content-Disposition: {disposition}\r\n".encode()
        if content_type:
            body += f"Content-Type: {content_type}\r\n".encode()
        body += b"\r\n" + content + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return bytes(body), f"multipart/form-data; boundary={boundary}"


async def chunked(body: bytes, size: int = 1000):
    for offset in range(0, len(body), size):
        yield body[offset:offset + size]


async def test_a_multipart_job_streams_the_file_to_submit_document_header_first_then_in_chunks(gateway):
    document = b"text\n" + b"I love it\n" * 20_000
    body, content_type = multipart(("analyzer", None, b"sentiment", None),
                                   ("params", None, b'{"sentiment": {"text_column": "text"}}', None),
                                   ("file", "reviews.csv", document, "text/csv"))
    response = await gateway.client.post("/v1/jobs", content=chunked(body), headers={
        **gateway.auth(), "Content-Type": content_type, "Idempotency-Key": "upload-1"})
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"/v1/jobs/{response.json()['id']}"
    header, *chunks = gateway.ingest.messages
    assert header.WhichOneof("payload") == "header"
    assert header.header.analyzer == "sentiment" and header.header.request_id == "upload-1"
    assert header.header.params.sentiment.text_column == "text"
    assert header.header.file.display_name == "reviews.csv" and header.header.file.media_type == "text/csv"
    assert b"".join(c.chunk for c in chunks) == document
    assert len(chunks) > 10 and max(len(c.chunk) for c in chunks) <= 64 * 1024


async def test_a_multipart_job_whose_fields_follow_the_file_gets_a_400_problem(gateway):
    body, content_type = multipart(("file", "a.txt", b"hello", "text/plain"), ("analyzer", None, b"sentiment", None))
    response = await gateway.client.post("/v1/jobs", content=body,
                                         headers={**gateway.auth(), "Content-Type": content_type})
    assert response.status_code == 400 and response.json()["violations"][0]["field"] == "analyzer"


async def test_an_upload_above_the_cap_gets_a_413_problem(gateway):
    app = create_app(gateway_settings(max_upload_bytes=10_000), gateway.channels)
    body, content_type = multipart(("file", "big.txt", b"x" * 20_000, "text/plain"))
    response = await gateway.client_for(app).post("/v1/files", content=chunked(body), headers={
        **gateway.auth(), "Content-Type": content_type})
    assert response.status_code == 413 and response.json()["code"] == "UPLOAD_TOO_LARGE"
    assert "10000 byte limit" in response.json()["detail"]


async def test_uploading_a_file_answers_201_with_location_and_the_file(gateway):
    body, content_type = multipart(("file", "notes.txt", b"hello world", "text/plain"))
    response = await gateway.client.post("/v1/files", content=body, headers={
        **gateway.auth(), "Content-Type": content_type})
    assert response.status_code == 201, response.text
    file = response.json()
    assert response.headers["location"] == f"/v1/files/{file['id']}"
    assert file["display_name"] == "notes.txt" and file["size_bytes"] == 11, "int64 is a JSON number below 2^53"
    assert file["scan_status"] == "SCAN_STATUS_UNSCANNED"


def test_job_states_in_json_are_the_proto_enum_names():
    assert job_pb2.Job.State.Name(job_pb2.Job.STATE_QUEUED) == "STATE_QUEUED"


async def test_request_latency_is_recorded_per_route_template_not_per_raw_path(gateway):
    import prometheus_client

    labels = {"method": "GET", "route": "/v1/jobs/{job_id}", "status": "200"}
    before = prometheus_client.REGISTRY.get_sample_value("assay_http_request_duration_seconds_count", labels) or 0
    job = (await create(gateway)).json()
    await gateway.client.get(f"/v1/jobs/{job['id']}", headers=gateway.auth())
    after = prometheus_client.REGISTRY.get_sample_value("assay_http_request_duration_seconds_count", labels)
    assert after == before + 1
    raw = {**labels, "route": f"/v1/jobs/{job['id']}"}
    assert prometheus_client.REGISTRY.get_sample_value("assay_http_request_duration_seconds_count", raw) is None
