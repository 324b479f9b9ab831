"""Jobs started while NATS is down (issue 20): it serves, accepts jobs into its outbox and relays
them once NATS is back. Before, its start-up awaited NATS's first connection, which retries for
ever, so a jobs restarted during a NATS outage refused every client until NATS returned (the
5-minute NATS outage chaos run: 126 s of 503s after a jobs SIGKILL).

Runs on a NATS of its own (started late here), never the session's.
"""

from __future__ import annotations

import asyncio

import grpc
import nats
import pytest
from harness.jobs import jobs_on_fresh_database
from harness.waiting import eventually
from test_jobs_lifecycle import create, get

from assay.common.nats import EVENTS_STREAM, WORK_STREAM
from assay.devstack.servers import free_port
from assay.devstack.servers.nats import NatsServer
from assay.v1 import job_pb2
from assay.v1 import jobs_service_pb2 as js

pytestmark = pytest.mark.integration


async def test_jobs_started_while_nats_is_down_accepts_jobs_and_relays_them_once_it_is_back(postgres):
    port = free_port()
    async with asyncio.timeout(60), jobs_on_fresh_database(postgres, f"nats://127.0.0.1:{port}",
                                                           "nonats") as service:
        job = await create(service)
        assert job.state == job_pb2.Job.STATE_QUEUED
        assert (await get(service, job)).id == job.id
        with pytest.raises(grpc.aio.AioRpcError) as watched:
            async for _ in service.jobs.WatchJob(js.WatchJobRequest(id=job.id), metadata=service.token()):
                break
        assert watched.value.code() == grpc.StatusCode.UNAVAILABLE, watched.value.details()

        with NatsServer(server_name="assay-late", port=port) as server:
            nc = await nats.connect(server.url)
            try:
                jetstream = nc.jetstream()

                async def relayed() -> bool:
                    try:
                        work = await jetstream.stream_info(WORK_STREAM)
                        events = await jetstream.stream_info(EVENTS_STREAM)
                    except nats.js.errors.NotFoundError:
                        return False  # not provisioned yet
                    return work.state.messages >= 1 and events.state.messages >= 1

                await eventually(relayed, timeout=30)
            finally:
                await nc.close()


async def test_jobs_started_and_stopped_while_nats_is_down_stops_promptly(postgres):
    port = free_port()
    async with asyncio.timeout(30):
        async with jobs_on_fresh_database(postgres, f"nats://127.0.0.1:{port}", "nonats") as service:
            assert (await create(service)).state == job_pb2.Job.STATE_QUEUED
        # leaving the block stopped it: the pending first connection was given up, nothing hangs
