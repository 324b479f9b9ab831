"""gRPC server reflection is configurable (ASSAY_GRPC_REFLECTION) and answers without a token only when on."""
# ruff: noqa: F811

from __future__ import annotations

import grpc
import pytest
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from ingest_fixtures import IngestService, ingest_stack, ingest_variant  # noqa: F401 - fixtures

pytestmark = pytest.mark.integration


async def listed_services(channel: grpc.aio.Channel) -> list[str]:
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    call = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
    async for response in call:
        return [s.name for s in response.list_services_response.service]
    return []


async def test_reflection_answers_by_default(ingest_stack: IngestService) -> None:
    assert "assay.v1.IngestService" in await listed_services(ingest_stack.channel)


async def test_reflection_can_be_turned_off(ingest_variant) -> None:  # type: ignore[no-untyped-def]
    async with ingest_variant(grpc_reflection=False) as quiet:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await listed_services(quiet.channel)
        assert refused.value.code() == grpc.StatusCode.UNIMPLEMENTED
