"""Streams are provisioned in one place, common.nats.connect_with_streams: created, then kept as configured."""

from __future__ import annotations

from assay.common.config import NatsSettings
from assay.common.nats import ALL_EVENTS, EVENTS_STREAM, WORK_STREAM, connect_with_streams


async def test_connect_with_streams_creates_both_streams_and_is_repeatable(nats_server) -> None:  # type: ignore[no-untyped-def]
    settings = NatsSettings(nats_url=nats_server.url)
    for _ in range(2):  # a second process (or a restart) finds them and updates them in place
        nc = await connect_with_streams(settings, "assay-test-provision")
        try:
            js = nc.jetstream()
            work = await js.stream_info(WORK_STREAM)
            events = await js.stream_info(EVENTS_STREAM)
        finally:
            await nc.drain()
        assert work.config.subjects == ["assay.work.>"]
        assert events.config.subjects == [ALL_EVENTS]
        assert work.config.num_replicas == events.config.num_replicas == settings.nats_stream_replicas
