# ruff: noqa: F811
"""Webhooks on the real harness: subscriptions over gRPC, Standard Webhooks deliveries from the
outbox to a local receiver, retries, the delivery log, redelivery, disabling, restarts, tenancy, SSRF."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from gateway_fixtures import gateway_over
from harness import Postgres
from harness.jobs import JobsService, start_jobs
from harness.waiting import eventually
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from prometheus_client import REGISTRY
from sqlalchemy import text
from standardwebhooks import Webhook
from tenancy_fixtures import create, dead_letter
from test_worker_tracing import span_exporter, spans  # noqa: F401 - fixtures
from webhook_fixtures import ADMIN, Receiver, receiver, subscribe, webhook_jobs, webhooks

from assay.cli.__main__ import EXIT_API_ERROR, EXIT_OK, main
from assay.common.auth import mint_token
from assay.common.db import create_engine, system_transaction, tenant_transaction
from assay.common.errors import details_from_rpc_error
from assay.jobs.codec import JobRows
from assay.jobs.store import _Transaction
from assay.jobs.webhook_events import WebhookOutbox
from assay.v1 import job_execution_service_pb2 as ex
from assay.v1 import job_pb2
from assay.v1 import jobs_service_pb2 as js
from assay.v1 import webhooks_service_pb2 as wh

TENANT = "hooked"


@pytest.fixture(scope="module")
async def service(postgres: Postgres, nats_server) -> AsyncIterator[JobsService]:  # type: ignore[no-untyped-def]
    # A job lease of 30 s, not the harness's 2 s: the tests play the worker themselves, and on a loaded
    # machine the reaper would re-queue a job between their StartJob and CompleteJob.
    async with webhook_jobs(postgres, nats_server.url, lease_seconds=30.0) as running:
        yield running


async def deliveries(service: JobsService, webhook_id: str, tenant: str = TENANT) -> list[wh.WebhookDelivery]:
    response = await webhooks(service).ListWebhookDeliveries(
        wh.ListWebhookDeliveriesRequest(webhook_id=webhook_id), metadata=service.token(tenant=tenant, roles=ADMIN))
    return list(response.deliveries)


async def succeed(service: JobsService, tenant: str) -> job_pb2.Job:
    return await run(service, tenant, await create(service, tenant))


async def run(service: JobsService, tenant: str, job: job_pb2.Job, aborted: list[str] | None = None) -> job_pb2.Job:
    """Start and complete ``job`` as a worker would (``aborted``: gets the job's id for each ABORTED answer)."""
    capability = service.capability(tenant, job.id)
    await service.execution.StartJob(ex.StartJobRequest(
        id=job.id, tenant_id=tenant, attempt=1, analyzer_version="1", capability=capability), metadata=service.worker)
    for _ in range(20):  # ABORTED (completions met in a deadlock PostgreSQL broke) is retried, as a worker does:
        try:  # after a jittered pause, so the callers that collided do not collide again
            done = await service.execution.CompleteJob(ex.CompleteJobRequest(
                id=job.id, tenant_id=tenant, attempt=1, capability=capability), metadata=service.worker)
            return done.job
        except grpc.aio.AioRpcError as error:
            if error.code() != grpc.StatusCode.ABORTED:
                raise
            if aborted is not None:
                aborted.append(job.id)
        await asyncio.sleep(random.uniform(0.05, 0.5))  # retry back-off, not synchronisation
    raise AssertionError(f"CompleteJob of {job.id} was ABORTED 20 times")


async def test_a_finished_job_is_delivered_signed_with_the_secret_shown_once(service: JobsService) -> None:
    async with receiver() as hooks:
        created = await subscribe(service, TENANT, hooks.url, "job.succeeded")
        assert created.secret.startswith("whsec_") and created.webhook.enabled
        job = await succeed(service, TENANT)
        await create(service, TENANT)  # queued: no event

        await eventually(lambda: _received(hooks, 1))
        request = hooks.requests[0]
        body = Webhook(created.secret).verify(request.body, request.headers)
        assert body["type"] == "job.succeeded" and body["data"]["id"] == job.id
        assert body["data"]["state"] == "STATE_SUCCEEDED" and "params" not in body["data"]  # the BASIC view
        assert request.headers["webhook-id"] == f"msg_{job.id}.e{job.event_sequence}"
        with pytest.raises(Exception, match="signature"):
            Webhook("whsec_" + "A" * 44).verify(request.body, request.headers)

        got = await webhooks(service).GetWebhook(wh.GetWebhookRequest(id=created.webhook.id),
                                                 metadata=service.token(tenant=TENANT, roles=ADMIN))
        assert "whsec_" not in str(got)  # never shown again
        [delivery] = await eventually(lambda: _delivered(service, created.webhook.id))
        assert delivery.attempt_count == 1 and delivery.attempts[0].status_code == 204
        assert delivery.attempts[0].latency_ms > 0 and delivery.job_id == job.id

        audit = await service.jobs.ListAuditEvents(js.ListAuditEventsRequest(action="webhook.create"),
                                                   metadata=service.token(tenant=TENANT, roles=ADMIN))
        [record] = [e for e in audit.events if e.details.fields["webhook_id"].string_value == created.webhook.id]
        assert record.actor == "alice" and record.details.fields["url"].string_value == hooks.url
        assert record.resource == f"webhooks/{created.webhook.id}" and "admin" in record.roles
        assert record.outcome == "OK"
        assert created.secret not in str(record) and not record.job_id
        with pytest.raises(grpc.aio.AioRpcError) as elsewhere:  # a delivery of another webhook
            await webhooks(service).RedeliverWebhook(wh.RedeliverWebhookRequest(
                webhook_id=(await subscribe(service, TENANT, hooks.url)).webhook.id, delivery_id=delivery.id),
                metadata=service.token(tenant=TENANT, roles=ADMIN))
        assert details_from_rpc_error(elsewhere.value).reason == "WEBHOOK_DELIVERY_NOT_FOUND"


async def test_jobs_completed_by_one_completejobs_batch_are_each_delivered(service: JobsService) -> None:
    """The worker settles attempts with CompleteJobs: one statement ends the batch, and each job's
    delivery is queued with it (a second tenant's job in the same batch reaches only its own hook)."""
    async with receiver() as hooks, receiver() as other_hooks:
        mine = await subscribe(service, "batched", hooks.url, "job.succeeded")
        await subscribe(service, "batched-other", other_hooks.url, "job.succeeded")
        jobs = [(tenant, await create(service, tenant)) for tenant in ("batched", "batched", "batched-other")]
        started = await service.execution.StartJobs(ex.StartJobsRequest(items=[ex.StartJobsItem(
            request=ex.StartJobRequest(id=job.id, tenant_id=tenant, attempt=1, analyzer_version="1",
                                       capability=service.capability(tenant, job.id))) for tenant, job in jobs]),
            metadata=service.worker)
        assert all(r.response.decision == ex.StartJobResponse.DECISION_RUN for r in started.results)
        done = await service.execution.CompleteJobs(ex.CompleteJobsRequest(items=[ex.CompleteJobsItem(
            request=ex.CompleteJobRequest(id=job.id, tenant_id=tenant, attempt=1,
                                          capability=service.capability(tenant, job.id))) for tenant, job in jobs]),
            metadata=service.worker)
        assert all(r.response.job.state == job_pb2.Job.STATE_SUCCEEDED for r in done.results)

        await eventually(lambda: _received(hooks, 2))
        await eventually(lambda: _received(other_hooks, 1))
        ids = sorted(Webhook(mine.secret).verify(r.body, r.headers)["data"]["id"] for r in hooks.requests)
        assert ids == sorted(job.id for tenant, job in jobs if tenant == "batched")
        assert json.loads(other_hooks.requests[0].body)["data"]["id"] == jobs[2][1].id


async def test_deleting_a_job_removes_its_deliveries_from_the_log(service: JobsService) -> None:
    """A delivery's payload shows the job: DeleteJob (and so an erasure) leaves none of it behind."""
    async with receiver() as hooks:
        created = await subscribe(service, "forgotten", hooks.url, "job.succeeded")
        job = await succeed(service, "forgotten")
        await eventually(lambda: _delivered(service, created.webhook.id, "forgotten"))
        await service.jobs.DeleteJob(js.DeleteJobRequest(id=job.id),
                                     metadata=service.token(tenant="forgotten", roles=ADMIN))
        assert await deliveries(service, created.webhook.id, "forgotten") == []


async def _received(hooks: Receiver, count: int) -> bool:
    return len(hooks.requests) >= count


async def _delivered(service: JobsService, webhook_id: str, tenant: str = TENANT) -> list[wh.WebhookDelivery]:
    found = await deliveries(service, webhook_id, tenant)
    return found if found and all(d.state == wh.WebhookDelivery.STATE_DELIVERED for d in found) else []


async def test_a_receiver_answering_500_gets_the_delivery_again_and_it_can_be_redelivered(service: JobsService) -> None:
    async with receiver() as hooks:
        hooks.statuses = [500, 503]
        created = await subscribe(service, "retried", hooks.url, "job.dead_lettered")
        job = await dead_letter(service, "retried")
        [delivery] = await eventually(lambda: _delivered(service, created.webhook.id, "retried"))
        assert [a.status_code for a in delivery.attempts] == [500, 503, 204]
        assert [a.error for a in delivery.attempts] == ["HTTP 500", "HTTP 503", ""]
        assert len({r.headers["webhook-id"] for r in hooks.requests}) == 1  # one message, three attempts
        assert json.loads(hooks.requests[-1].body)["data"]["id"] == job.id

        again = await webhooks(service).RedeliverWebhook(
            wh.RedeliverWebhookRequest(webhook_id=created.webhook.id, delivery_id=delivery.id),
            metadata=service.token(tenant="retried", roles=ADMIN))
        assert again.delivery.redelivery_of == delivery.id
        await eventually(lambda: _received(hooks, 4))
        assert hooks.requests[3].headers["webhook-id"] == delivery.message_id
        Webhook(created.secret).verify(hooks.requests[3].body, hooks.requests[3].headers)


async def test_a_persistently_failing_target_is_disabled_and_audited(
        postgres: Postgres, nats_server) -> None:  # type: ignore[no-untyped-def]
    async with webhook_jobs(postgres, nats_server.url, webhook_disable_after_seconds=0.3,
                            webhook_retry_for_seconds=0.6) as short, receiver() as hooks:
        hooks.default_status = 500
        created = await subscribe(short, TENANT, hooks.url, "job.cancelled")
        job = await create(short, TENANT)
        await short.jobs.CancelJob(js.CancelJobRequest(id=job.id), metadata=short.token(tenant=TENANT))

        async def disabled() -> wh.Webhook | None:
            got = await webhooks(short).GetWebhook(wh.GetWebhookRequest(id=created.webhook.id),
                                                   metadata=short.token(tenant=TENANT, roles=ADMIN))
            return None if got.webhook.enabled else got.webhook

        webhook = await eventually(disabled, timeout=15)
        assert "every attempt failed" in webhook.disabled_reason and "HTTP 500" in webhook.disabled_reason
        audit = await short.jobs.ListAuditEvents(js.ListAuditEventsRequest(action="webhook.disable"),
                                                 metadata=short.token(tenant=TENANT, roles=ADMIN))
        assert [e.actor for e in audit.events] == ["system:webhooks"]
        assert audit.events[0].details.fields["webhook_id"].string_value == created.webhook.id
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await webhooks(short).RedeliverWebhook(wh.RedeliverWebhookRequest(
                webhook_id=created.webhook.id, delivery_id=(await deliveries(short, created.webhook.id))[0].id),
                metadata=short.token(tenant=TENANT, roles=ADMIN))
        assert details_from_rpc_error(refused.value).reason == "WEBHOOK_DISABLED"


async def test_a_delivery_in_flight_when_jobs_stops_is_sent_after_the_restart(
        postgres: Postgres, nats_server) -> None:  # type: ignore[no-untyped-def]
    """The receiver holds the first attempt; the service stops mid-send (nothing recorded). The next
    service sends the committed delivery again once the attempt's lease ran out: at least once."""
    async with receiver() as hooks:
        hooks.hold = asyncio.Event()
        async with webhook_jobs(postgres, nats_server.url, webhook_timeout_seconds=1.0) as first:
            created = await subscribe(first, TENANT, hooks.url, "job.cancelled")
            job = await create(first, TENANT)
            await first.jobs.CancelJob(js.CancelJobRequest(id=job.id), metadata=first.token(tenant=TENANT))
            await eventually(lambda: _received(hooks, 1))
            settings = first.settings
        hooks.hold.set()
        hooks.hold = None
        second = await start_jobs(settings)
        try:
            [delivered] = await eventually(lambda: _delivered(second, created.webhook.id), timeout=30)
            assert delivered.attempt_count == 2 and [a.attempt for a in delivered.attempts] == [2]
            ids = {r.headers["webhook-id"] for r in hooks.requests}
            assert len(hooks.requests) == 2 and ids == {delivered.message_id}  # the same message twice
            body = Webhook(created.secret).verify(hooks.requests[1].body, hooks.requests[1].headers)
            assert body["type"] == "job.cancelled" and body["data"]["id"] == job.id
        finally:
            await second.channel.close()
            await second.server.stop(1.0)


async def test_tenants_see_and_receive_only_their_own(service: JobsService) -> None:
    async with receiver() as hooks:
        mine = await subscribe(service, "tenant-a", hooks.url, "job.cancelled")
        other = await create(service, "tenant-b")
        await service.jobs.CancelJob(js.CancelJobRequest(id=other.id), metadata=service.token(tenant="tenant-b"))
        own = await create(service, "tenant-a")
        await service.jobs.CancelJob(js.CancelJobRequest(id=own.id), metadata=service.token(tenant="tenant-a"))
        await eventually(lambda: _delivered(service, mine.webhook.id, "tenant-a"))
        assert [json.loads(r.body)["data"]["id"] for r in hooks.requests] == [own.id]

        b_admin = service.token(tenant="tenant-b", roles=ADMIN)
        listed = await webhooks(service).ListWebhooks(wh.ListWebhooksRequest(), metadata=b_admin)
        assert mine.webhook.id not in [w.id for w in listed.webhooks]
        for call in (webhooks(service).GetWebhook(wh.GetWebhookRequest(id=mine.webhook.id), metadata=b_admin),
                     webhooks(service).DeleteWebhook(wh.DeleteWebhookRequest(id=mine.webhook.id), metadata=b_admin),
                     webhooks(service).ListWebhookDeliveries(
                         wh.ListWebhookDeliveriesRequest(webhook_id=mine.webhook.id), metadata=b_admin)):
            with pytest.raises(grpc.aio.AioRpcError) as hidden:
                await call
            assert hidden.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.aio.AioRpcError) as not_admin:
            await webhooks(service).ListWebhooks(wh.ListWebhooksRequest(), metadata=service.token(tenant="tenant-a"))
        assert not_admin.value.code() == grpc.StatusCode.PERMISSION_DENIED
        with pytest.raises(grpc.aio.AioRpcError) as not_admin:  # a refused change is audited
            await webhooks(service).DeleteWebhook(wh.DeleteWebhookRequest(id=mine.webhook.id),
                                                  metadata=service.token(tenant="tenant-a", subject="mallory"))
        assert not_admin.value.code() == grpc.StatusCode.PERMISSION_DENIED
        audit = await service.jobs.ListAuditEvents(js.ListAuditEventsRequest(action="webhook.delete"),
                                                   metadata=service.token(tenant="tenant-a", roles=ADMIN))
        assert [(e.actor, e.resource, e.outcome) for e in audit.events] == [
            ("mallory", f"webhooks/{mine.webhook.id}", details_from_rpc_error(not_admin.value).reason)]


@pytest.mark.parametrize(("url", "field", "reason"), [
    ("http://127.0.0.2/hook", "url", "WEBHOOK_TARGET_FORBIDDEN"),  # loopback outside the allow-list
    ("http://169.254.169.254/latest/meta-data", "url", "WEBHOOK_TARGET_FORBIDDEN"),
    ("http://10.0.0.8/", "url", "WEBHOOK_TARGET_FORBIDDEN"),
    ("http://[::1]/", "url", "WEBHOOK_TARGET_FORBIDDEN"),
    ("http://[::ffff:192.168.1.1]/", "url", "WEBHOOK_TARGET_FORBIDDEN"),
    ("http://0.0.0.0/", "url", "WEBHOOK_TARGET_FORBIDDEN"),
    ("http://224.0.0.1/", "url", "WEBHOOK_TARGET_FORBIDDEN"),
    ("ftp://example.com/", "url", "INVALID_ARGUMENT"),
    ("http://user:pw@example.com/", "url", "INVALID_ARGUMENT"),
    ("not a url", "url", "INVALID_ARGUMENT"),
    ("", "url", "INVALID_ARGUMENT"),
])
async def test_forbidden_or_malformed_targets_are_refused_at_create(service: JobsService, url: str, field: str,
                                                                    reason: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await subscribe(service, TENANT, url, "job.failed")
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = details_from_rpc_error(refused.value)
    assert details.reason == reason and [v.field for v in details.violations] == [field]


async def test_bad_event_types_are_refused_every_violation_at_once(service: JobsService) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await webhooks(service).CreateWebhook(wh.CreateWebhookRequest(
            url="http://10.1.1.1/", event_types=["job.succeeded", "job.exploded"], description="x" * 501),
            metadata=service.token(tenant=TENANT, roles=ADMIN))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    fields = [v.field for v in details_from_rpc_error(refused.value).violations]
    assert fields == ["url", "event_types[1]", "description"]
    for request in (wh.GetWebhookRequest(id="nope"),):
        with pytest.raises(grpc.aio.AioRpcError) as bad_id:
            await webhooks(service).GetWebhook(request, metadata=service.token(tenant=TENANT, roles=ADMIN))
        assert bad_id.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_a_target_resolving_to_a_forbidden_address_at_delivery_is_not_called(
        postgres: Postgres, nats_server) -> None:  # type: ignore[no-untyped-def]
    """Allowed at create (the allow-list named the host), refused at delivery once it no longer does:
    the check runs again on the addresses each connection uses."""
    async with receiver() as hooks:
        async with webhook_jobs(postgres, nats_server.url, webhook_allow_targets="127.0.0.1/32") as first:
            created = await subscribe(first, TENANT, hooks.url, "job.cancelled")
            settings = first.settings
        stricter = settings.model_copy(update={"webhook_allow_targets": ""})
        second = await start_jobs(stricter)
        try:
            job = await create(second, TENANT)
            await second.jobs.CancelJob(js.CancelJobRequest(id=job.id), metadata=second.token(tenant=TENANT))

            async def refused_attempt() -> wh.WebhookAttempt | None:
                found = await deliveries(second, created.webhook.id)
                return found[0].attempts[0] if found and found[0].attempts else None

            attempt = await eventually(refused_attempt)
            assert attempt.status_code == 0 and "refused" in attempt.error and "127.0.0.1" in attempt.error
            assert hooks.requests == []
        finally:
            await second.channel.close()
            await second.server.stop(1.0)


async def test_rest_and_cli_manage_webhooks(service: JobsService, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    async with gateway_over(f"127.0.0.1:{service.server.port}", "127.0.0.1:1") as client, receiver() as hooks:
        admin = {"Authorization": service.token(tenant="rest", roles=ADMIN)[0][1]}
        created = await client.post("/v1/webhooks", headers=admin, json={
            "url": hooks.url, "event_types": ["job.cancelled"], "description": "ops"})
        assert created.status_code == 201 and created.headers["cache-control"] == "no-store"
        webhook, secret = created.json()["webhook"], created.json()["secret"]
        assert created.headers["location"] == f"/v1/webhooks/{webhook['id']}" and secret.startswith("whsec_")
        shown = await client.get(f"/v1/webhooks/{webhook['id']}", headers=admin)
        assert shown.status_code == 200 and "secret" not in shown.text and shown.json()["enabled"] is True

        bad = await client.post("/v1/webhooks", headers=admin,
                                json={"url": "http://169.254.169.254/", "event_types": []})
        assert bad.status_code == 400
        assert [v["field"] for v in bad.json()["violations"]] == ["url", "event_types"]
        assert (await client.post("/v1/webhooks", headers=admin, json={"url": 5})).status_code == 400
        user = {"Authorization": service.token(tenant="rest")[0][1]}
        assert (await client.get("/v1/webhooks", headers=user)).status_code == 403
        other = {"Authorization": service.token(tenant="rest-other", roles=ADMIN)[0][1]}
        assert (await client.get(f"/v1/webhooks/{webhook['id']}", headers=other)).status_code == 404

        job = await create(service, "rest")
        await service.jobs.CancelJob(js.CancelJobRequest(id=job.id), metadata=service.token(tenant="rest"))
        await eventually(lambda: _received(hooks, 1))
        listed = (await client.get(f"/v1/webhooks/{webhook['id']}/deliveries", headers=admin)).json()
        [delivery] = listed["deliveries"]
        assert delivery["event_type"] == "job.cancelled" and delivery["job_id"] == job.id
        again = await client.post(f"/v1/webhooks/{webhook['id']}/deliveries/{delivery['id']}:redeliver",
                                  headers=admin)
        assert again.status_code == 202 and again.json()["redelivery_of"] == delivery["id"]
        disabled = await client.post(f"/v1/webhooks/{webhook['id']}:disable", headers=admin)
        assert disabled.status_code == 200 and disabled.json()["enabled"] is False

        token = mint_token(service.settings, subject="alice", tenant="rest", roles=list(ADMIN))
        (tmp_path / "stack.json").write_text(json.dumps({"endpoints": {
            "jobs": f"127.0.0.1:{service.server.port}", "ingest": "127.0.0.1:1", "analysis": "127.0.0.1:1"},
            "token": token}))

        def cli(*argv: str) -> tuple[int, str]:
            capsys.readouterr()
            code = main(["--data-dir", str(tmp_path), "webhooks", *argv])
            return code, capsys.readouterr().out

        code, out = await asyncio.to_thread(cli, "create", hooks.url, "--event", "job.failed")
        assert code == EXIT_OK and "secret: whsec_" in out
        code, out = await asyncio.to_thread(cli, "list")
        lines = out.splitlines()
        assert code == EXIT_OK and lines[0].split() == ["ID", "ENABLED", "EVENTS", "URL"] and len(lines) == 3
        assert lines[2].split()[1:] == ["no", "job.cancelled", hooks.url]
        code, out = await asyncio.to_thread(cli, "deliveries", webhook["id"])
        lines = out.splitlines()  # newest first: the redelivery, then the first delivery
        assert code == EXIT_OK and [line.split()[1] for line in lines[1:]] == ["job.cancelled", "job.cancelled"]
        assert lines[2].split()[2:5] == ["DELIVERED", "1", "204"]
        code, _ = await asyncio.to_thread(cli, "create", "http://10.0.0.1/", "--event", "job.failed")
        assert code == EXIT_API_ERROR
        code, out = await asyncio.to_thread(cli, "delete", webhook["id"])
        assert code == EXIT_OK
        assert (await client.get(f"/v1/webhooks/{webhook['id']}", headers=admin)).status_code == 404


async def test_a_finished_or_cancelled_pipeline_is_reported_once(
        service: JobsService, span_exporter: InMemorySpanExporter) -> None:
    """Six jobs completed concurrently, then a pipeline cancelled: one pipeline.finished each. The
    calls are traced (a tracer provider installed, as in a full-suite run, where this test used to
    fail): each completion then updates its job's row twice, and none may meet another in a deadlock."""
    async with receiver() as hooks:
        created = await subscribe(service, "piped", hooks.url, "pipeline.finished")
        steps = [js.PipelineJob(key=f"s{i}", job=js.CreateJobRequest(
            analyzer="sentiment", inputs=job_pb2.JobInputs(text="fine"))) for i in range(6)]
        pipeline = (await service.jobs.CreatePipeline(js.CreatePipelineRequest(jobs=steps),
                                                      metadata=service.token(tenant="piped"))).pipeline
        aborted: list[str] = []
        await asyncio.gather(*(run(service, "piped", job, aborted) for job in pipeline.jobs))
        assert aborted == []  # before the fix: 40P01 on the pipeline row, over and over
        await eventually(lambda: _delivered(service, created.webhook.id, "piped"))
        [delivered] = await deliveries(service, created.webhook.id, "piped")
        assert delivered.pipeline_id == pipeline.id and not delivered.job_id
        [request] = hooks.requests
        body = Webhook(created.secret).verify(request.body, request.headers)
        assert body["type"] == "pipeline.finished" and body["data"]["state"] == "STATE_SUCCEEDED"
        assert [job["id"] for job in body["data"]["jobs"]] == [job.id for job in pipeline.jobs]
        assert all("result" not in job for job in body["data"]["jobs"])  # BASIC jobs

        cancelled = (await service.jobs.CreatePipeline(js.CreatePipelineRequest(jobs=steps[:2]),
                                                       metadata=service.token(tenant="piped"))).pipeline
        await service.jobs.CancelPipeline(js.CancelPipelineRequest(id=cancelled.id),
                                          metadata=service.token(tenant="piped"))
        await eventually(lambda: _received(hooks, 2))
        body = json.loads(hooks.requests[1].body)
        assert body["data"]["id"] == cancelled.id and body["data"]["state"] == "STATE_CANCELLED"
        assert len(await deliveries(service, created.webhook.id, "piped")) == 2


async def test_two_replicas_never_send_one_attempt_twice(postgres: Postgres,
                                                         nats_server) -> None:  # type: ignore[no-untyped-def]
    """Two jobs services on one database, both delivering: every delivery is sent once."""
    async with webhook_jobs(postgres, nats_server.url) as first, receiver() as hooks:
        second = await start_jobs(first.settings)
        try:
            created = await subscribe(first, TENANT, hooks.url, "job.cancelled")
            jobs = [await create(first, TENANT) for _ in range(20)]
            await asyncio.gather(*(first.jobs.CancelJob(js.CancelJobRequest(id=job.id),
                                                        metadata=first.token(tenant=TENANT)) for job in jobs))

            async def all_delivered() -> list[wh.WebhookDelivery]:
                found = await deliveries(first, created.webhook.id)
                return found if len(found) == 20 and all(d.attempt_count == 1 for d in found) and \
                    all(d.state == wh.WebhookDelivery.STATE_DELIVERED for d in found) else []

            await eventually(all_delivered)
            ids = [r.headers["webhook-id"] for r in hooks.requests]
            assert len(ids) == 20 and len(set(ids)) == 20
        finally:
            await second.channel.close()
            await second.server.stop(1.0)



async def _running_two_job_pipeline(service: JobsService, tenant: str) -> js.Pipeline:
    """A pipeline of two independent sentiment jobs, both started (attempt 1) as a worker would."""
    steps = [js.PipelineJob(key=key, job=js.CreateJobRequest(analyzer="sentiment",
                                                             inputs=job_pb2.JobInputs(text="fine")))
             for key in ("a", "b")]
    pipeline = (await service.jobs.CreatePipeline(js.CreatePipelineRequest(jobs=steps),
                                                  metadata=service.token(tenant=tenant))).pipeline
    for job in pipeline.jobs:
        await service.execution.StartJob(ex.StartJobRequest(
            id=job.id, tenant_id=tenant, attempt=1, analyzer_version="1",
            capability=service.capability(tenant, job.id)), metadata=service.worker)
    return pipeline

async def test_of_two_transactions_ending_a_pipelines_last_jobs_exactly_one_reports_it(
        service: JobsService) -> None:
    """The race made deterministic: A's transaction ends its job and looks (B still running), B's
    ends its job and looks before A commits. B's look waits for A's lock on the pipeline row, then
    sees A's commit: one pipeline.finished (without the lock, B saw A running and none was queued)."""
    hook = await subscribe(service, "raced", "http://127.0.0.1:65535/", "pipeline.finished")
    pipeline = await _running_two_job_pipeline(service, "raced")
    engine = create_engine(service.settings)
    rows = JobRows()
    try:
        first, second = tenant_transaction(engine, "raced"), tenant_transaction(engine, "raced")
        conn_a, conn_b = await first.__aenter__(), await second.__aenter__()
        outbox_a, outbox_b = WebhookOutbox(conn_a, rows), WebhookOutbox(conn_b, rows)
        for conn, outbox, job in ((conn_a, outbox_a, pipeline.jobs[0]), (conn_b, outbox_b, pipeline.jobs[1])):
            row = (await conn.execute(_SUCCEED, {"id": job.id})).mappings().one()
            await outbox.job_ended(row, rows.job(row))
        await outbox_a.settle_pipelines()  # b is running: nothing
        looking = asyncio.create_task(outbox_b.settle_pipelines())

        async def waiting_or_done() -> bool:
            async with engine.connect() as probe:
                waiting = (await probe.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"))).scalar_one()
            return looking.done() or waiting >= 1

        await eventually(waiting_or_done)
        await first.__aexit__(None, None, None)
        await looking
        await second.__aexit__(None, None, None)
        async with system_transaction(engine) as conn:
            count = (await conn.execute(text(
                "SELECT count(*) FROM jobs.webhook_deliveries WHERE pipeline_id = :id AND event_type = :type"),
                {"id": pipeline.id, "type": "pipeline.finished"})).scalar_one()
        assert count == 1
    finally:
        await engine.dispose()
        await webhooks(service).DeleteWebhook(wh.DeleteWebhookRequest(id=hook.webhook.id),
                                              metadata=service.token(tenant="raced", roles=ADMIN))


async def test_traced_completions_of_a_pipelines_last_jobs_do_not_deadlock(service: JobsService) -> None:
    """Two completions as the store's transaction makes them in a traced request: the job's terminal
    UPDATE, then ``emit`` writes the end traceparent, a second UPDATE of the row in the transaction,
    on which PostgreSQL re-checks the row's pipeline foreign key (``FOR KEY SHARE`` on the pipeline
    row). Both hold that share when they look at the pipeline: looks ``FOR UPDATE`` waited for each
    other (a deadlock, 40P01, in full-suite runs, where a tracer provider is installed); the
    ``FOR NO KEY UPDATE`` look does not conflict with the share, and still excludes the other look."""
    hook = await subscribe(service, "traced-race", "http://127.0.0.1:65535/", "pipeline.finished")
    pipeline = await _running_two_job_pipeline(service, "traced-race")
    engine = create_engine(service.settings)
    rows = JobRows()
    request = NonRecordingSpan(SpanContext(trace_id=random.getrandbits(128) or 1, span_id=random.getrandbits(64) or 1,
                                           is_remote=False, trace_flags=TraceFlags(TraceFlags.SAMPLED)))
    scopes = [tenant_transaction(engine, "traced-race") for _ in pipeline.jobs]
    looks: list[asyncio.Task[None]] = []
    ended: set[int] = set()

    async def end(index: int) -> None:
        ended.add(index)
        await scopes[index].__aexit__(None, None, None)  # commits

    try:
        transactions = [_Transaction(await scope.__aenter__(), rows) for scope in scopes]
        with trace.use_span(request):  # a traced call: emit records the job's end traceparent
            for tx, job in zip(transactions, pipeline.jobs, strict=True):
                await tx.emit((await tx.conn.execute(_SUCCEED, {"id": job.id})).mappings().one())
        looks += [asyncio.create_task(tx.webhooks.settle_pipelines()) for tx in transactions]
        done, _ = await asyncio.wait(looks, return_when=asyncio.FIRST_COMPLETED)
        first = looks.index(done.pop())
        looks[first].result()  # before the fix: DBAPIError, deadlock detected
        await end(first)
        await looks[1 - first]  # waited for the first's lock, then saw both jobs ended
        await end(1 - first)
        async with system_transaction(engine) as conn:
            count = (await conn.execute(text(
                "SELECT count(*) FROM jobs.webhook_deliveries WHERE pipeline_id = :id AND event_type = :type"),
                {"id": pipeline.id, "type": "pipeline.finished"})).scalar_one()
        assert count == 1
    finally:
        for look in looks:
            look.cancel()
        for index, scope in enumerate(scopes):
            if index not in ended:
                with contextlib.suppress(Exception):
                    await scope.__aexit__(RuntimeError, RuntimeError("test failed"), None)  # rolls back
        await engine.dispose()
        await webhooks(service).DeleteWebhook(wh.DeleteWebhookRequest(id=hook.webhook.id),
                                              metadata=service.token(tenant="traced-race", roles=ADMIN))


_SUCCEED = text("""
    UPDATE jobs.jobs SET state = 'SUCCEEDED', ended_at = now(), lease_expires_at = NULL,
        updated_at = now(), event_seq = event_seq + 1
    WHERE id = :id RETURNING *
""")


def attempts(outcome: str) -> float:
    return REGISTRY.get_sample_value("assay_webhook_attempts_total", {"outcome": outcome}) or 0.0


async def test_each_attempt_has_a_span_in_the_changes_trace_and_is_counted(
        service: JobsService, spans: InMemorySpanExporter) -> None:
    delivered, failed = attempts("delivered"), attempts("http_error")
    async with receiver() as hooks:
        hooks.statuses = [502]
        created = await subscribe(service, "traced", hooks.url, "job.cancelled")
        job = await create(service, "traced")
        await service.jobs.CancelJob(js.CancelJobRequest(id=job.id), metadata=service.token(tenant="traced"))
        await eventually(lambda: _delivered(service, created.webhook.id, "traced"))

    sent = [s for s in spans.get_finished_spans() if s.name == "deliver webhook"
            and (s.attributes or {}).get("webhook.id") == created.webhook.id]
    assert [(s.attributes or {}).get("http.response.status_code") for s in sent] == [502, 204]
    assert [s.status.status_code.name for s in sent] == ["ERROR", "OK"]
    cancel = [s for s in spans.get_finished_spans() if s.name.endswith("CancelJob")
              and s.kind.name == "SERVER"]
    assert sent[0].parent is not None and sent[0].context is not None and cancel[-1].context is not None
    assert sent[0].context.trace_id == cancel[-1].context.trace_id  # the CancelJob call's trace
    assert attempts("delivered") == delivered + 1 and attempts("http_error") == failed + 1
    every_attribute = [str(v) for s in spans.get_finished_spans() for v in (s.attributes or {}).values()]
    assert not any(created.secret in value or "whsec_" in value for value in every_attribute)



async def _a_delivery_held_in_flight(service: JobsService, hooks: Receiver,
                                     tenant: str) -> tuple[wh.CreateWebhookResponse, job_pb2.Job]:
    """A job.cancelled subscription and a cancelled job whose delivery the receiver holds open
    (until ``hooks.hold`` is set)."""
    hooks.hold = asyncio.Event()
    created = await subscribe(service, tenant, hooks.url, "job.cancelled")
    job = await create(service, tenant)
    await service.jobs.CancelJob(js.CancelJobRequest(id=job.id), metadata=service.token(tenant=tenant))
    await eventually(lambda: _received(hooks, 1))
    return created, job

async def test_a_webhook_deleted_while_its_attempt_is_in_flight_leaves_the_loop_working(
        service: JobsService, caplog: pytest.LogCaptureFixture) -> None:
    async with receiver() as hooks:
        doomed, _ = await _a_delivery_held_in_flight(service, hooks, "deleting")
        await webhooks(service).DeleteWebhook(wh.DeleteWebhookRequest(id=doomed.webhook.id),
                                              metadata=service.token(tenant="deleting", roles=ADMIN))
        hooks.hold.set()  # the attempt ends after its delivery row is gone
        hooks.hold = None
        kept = await subscribe(service, "deleting", hooks.url, "job.cancelled")
        later = await create(service, "deleting")
        await service.jobs.CancelJob(js.CancelJobRequest(id=later.id), metadata=service.token(tenant="deleting"))
        await eventually(lambda: _delivered(service, kept.webhook.id, "deleting"))
    assert "webhook delivery failed" not in caplog.text


async def test_finished_deliveries_leave_the_log_after_its_retention(
        postgres: Postgres, nats_server) -> None:  # type: ignore[no-untyped-def]
    async with webhook_jobs(postgres, nats_server.url, webhook_log_retention_seconds=1.0) as short, \
            receiver() as hooks:
        created = await subscribe(short, TENANT, hooks.url, "job.cancelled")
        job = await create(short, TENANT)
        await short.jobs.CancelJob(js.CancelJobRequest(id=job.id), metadata=short.token(tenant=TENANT))
        await eventually(lambda: _delivered(short, created.webhook.id))

        async def pruned() -> bool:
            return await deliveries(short, created.webhook.id) == []

        await eventually(pruned)


async def test_a_job_deleted_while_its_delivery_is_in_flight_leaves_the_loop_working(
        service: JobsService, caplog: pytest.LogCaptureFixture) -> None:
    async with receiver() as hooks:
        hook, job = await _a_delivery_held_in_flight(service, hooks, "erasing")
        await service.jobs.DeleteJob(js.DeleteJobRequest(id=job.id), metadata=service.token(tenant="erasing"))
        assert await deliveries(service, hook.webhook.id, "erasing") == []  # the payload showed the job
        hooks.hold.set()  # the attempt ends after its delivery row is gone
        hooks.hold = None
        later = await create(service, "erasing")
        await service.jobs.CancelJob(js.CancelJobRequest(id=later.id), metadata=service.token(tenant="erasing"))
        await eventually(lambda: _delivered(service, hook.webhook.id, "erasing"))
    assert "webhook delivery failed" not in caplog.text
