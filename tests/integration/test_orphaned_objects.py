"""Orphaned objects are swept (issue 20, item 9 / leftovers item 3).

An object stored without a file row (ingest killed between the put and the commit, a worker's
artifact whose RegisterArtifact never came) is deleted once older than the grace period; registered
files' objects, young objects and keys outside the file layout are left alone.
"""

# ruff: noqa: F811 - test parameters named after the imported fixtures

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

import pytest
from harness import eventually
from ingest_fixtures import IngestService, ingest_stack, ingest_variant, new_tenant  # noqa: F401 - fixtures
from prometheus_client import REGISTRY

from assay.common.db import create_engine
from assay.common.storage import create_client, object_key
from assay.ingest.objects import ObjectStore
from assay.ingest.orphans import sweep_orphans

pytestmark = pytest.mark.integration


def put(stack: IngestService, key: str) -> None:
    body = b"leftover"
    stack.s3.put_object(stack.bucket, key, io.BytesIO(body), len(body))


def swept_total() -> float:
    return REGISTRY.get_sample_value("assay_ingest_orphaned_objects_swept_total") or 0.0


@pytest.fixture
async def sweep(ingest_stack: IngestService) -> AsyncIterator[Callable[[float], object]]:
    settings = ingest_stack.settings
    engine = create_engine(settings)
    objects = ObjectStore(create_client(settings), settings.s3_bucket, part_size=settings.upload_part_bytes,
                          parallelism=1)

    async def run(grace: float) -> int:
        return await sweep_orphans(engine, objects, grace)
    yield run
    await engine.dispose()


async def test_an_object_without_a_file_row_is_deleted_after_the_grace_and_nothing_else(
    ingest_stack: IngestService, sweep: Callable[[float], object],
) -> None:
    tenant = new_tenant()
    stored = await ingest_stack.upload([b"text\nkept\n"], name="kept.csv", media_type="text/csv",
                                       metadata=ingest_stack.token(tenant=tenant))
    kept = object_key(tenant, stored.id)
    orphan = object_key(tenant, uuid.uuid4())
    foreign = f"tenants/{tenant}/elsewhere/{uuid.uuid4()}"
    put(ingest_stack, orphan)
    put(ingest_stack, foreign)
    before = swept_total()

    assert await sweep(3600.0) == 0  # type: ignore[misc]
    assert set(ingest_stack.object_keys(tenant)) == {kept, orphan, foreign}

    assert await sweep(0.0) >= 1  # type: ignore[misc]
    assert set(ingest_stack.object_keys(tenant)) == {kept, foreign}
    assert swept_total() >= before + 1
    listed = await ingest_stack.file_ids(ingest_stack.token(tenant=tenant))
    assert listed == {stored.id}


async def test_ingest_sweeps_in_the_background_when_configured(
    ingest_variant: Callable[..., AbstractAsyncContextManager[IngestService]],
) -> None:
    async with ingest_variant(orphan_sweep_seconds=0.2, orphan_grace_seconds=0.0) as service:
        tenant = new_tenant()
        orphan = object_key(tenant, uuid.uuid4())
        put(service, orphan)

        async def gone() -> bool:
            return orphan not in service.object_keys(tenant)
        await eventually(gone, timeout=15)
