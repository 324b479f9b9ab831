"""The audit log read by a tenant's admins (gRPC, REST, CLI) and append-only in PostgreSQL itself."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import grpc
import psycopg
import pytest
from gateway_fixtures import gateway_over
from harness import Postgres
from harness.jobs import JobsService, jobs_on_fresh_database
from tenancy_fixtures import create
from webhook_fixtures import receiver, subscribe, webhook_jobs, webhooks

from assay.cli.__main__ import EXIT_OK, main
from assay.common.auth import mint_token
from assay.common.db import SYSTEM_SETTING
from assay.v1 import job_pb2
from assay.v1 import jobs_service_pb2 as js
from assay.v1 import webhooks_service_pb2 as wh

TENANT = "audited"
ADMIN = ("user", "admin")


async def events(service: JobsService, tenant: str = TENANT, **filters: object) -> js.ListAuditEventsResponse:
    return await service.jobs.ListAuditEvents(js.ListAuditEventsRequest(**filters),  # type: ignore[arg-type]
                                              metadata=service.token(tenant=tenant, roles=ADMIN))


async def test_admins_read_their_tenants_log_newest_first_filtered_and_paged(jobs_service: JobsService) -> None:
    first, second = await create(jobs_service, TENANT), await create(jobs_service, TENANT)
    await jobs_service.jobs.CancelJob(js.CancelJobRequest(id=first.id), metadata=jobs_service.token(tenant=TENANT))
    await create(jobs_service, "someone-else")

    page = await events(jobs_service, page_size=2)
    assert [(e.action, e.job_id) for e in page.events] == [("cancel", first.id), ("create", second.id)]
    assert page.events[0].actor == "alice" and page.events[0].details.fields["state"].string_value == "CANCELLED"
    rest = await events(jobs_service, page_size=2, page_token=page.next_page_token)
    assert [(e.action, e.job_id) for e in rest.events] == [("create", first.id)] and not rest.next_page_token
    assert [e.action for e in (await events(jobs_service, job_id=first.id)).events] == ["cancel", "create"]
    assert [e.job_id for e in (await events(jobs_service, action="cancel")).events] == [first.id]

    with pytest.raises(grpc.aio.AioRpcError) as not_admin:
        await jobs_service.jobs.ListAuditEvents(js.ListAuditEventsRequest(),
                                                metadata=jobs_service.token(tenant=TENANT))
    assert not_admin.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as other_filters:
        await events(jobs_service, page_size=2, page_token=page.next_page_token, action="create")
    assert other_filters.value.code() == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize("statement", [
    "UPDATE jobs.audit_log SET actor = 'mallory'",
    "DELETE FROM jobs.audit_log",
    "TRUNCATE jobs.audit_log",
])
async def test_no_role_can_change_or_remove_the_log(jobs_service: JobsService, statement: str) -> None:
    await create(jobs_service, TENANT)
    url = jobs_service.settings.database_url.replace("postgresql+psycopg://", "postgresql://")
    async with await psycopg.AsyncConnection.connect(url) as conn:  # the service's own role, owner of the table
        await conn.execute(f"SELECT set_config('{SYSTEM_SETTING}', 'on', false)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            await conn.execute(statement)


async def test_rest_and_cli_read_the_log(jobs_service: JobsService, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    job = await create(jobs_service, "restaudit")
    async with gateway_over(f"127.0.0.1:{jobs_service.server.port}", "127.0.0.1:1") as client:
        admin = {"Authorization": jobs_service.token(tenant="restaudit", roles=ADMIN)[0][1]}
        response = await client.get("/v1/audit", params={"action": "create"}, headers=admin)
        assert response.status_code == 200
        assert [(e["action"], e["job_id"]) for e in response.json()["events"]] == [("create", job.id)]
        user = {"Authorization": jobs_service.token(tenant="restaudit")[0][1]}
        assert (await client.get("/v1/audit", headers=user)).status_code == 403

    token = mint_token(jobs_service.settings, subject="alice", tenant="restaudit", roles=list(ADMIN))
    (tmp_path / "stack.json").write_text(json.dumps({"endpoints": {
        "jobs": f"127.0.0.1:{jobs_service.server.port}", "ingest": "127.0.0.1:1", "analysis": "127.0.0.1:1"},
        "token": token}))

    def cli() -> tuple[int, str]:
        capsys.readouterr()
        code = main(["--data-dir", str(tmp_path), "audit"])
        return code, capsys.readouterr().out

    code, out = await asyncio.to_thread(cli)
    lines = out.splitlines()
    assert code == EXIT_OK and lines[0].split() == ["TIME", "ACTOR", "ACTION", "RESOURCE", "OUTCOME", "STATE"]
    assert lines[1].split()[1:] == ["alice", "create", f"jobs/{job.id}", "OK", "QUEUED"]


async def test_every_call_records_roles_peer_request_id_resource_and_outcome_and_refusals_are_recorded(
    postgres: Postgres, nats_server: Any,
) -> None:
    tenant = "completeaudit"
    async with (jobs_on_fresh_database(postgres, nats_server.url, quota_max_queued=f"{tenant}=1") as service,
                gateway_over(f"127.0.0.1:{service.server.port}", "127.0.0.1:1") as client):
        plain = {"Authorization": service.token(tenant=tenant)[0][1]}
        user = {**plain, "X-Request-ID": "req-create-1"}
        created = await client.post("/v1/jobs", headers=user,
                                    json={"analyzer": "sentiment", "inputs": {"text": "fine"}})
        assert created.status_code == 202
        job_id = created.json()["id"]
        over_quota = await client.post("/v1/jobs", headers={**user, "X-Request-ID": "req-create-2"},
                                       json={"analyzer": "sentiment", "inputs": {"text": "also fine"}})
        assert over_quota.status_code == 429
        not_admin = await client.post(f"/v1/jobs/{job_id}:retry", headers={**user, "X-Request-ID": "req-retry"})
        assert not_admin.status_code == 403
        assert (await client.post(f"/v1/jobs/{job_id}:cancel", headers=plain)).status_code == 200
        admin = {"Authorization": service.token(tenant=tenant, roles=ADMIN)[0][1]}
        assert (await client.post("/v1/jobs:redrive", headers=admin, json={"state": "STATE_CANCELLED"})
                ).status_code == 200
        assert (await client.post(f"/v1/jobs/{job_id}:cancel", headers=plain)).status_code == 200  # queued again
        assert (await client.delete(f"/v1/jobs/{job_id}", headers=admin)).status_code == 204
        listed = await client.get("/v1/audit", headers=admin)
        refused = await client.get("/v1/audit", params={"refused_only": "true"}, headers=admin)
        by_request = await client.get("/v1/audit", params={"request_id": "req-create-1"}, headers=admin)
        by_resource = await client.get("/v1/audit", params={"resource": f"jobs/{job_id}"}, headers=admin)

    events = listed.json()["events"]
    assert [(e["action"], e["outcome"]) for e in reversed(events)] == [
        ("create", "OK"), ("create", "QUOTA_EXCEEDED"), ("retry", "ROLE_REQUIRED"), ("cancel", "OK"),
        ("retry", "OK"), ("redrive", "OK"), ("cancel", "OK"), ("delete", "OK")]
    first = events[-1]
    assert first["roles"] == ["user"] and first["request_id"] == "req-create-1"
    assert first["resource"] == f"jobs/{job_id}" and first["actor"] == "alice"
    assert first["peer"].endswith(tuple("0123456789")) and " via " in first["peer"]  # client, then gateway
    assert [e["outcome"] for e in refused.json()["events"]] == ["ROLE_REQUIRED", "QUOTA_EXCEEDED"]
    assert [e["action"] for e in by_request.json()["events"]] == ["create"]
    assert [e["action"] for e in reversed(by_resource.json()["events"])] == [
        "create", "retry", "cancel", "retry", "cancel", "delete"]
    assert events[2]["details"]["retried"] == 1 and events[2]["roles"] == ["admin", "user"]


async def test_group_committed_creates_each_record_their_own_request_id_and_roles(jobs_service: JobsService) -> None:
    tenant = "batchaudit"

    async def create_as(index: int) -> str:
        metadata = (*jobs_service.token(tenant=tenant, subject=f"user{index}", roles=("user", "readonly")),
                    ("x-request-id", f"req-{index}"))
        request = js.CreateJobRequest(analyzer="sentiment", inputs=job_pb2.JobInputs(text=f"text {index}"))
        return (await jobs_service.jobs.CreateJob(request, metadata=metadata)).job.id

    ids = await asyncio.gather(*(create_as(index) for index in range(8)))  # concurrent: batched together
    listed = (await events(jobs_service, tenant=tenant, action="create", page_size=50)).events
    by_job = {event.job_id: event for event in listed}
    for index, job_id in enumerate(ids):
        event = by_job[job_id]
        assert (event.actor, event.request_id, list(event.roles)) == (f"user{index}", f"req-{index}",
                                                                       ["readonly", "user"])
        assert event.peer.startswith("ipv") and event.resource == f"jobs/{job_id}" and event.outcome == "OK"


async def test_webhook_changes_and_their_refusals_are_audited_with_caller_and_resource(
    postgres: Postgres, nats_server: Any,
) -> None:
    tenant = "hookaudit"
    async with webhook_jobs(postgres, nats_server.url) as service, receiver() as target:
        with pytest.raises(grpc.aio.AioRpcError) as not_admin:
            await webhooks(service).CreateWebhook(
                wh.CreateWebhookRequest(url=target.url, event_types=["job.succeeded"]),
                metadata=service.token(tenant=tenant))
        assert not_admin.value.code() == grpc.StatusCode.PERMISSION_DENIED
        created = await subscribe(service, tenant, target.url)
        await webhooks(service).DeleteWebhook(wh.DeleteWebhookRequest(id=created.webhook.id),
                                              metadata=(*service.token(tenant=tenant, roles=ADMIN),
                                                        ("x-request-id", "req-unhook")))
        listed = (await events(service, tenant=tenant)).events
    assert [(e.action, e.outcome) for e in reversed(listed)] == [
        ("webhook.create", "ROLE_REQUIRED"), ("webhook.create", "OK"), ("webhook.delete", "OK")]
    deleted = listed[0]
    assert deleted.resource == f"webhooks/{created.webhook.id}" and deleted.request_id == "req-unhook"
    assert list(deleted.roles) == ["admin", "user"] and deleted.peer and not deleted.job_id
    assert "secret" not in str(deleted.details) and deleted.details.fields["url"].string_value == target.url
