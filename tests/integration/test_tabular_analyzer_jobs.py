"""xml_to_csv and compare end to end: files through ingest, a real worker, CSV artifacts back in ingest."""

# ruff: noqa: F811
from __future__ import annotations

import asyncio
import csv
import io
import json
import urllib.request
from pathlib import Path

from file_job_fixtures import FileStack, chunked, file_stack  # noqa: F401 - fixture
from fixtures import tabular, xmldocs
from ingest_fixtures import new_tenant, submit_requests

from assay.v1 import compare_pb2, job_pb2, xml_to_csv_pb2
from assay.v1 import ingest_service_pb2 as ing
from assay.v1 import jobs_service_pb2 as js

Job = job_pb2.Job


def _download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return bytes(response.read())


async def test_a_zip_of_xml_filings_becomes_downloadable_csv_tables_and_a_manifest(
    file_stack: FileStack, tmp_path: Path,
) -> None:
    tenant = new_tenant()
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    archive = xmldocs.hostile_zip(str(secret))
    params = job_pb2.JobParams(xml_to_csv=xml_to_csv_pb2.XmlToCsvParams())
    worker = await file_stack.start_worker(worker_analyzers="xml_to_csv")
    try:
        submitted = await file_stack.ingest.files.SubmitDocument(
            submit_requests(chunked(archive), analyzer="xml_to_csv", name="filings.zip", params=params),
            metadata=file_stack.ingest.token(tenant=tenant))
        assert submitted.file.media_type == "application/zip"
        done = await file_stack.settled(submitted.job.id, tenant, Job.STATE_SUCCEEDED, timeout=60)
    finally:
        await worker.stop(2.0)

    result = done.result.xml_to_csv
    assert (result.documents_converted, result.documents_skipped) == (3, 5)
    skipped = {m.name: m.skip_code for m in result.members if m.skip_code}
    assert skipped == {"filings/bomb.xml": "XML_ENTITIES_FORBIDDEN", "filings/xxe.xml": "XML_ENTITIES_FORBIDDEN",
                       "filings/broken.xml": "XML_MALFORMED", "nested.zip": "NESTED_ARCHIVE",
                       "README.txt": "NOT_XML"}
    by_name = {a.name: a for a in done.artifacts}
    expected = {t.artifact_name for m in result.members for t in m.tables} | {
        m.header_artifact_name for m in result.members if m.header_artifact_name} | {"manifest.json"}
    assert set(by_name) == expected

    owner = file_stack.ingest.token(tenant=tenant)

    async def fetch(name: str) -> bytes:
        link = await file_stack.ingest.files.GetDownloadUrl(ing.GetDownloadUrlRequest(id=by_name[name].file_id),
                                                            metadata=owner)
        return await asyncio.to_thread(_download, link.url)

    holdings = list(csv.DictReader(io.StringIO((await fetch("filings_holdings.infoTable.csv")).decode(), newline="")))
    assert [row["nameOfIssuer"] for row in holdings] == ["ACME CORP", "GLOBEX & SONS"]
    assert by_name["filings_holdings.infoTable.csv"].media_type == "text/csv"
    manifest = json.loads(await fetch("manifest.json"))
    assert manifest["documents_converted"] == "3" and len(manifest["members"]) == 8
    for name in by_name:
        assert b"TOP-SECRET-VALUE" not in await fetch(name)


async def test_two_uploaded_csvs_are_compared_by_a_worker_into_a_downloadable_diff(file_stack: FileStack) -> None:
    tenant = new_tenant()
    owner = file_stack.ingest.token(tenant=tenant)
    old = await file_stack.ingest.upload([tabular.csv_bytes(tabular.HEADER, tabular.OLD)], name="master-2025.csv",
                                         metadata=owner)
    new = await file_stack.ingest.upload([tabular.csv_bytes(tabular.HEADER, tabular.NEW)], name="master-2026.csv",
                                         metadata=owner)
    worker = await file_stack.start_worker(worker_analyzers="compare")
    try:
        created = await file_stack.jobs.jobs.CreateJob(js.CreateJobRequest(
            analyzer="compare", inputs=job_pb2.JobInputs(file_ids=[old.id, new.id]),
            params=job_pb2.JobParams(compare=compare_pb2.CompareParams(key_columns=["isin"]))),
            metadata=file_stack.jobs.token(tenant=tenant))
        done = await file_stack.settled(created.job.id, tenant, Job.STATE_SUCCEEDED, timeout=60)
    finally:
        await worker.stop(2.0)

    result = done.result.compare
    assert (result.added, result.removed, result.changed, result.unchanged) == (1, 1, 2, 2)
    assert (result.old.file_id, result.new.file_id) == (old.id, new.id)
    (artifact,) = done.artifacts
    assert artifact.name == "diff.csv" and artifact.media_type == "text/csv"
    link = await file_stack.ingest.files.GetDownloadUrl(ing.GetDownloadUrlRequest(id=artifact.file_id), metadata=owner)
    lines = list(csv.DictReader(io.StringIO((await asyncio.to_thread(_download, link.url)).decode(), newline="")))
    assert sorted(line["change"] for line in lines) == ["added", "changed", "changed", "removed"]
