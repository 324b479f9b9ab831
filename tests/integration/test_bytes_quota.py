"""The bytes-stored quota on a real ingest (PostgreSQL, S3): an upload past it is refused and leaves
nothing behind; deleting a file makes room again."""

# ruff: noqa: F811 - test parameters named after the imported fixtures

from __future__ import annotations

import grpc
import pytest
from ingest_fixtures import ingest_stack, ingest_variant, new_tenant  # noqa: F401 - fixtures

from assay.common.errors import details_from_rpc_error
from assay.v1 import ingest_service_pb2 as ing

pytestmark = pytest.mark.integration


async def test_an_upload_past_the_tenants_bytes_is_refused_and_stores_nothing(ingest_variant) -> None:  # type: ignore[no-untyped-def]
    tenant = new_tenant()
    async with ingest_variant(quota_bytes_stored=f"{tenant}=1000") as ingest:
        token = ingest.token(tenant=tenant)
        first = await ingest.upload([b"a" * 600], metadata=token)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await ingest.upload([b"b" * 500], metadata=token)

        details = details_from_rpc_error(refused.value)
        assert (details.code, details.reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "QUOTA_EXCEEDED")
        assert details.metadata == {"quota": "bytes_stored", "limit": "1000", "usage": "600"}
        assert await ingest.file_ids(token) == {first.id}
        assert len(ingest.object_keys(tenant)) == 1  # the refused upload's object was removed

        await ingest.files.DeleteFile(ing.DeleteFileRequest(id=first.id), metadata=token)
        assert (await ingest.upload([b"c" * 900], metadata=token)).size_bytes == 900
        other = await ingest.upload([b"d" * 5000], metadata=ingest.token(tenant=new_tenant()))
        assert other.size_bytes == 5000  # another tenant has no limit
