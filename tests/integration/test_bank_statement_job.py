"""bank_statement end to end: a password-protected PDF statement through ingest, a real worker, artifacts back."""

# ruff: noqa: F811
from __future__ import annotations

import asyncio
import csv
import io
import json
import signal
from pathlib import Path

from file_job_fixtures import FileStack, chunked, download, file_stack  # noqa: F401 - fixture
from fixtures import bankstatements as fx
from ingest_fixtures import new_tenant, submit_requests

from assay.v1 import bank_statement_pb2, job_pb2
from assay.v1 import ingest_service_pb2 as ing

Job = job_pb2.Job
PASSWORD = "corr3ct-horse-PW"


async def test_a_protected_pdf_statement_is_read_reconciled_and_its_transactions_downloadable(
    file_stack: FileStack,
) -> None:
    tenant = new_tenant()
    statement = fx.make_statement(seed=42, transactions=45)
    protected = fx.encrypt(fx.render_pdf(statement, "debit_credit", rows_per_page=20), PASSWORD)
    good = job_pb2.JobParams(bank_statement=bank_statement_pb2.BankStatementParams(password=PASSWORD))
    worker = await file_stack.start_worker(worker_analyzers="bank_statement")
    owner = file_stack.ingest.token(tenant=tenant)
    try:
        submitted = await file_stack.ingest.files.SubmitDocument(
            submit_requests(chunked(protected), analyzer="bank_statement", name="march.pdf", params=good),
            metadata=owner)
        assert submitted.file.media_type == "application/pdf"
        done = await file_stack.settled(submitted.job.id, tenant, Job.STATE_SUCCEEDED, timeout=60)
        missing = await file_stack.ingest.files.SubmitDocument(
            submit_requests(chunked(protected), analyzer="bank_statement", name="again.pdf"), metadata=owner)
        refused = await file_stack.settled(missing.job.id, tenant, Job.STATE_FAILED, timeout=60)
    finally:
        await worker.stop(2.0)

    result = done.result.bank_statement
    assert result.transactions_total == 45 and result.pages == 3
    assert result.reconciliation.reconciled and result.reconciliation.running_ok == 45
    assert [t.amount for t in result.transactions] == [str(r.amount) for r in statement.rows]
    assert PASSWORD not in str(done.result)

    by_name = {a.name: a for a in done.artifacts}
    assert set(by_name) == {"transactions.csv", "statement.json"}

    async def fetch(name: str) -> bytes:
        link = await file_stack.ingest.files.GetDownloadUrl(ing.GetDownloadUrlRequest(id=by_name[name].file_id),
                                                            metadata=owner)
        return await download(link.url)

    rows = list(csv.DictReader(io.StringIO((await fetch("transactions.csv")).decode(), newline="")))
    assert [row["balance"] for row in rows] == [str(r.balance) for r in statement.rows]
    document = json.loads(await fetch("statement.json"))
    assert len(document["transactions"]) == 45
    for name in by_name:
        assert PASSWORD.encode() not in await fetch(name)

    # no password: a clear input error on the first attempt, no retry
    assert refused.error.code == "PDF_PASSWORD_REQUIRED" and not refused.error.retryable
    assert refused.attempt == 1


async def test_a_sigkilled_worker_s_statement_succeeds_on_attempt_two_with_every_transaction(
    file_stack: FileStack, tmp_path: Path,
) -> None:
    tenant = new_tenant()
    statement = fx.make_statement(seed=9, transactions=6000)
    data = fx.render_pdf(statement, "signed_amount", rows_per_page=30)
    first = file_stack.spawn_worker(tmp_path / "worker-1", worker_analyzers="bank_statement")
    try:
        submitted = await file_stack.ingest.files.SubmitDocument(
            submit_requests(chunked(data), analyzer="bank_statement", name="year.pdf"),
            metadata=file_stack.ingest.token(tenant=tenant))
        running = await file_stack.running_with_progress(submitted.job.id, tenant, timeout=60)
        assert running.attempt == 1 and running.progress < 100
        assert first.proc is not None
        first.proc.send_signal(signal.SIGKILL)
        await asyncio.to_thread(first.proc.wait, 5)
        file_stack.spawn_worker(tmp_path / "worker-2", worker_analyzers="bank_statement")
        done = await file_stack.settled(submitted.job.id, tenant, Job.STATE_SUCCEEDED, timeout=90)
    finally:
        await asyncio.to_thread(file_stack.stop_spawned)

    result = done.result.bank_statement
    assert done.attempt == 2
    assert result.transactions_total == 6000 and result.pages == 200 and result.transactions_truncated
    assert len(result.transactions) == 1000 and result.reconciliation.reconciled
    assert {a.name for a in done.artifacts} == {"transactions.csv", "statement.json"}
