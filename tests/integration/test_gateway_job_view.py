"""The gateway's job view over the real jobs service and NATS: status reads answered without GetJob,
never another tenant's job, never backwards, and a completion seen (issue 21)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import nats
import pytest
from harness.waiting import eventually
from integration.gateway_fixtures import Gateway, drive_to_success, gateway_settings
from prometheus_client import REGISTRY

from assay.common.nats import event_subject
from assay.devstack.servers import free_port
from assay.devstack.servers.nats import NatsServer
from assay.gateway.app import create_app
from assay.gateway.job_view import EventFeed, JobView
from assay.v1 import events_pb2, job_pb2


def reads(result: str) -> float:
    return REGISTRY.get_sample_value("assay_gateway_job_view_reads_total", {"result": result}) or 0.0


def events(result: str) -> float:
    return REGISTRY.get_sample_value("assay_gateway_job_view_events_total", {"result": result}) or 0.0


@dataclass
class Viewing:
    client: httpx.AsyncClient
    view: JobView
    gateway: Gateway


@pytest.fixture
async def viewing(gateway: Gateway, nats_server) -> AsyncIterator[Viewing]:  # type: ignore[no-untyped-def]
    """A gateway app whose view follows the job events; 60 s freshness, so only events update it."""
    settings = gateway_settings(nats_url=nats_server.url, jwt_hs256_secret=gateway.jobs.settings.jwt_hs256_secret,
                                job_view_seconds=60)
    app = create_app(settings, gateway.channels)
    feed = EventFeed(app.state.job_view)
    await feed.start(settings)  # what the lifespan does (httpx's ASGI transport runs no lifespan)
    await asyncio.wait_for(feed.subscribed.wait(), timeout=10)  # it connects in the background
    assert app.state.job_view.live
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        yield Viewing(client, app.state.job_view, gateway)
    await feed.close()


async def create(viewing: Viewing, tenant: str = "acme") -> dict:  # type: ignore[type-arg]
    created = await viewing.client.post("/v1/jobs", json={"analyzer": "sentiment", "inputs": {"text": "fine"}},
                                        headers=viewing.gateway.auth(tenant=tenant))
    assert created.status_code == 202, created.text
    return created.json()  # type: ignore[no-any-return]


async def get(
    viewing: Viewing, job_id: str, tenant: str = "acme", roles: tuple[str, ...] = ("user",),
) -> httpx.Response:
    return await viewing.client.get(f"/v1/jobs/{job_id}", headers=viewing.gateway.auth(tenant=tenant, roles=roles))


async def test_the_creator_reads_its_new_job_from_the_view_and_then_its_completion(viewing):
    job = await create(viewing)
    assert job["event_sequence"] == 1, "int64 as a JSON number"
    hits = reads("hit")
    first = await get(viewing, job["id"])
    assert first.status_code == 200 and first.json() == job  # read-your-writes, without a GetJob
    assert reads("hit") == hits + 1
    misses = reads("absent") + reads("expired")
    await drive_to_success(viewing.gateway, job["id"])

    async def succeeded() -> bool:
        return (await get(viewing, job["id"])).json()["state"] == "STATE_SUCCEEDED"

    await eventually(succeeded, timeout=10)
    final = (await get(viewing, job["id"])).json()
    assert final["progress"] == 100 and int(final["event_sequence"]) >= 4
    assert reads("absent") + reads("expired") == misses, "the completion came as an event, not by GetJob"


async def test_another_tenant_or_a_token_without_a_reading_role_never_gets_the_viewed_job(viewing):
    job = await create(viewing)
    assert (await get(viewing, job["id"])).status_code == 200  # held by the view
    refused = reads("tenant")
    other = await get(viewing, job["id"], tenant="globex")
    assert other.status_code == 404 and other.json()["code"] == "JOB_NOT_FOUND"
    assert not {"state", "analyzer", "inputs", "tenant_id"} & other.json().keys()
    no_role = await get(viewing, job["id"], roles=())
    assert no_role.status_code == 403
    assert reads("tenant") == refused + 2  # both went to jobs, which answered in its own words
    forged = await viewing.client.get(f"/v1/jobs/{job['id']}", headers={"Authorization": "Bearer not.a.token"})
    assert forged.status_code == 401


async def test_a_late_or_replayed_older_event_never_moves_a_job_backwards(viewing, nats_server):
    job = await create(viewing)
    await drive_to_success(viewing.gateway, job["id"])

    async def succeeded() -> bool:
        return (await get(viewing, job["id"])).json()["state"] == "STATE_SUCCEEDED"

    await eventually(succeeded, timeout=10)
    done = (await get(viewing, job["id"])).json()
    stale_before = events("stale")
    old = job_pb2.Job(id=job["id"], tenant_id="acme", analyzer="sentiment", state=job_pb2.Job.STATE_RUNNING,
                      event_sequence=2)
    nc = await nats.connect(nats_server.url)
    try:
        await nc.publish(event_subject("acme", job["id"]),
                         events_pb2.JobEvent(sequence=2, job=old).SerializeToString())
        await nc.flush()
    finally:
        await nc.close()

    async def ignored() -> bool:
        await asyncio.sleep(0)
        return events("stale") > stale_before

    await eventually(ignored, timeout=5)
    assert (await get(viewing, job["id"])).json() == done


async def test_without_nats_the_view_answers_nothing_and_reads_go_to_jobs(gateway):
    app = create_app(gateway_settings(), gateway.channels)
    view: JobView = app.state.job_view
    assert not view.enabled and not view.live
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        created = await client.post("/v1/jobs", json={"analyzer": "sentiment", "inputs": {"text": "ok"}},
                                    headers=gateway.auth())
        fetched = await client.get(f"/v1/jobs/{created.json()['id']}", headers=gateway.auth())
    assert fetched.json() == created.json() and len(view) == 0


async def test_a_cancellation_is_seen_by_the_next_read(viewing):
    job = await create(viewing)
    assert (await get(viewing, job["id"])).json()["state"] == "STATE_QUEUED"  # held by the view
    cancelled = await viewing.client.post(f"/v1/jobs/{job['id']}:cancel", headers=viewing.gateway.auth())
    assert cancelled.status_code == 200
    assert (await get(viewing, job["id"])).json()["state"] == "STATE_CANCELLED"


async def test_the_gateway_starts_and_serves_while_nats_is_down_and_follows_events_once_it_is_back(gateway):
    """Issue 20: a gateway restarted during a NATS outage must serve (reads through jobs) rather than
    wait for NATS; before, its start-up waited for NATS's first connection, which retries for ever."""
    port = free_port()
    settings = gateway_settings(nats_url=f"nats://127.0.0.1:{port}", job_view_seconds=60,
                                jwt_hs256_secret=gateway.jobs.settings.jwt_hs256_secret)
    app = create_app(settings, gateway.channels)
    view: JobView = app.state.job_view
    async with asyncio.timeout(30), app.router.lifespan_context(app):
        client = gateway.client_for(app)
        created = await client.post("/v1/jobs", json={"analyzer": "sentiment", "inputs": {"text": "ok"}},
                                    headers=gateway.auth())
        assert created.status_code == 202, created.text
        assert not view.live
        fetched = await client.get(f"/v1/jobs/{created.json()['id']}", headers=gateway.auth())
        assert fetched.status_code == 200 and fetched.json()["id"] == created.json()["id"]
        with NatsServer(server_name="assay-late", port=port):

            async def live() -> bool:
                return view.live

            await eventually(live, timeout=20)


async def test_a_result_is_read_from_the_view_as_it_would_be_from_jobs(viewing):
    job = await create(viewing)
    auth = viewing.gateway.auth()
    hits = reads("hit")
    running = await viewing.client.get(f"/v1/jobs/{job['id']}/result", headers=auth)
    assert reads("hit") == hits + 1, "answered from the view, without a GetJob"
    assert running.status_code == 409 and running.json()["code"] == "JOB_NOT_FINISHED"
    assert running.json()["detail"] == (await viewing.gateway.client.get(
        f"/v1/jobs/{job['id']}/result", headers=auth)).json()["detail"], "the same problem as from jobs"
    await drive_to_success(viewing.gateway, job["id"])

    async def finished() -> bool:
        return (await get(viewing, job["id"])).json()["state"] == "STATE_SUCCEEDED"

    await eventually(finished, timeout=10)
    hits = reads("hit")
    held = await viewing.client.get(f"/v1/jobs/{job['id']}/result", headers=auth)
    assert reads("hit") == hits + 1
    from_jobs = await viewing.gateway.client.get(f"/v1/jobs/{job['id']}/result", headers=auth)  # no view there
    assert held.status_code == from_jobs.status_code == 200
    assert held.content == from_jobs.content and held.json()["state"] == "STATE_SUCCEEDED"
    other = await viewing.client.get(f"/v1/jobs/{job['id']}/result", headers=viewing.gateway.auth(tenant="other"))
    assert other.status_code == 404, "another tenant's job is never read from the view"


async def test_a_job_followed_over_sse_to_its_end_reads_as_ended_before_the_views_own_event_arrives(gateway):
    """A client that saw ``end`` asks for the result at once; the view's copy of the final event can
    still be on its way (it is a separate subscription). Here it never arrives: the view is live but
    follows no events, so only what the stream relays can bring it the ending."""
    settings = gateway_settings(nats_url="nats://127.0.0.1:1", jwt_hs256_secret=gateway.jobs.settings.jwt_hs256_secret,
                                job_view_seconds=60)
    app = create_app(settings, gateway.channels)
    app.state.job_view.set_live(True)  # no EventFeed: nothing but the gateway's own answers reaches it
    auth = gateway.auth()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        created = await client.post("/v1/jobs", json={"analyzer": "sentiment", "inputs": {"text": "fine"}},
                                    headers=auth)
        job = created.json()
        assert (await client.get(f"/v1/jobs/{job['id']}", headers=auth)).json()["state"] == "STATE_QUEUED"
        await drive_to_success(gateway, job["id"])
        stream = await client.get(f"/v1/jobs/{job['id']}/events", headers=auth)
        assert '"state":"STATE_SUCCEEDED"' in stream.text and "event: end" in stream.text
        hits = reads("hit")
        result = await client.get(f"/v1/jobs/{job['id']}/result", headers=auth)
        assert reads("hit") == hits + 1, "answered from the view"
    assert result.status_code == 200, result.text
    assert result.json()["state"] == "STATE_SUCCEEDED"
