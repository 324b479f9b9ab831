"""The bytes-stored quota on a real ingest (PostgreSQL, S3): an upload past it is refused and leaves
nothing behind; deleting a file makes room again."""

# ruff: noqa: F811 - test parameters named after the imported fixtures

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import grpc
import pytest
from gateway_fixtures import gateway_over
from ingest_fixtures import ingest_stack, ingest_variant, new_tenant  # noqa: F401 - fixtures

from assay.cli.__main__ import EXIT_OK, main
from assay.common.auth import mint_token
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


async def test_usage_shows_the_bytes_stored_beside_the_job_quotas_over_grpc_rest_and_cli(  # type: ignore[no-untyped-def]
    ingest_variant, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    tenant = new_tenant()
    async with ingest_variant(quota_bytes_stored=f"{tenant}=1000") as ingest:
        token = ingest.token(tenant=tenant)
        await ingest.upload([b"a" * 600], metadata=token)
        await ingest.upload([b"b" * 150], metadata=token)
        storage = await ingest.files.GetStorageUsage(ing.GetStorageUsageRequest(), metadata=token)
        assert (storage.bytes_stored, storage.limit, storage.files) == (750, 1000, 2)
        assert ingest.jobs is not None
        jobs_address = f"127.0.0.1:{ingest.jobs.server.port}"
        async with gateway_over(jobs_address, ingest.address) as client:
            response = await client.get("/v1/usage", headers={"Authorization": token[0][1]})
        assert response.status_code == 200
        quotas = {quota["quota"]: quota for quota in response.json()["quotas"]}
        assert quotas["bytes_stored"] == {"quota": "bytes_stored", "used": 750, "limit": 1000}
        assert {"jobs_per_day", "max_queued"} <= quotas.keys()

        (tmp_path / "stack.json").write_text(json.dumps({"endpoints": {
            "jobs": jobs_address, "ingest": ingest.address, "analysis": "127.0.0.1:1"},
            "token": mint_token(ingest.settings, subject="alice", tenant=tenant, roles=["user"])}))
        capsys.readouterr()
        code = await asyncio.to_thread(main, ["--data-dir", str(tmp_path), "usage"])
        rows = {line.split()[0]: line.split()[1:] for line in capsys.readouterr().out.splitlines()}
        assert code == EXIT_OK and rows["bytes_stored"] == ["750", "1,000"]
