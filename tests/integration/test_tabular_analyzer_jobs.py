"""xml_to_csv and compare end to end: files through ingest, a real worker, CSV artifacts back in ingest."""

# ruff: noqa: F811
from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
from pathlib import Path

import pytest
from file_job_fixtures import FileStack, chunked, download, file_stack  # noqa: F401 - fixture
from fixtures import tabular, xmldocs
from ingest_fixtures import new_tenant, submit_requests

from assay.cli.__main__ import cmd_submit
from assay.cli.client import Connection
from assay.v1 import ingest_service_pb2 as ing
from assay.v1 import job_pb2, xml_to_csv_pb2

Job = job_pb2.Job


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
        return await download(link.url)

    holdings = list(csv.DictReader(io.StringIO((await fetch("filings_holdings.infoTable.csv")).decode(), newline="")))
    assert [row["nameOfIssuer"] for row in holdings] == ["ACME CORP", "GLOBEX & SONS"]
    assert by_name["filings_holdings.infoTable.csv"].media_type == "text/csv"
    manifest = json.loads(await fetch("manifest.json"))
    assert manifest["documents_converted"] == "3" and len(manifest["members"]) == 8
    for name in by_name:
        assert b"TOP-SECRET-VALUE" not in await fetch(name)


async def test_the_cli_compares_two_csv_files_through_a_worker_into_a_downloadable_diff(
    file_stack: FileStack, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    tenant = new_tenant()
    owner = file_stack.ingest.token(tenant=tenant)
    old, new = tmp_path / "master-2025.csv", tmp_path / "master-2026.csv"
    old.write_bytes(tabular.csv_bytes(tabular.HEADER, tabular.OLD))
    new.write_bytes(tabular.csv_bytes(tabular.HEADER, tabular.NEW))
    conn = Connection(jobs=file_stack.jobs.jobs, ingest=file_stack.ingest.files, analysis=None, index=None,
                      metadata=owner, channels=())  # submit never asks the analysis or index service
    args = argparse.Namespace(analyzer="compare", param=["key_columns=isin"], text=None, file=str(old),
                              more_files=[str(new)], priority=0, request_id=None, wait=True, json=True,
                              no_cache=False)
    worker = await file_stack.start_worker(worker_analyzers="compare")
    try:
        assert await asyncio.wait_for(cmd_submit(args, conn), timeout=60) == 0
    finally:
        await worker.stop(2.0)

    done = json.loads(capsys.readouterr().out)
    result = done["result"]["compare"]
    assert (result["added"], result["removed"], result["changed"], result["unchanged"]) == (1, 1, 2, 2)
    job = await file_stack.get(done["id"], tenant)
    assert len(job.inputs.file_ids) == 2 and job.result.compare.old.file_id == job.inputs.file_ids[0]
    (artifact,) = job.artifacts
    assert artifact.name == "diff.csv" and artifact.media_type == "text/csv"
    link = await file_stack.ingest.files.GetDownloadUrl(ing.GetDownloadUrlRequest(id=artifact.file_id), metadata=owner)
    lines = list(csv.DictReader(io.StringIO((await download(link.url)).decode(), newline="")))
    assert sorted(line["change"] for line in lines) == ["added", "changed", "changed", "removed"]
