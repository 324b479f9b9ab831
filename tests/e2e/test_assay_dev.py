"""`assay dev` as a user runs it: one command, then REST, SSE, the CLI, a crash and a restart."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fixtures import tabular, xmldocs
from harness import assert_eventually
from harness.assay_dev import Stack, running_stack

pytestmark = pytest.mark.e2e

CSV = "text\nI love this, it is wonderful!\nThis is awful and I hate it.\nThe box is brown.\n"


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with running_stack("assay-dev-e2e-") as running:
        yield running


def follow_events(client: httpx.Client, job_id: str) -> list[dict]:
    """The ``job`` events of the SSE stream, read until it ends (``event: end`` at a terminal state)."""
    jobs, event = [], ""
    with client.stream("GET", f"/v1/jobs/{job_id}/events", timeout=120) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("event:"):
                event = line.removeprefix("event:").strip()
            elif line.startswith("data:") and event == "job":
                jobs.append(json.loads(line.removeprefix("data:").strip()))
    assert event == "end", "the stream ends with an end event"
    return jobs


def test_a_json_job_over_rest_is_accepted_and_followed_over_sse_to_success(stack):
    with stack.client() as client:
        response = client.post("/v1/jobs", json={"analyzer": "sentiment", "inputs": {"text": "I love it!"}})
        assert response.status_code == 202, response.text
        job = response.json()
        assert response.headers["location"] == f"/v1/jobs/{job['id']}"
        states = [j["state"] for j in follow_events(client, job["id"])]
        assert states[-1] == "STATE_SUCCEEDED"
        result = client.get(f"/v1/jobs/{job['id']}/result").json()
        items = result["result"]["sentiment"]["items"]
        assert items[0]["label"] == "SENTIMENT_LABEL_POSITIVE"


def test_a_multipart_batch_runs_and_its_scored_csv_can_be_downloaded(stack):
    with stack.client() as client:
        response = client.post("/v1/jobs", data={"analyzer": "sentiment"},
                               files={"file": ("reviews.csv", CSV.encode(), "text/csv")})
        assert response.status_code == 202, response.text
        job_id = response.json()["id"]
        assert follow_events(client, job_id)[-1]["state"] == "STATE_SUCCEEDED"
        result = client.get(f"/v1/jobs/{job_id}/result").json()
        stats = result["result"]["sentiment"]["statistics"]
        assert int(stats["rows_scored"]) == 3
        [artifact] = result["artifacts"]
        scored = httpx.get(artifact["download_url"], timeout=30)
        assert scored.status_code == 200
        lines = scored.text.strip().splitlines()
        assert "label" in lines[0] and len(lines) == 4
        assert "positive" in lines[1].lower() and "negative" in lines[2].lower()


def test_the_cli_submits_waits_and_prints_the_result_as_json(stack):
    done = stack.cli("--json", "submit", "--analyzer", "sentiment", "--text", "This is terrible.", "--wait")
    assert done.returncode == 0, done.stderr
    job = json.loads(done.stdout)
    assert job["state"] == "STATE_SUCCEEDED"
    assert job["result"]["sentiment"]["items"][0]["label"] == "SENTIMENT_LABEL_NEGATIVE"
    listed = stack.cli("jobs", "list")
    assert job["id"] in listed.stdout


def test_another_tenant_sees_404_and_a_600_character_text_names_the_field(stack):
    with stack.client() as client:
        job_id = client.post("/v1/jobs", json={"analyzer": "sentiment", "inputs": {"text": "fine"}}).json()["id"]
        other = stack.cli("token", "--tenant", "globex", "--roles", "user").stdout.strip()
        response = client.get(f"/v1/jobs/{job_id}", headers={"Authorization": f"Bearer {other}"})
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
        too_long = client.post("/v1/jobs", json={"analyzer": "sentiment", "inputs": {"text": "x" * 600}})
        assert too_long.status_code in (400, 422)
        problem = too_long.json()
        assert any(v["field"] == "inputs.text" for v in problem["violations"]), problem


def test_the_worker_keys_reach_only_the_services_that_use_them_and_assay_token_mints_no_worker(stack):
    def environ(pid: int) -> dict[str, str]:
        pairs = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        return dict(p.decode(errors="replace").split("=", 1) for p in pairs if b"=" in p)

    keys = ("ASSAY_WORKER_SECRET", "ASSAY_JOB_CAPABILITY_SECRET")
    held = {name: {k for k in keys if environ(pid).get(k)} for name, pid in stack.info()["pids"].items()}
    assert held == {"jobs": set(keys), "ingest": set(keys), "analysis": {"ASSAY_WORKER_SECRET"}, "gateway": set()}
    refused = stack.cli("token", "--tenant", "globex", "--roles", "worker")
    assert refused.returncode == 2 and "unknown role(s) worker" in refused.stderr


def test_what_get_analyzers_lists_is_what_create_enforces_and_the_cli_shows(stack):
    with stack.client() as client:
        listed = {a["name"]: a for a in client.get("/v1/analyzers").json()["analyzers"]}
        contract = listed["contract_review"]
        schema = contract["params_schema"]
        assert schema["required"] == ["contract_type", "jurisdiction"]
        assert "JURISDICTION_EU" in schema["properties"]["jurisdiction"]["enum"]
        limit = contract["max_text_chars"]
        refused = client.post("/v1/jobs", json={"analyzer": "contract_review", "inputs": {"text": "x" * (limit + 1)}})
        assert refused.status_code == 400, refused.text
        assert {v["field"] for v in refused.json()["violations"]} == {
            "inputs.text", "params.contract_review.contract_type", "params.contract_review.jurisdiction"}
        params = {"contract_review": {"contract_type": "CONTRACT_TYPE_MSA", "jurisdiction": "JURISDICTION_EU"}}
        accepted = client.post("/v1/jobs", json={"analyzer": "contract_review", "params": params,
                                                 "inputs": {"text": "x" * limit}})
        assert accepted.status_code == 202, accepted.text
        client.post(f"/v1/jobs/{accepted.json()['id']}:cancel")
        assert "application/pdf" not in listed["sentiment"]["accepted_media_types"]
        pdf = client.post("/v1/jobs", data={"analyzer": "sentiment"},
                          files={"file": ("report.pdf", b"%PDF-1.7\n" + b"results\n" * 50, "application/pdf")})
        assert pdf.status_code == 400, pdf.text
        assert any("application/pdf" in v["description"] for v in pdf.json()["violations"])
    shown = stack.cli("analyzers")
    assert shown.returncode == 0, shown.stderr
    assert "contract_type  required  one of vendor_dpa, msa, privacy_policy" in shown.stdout


def test_assay_trace_prints_a_waterfall_spanning_the_services(stack):
    done = stack.cli("--json", "submit", "--analyzer", "sentiment", "--text", "Lovely!", "--wait")
    job_id = json.loads(done.stdout)["id"]

    def waterfall_complete() -> str:
        text = stack.cli("trace", job_id).stdout
        assert all(service in text for service in ("assay-jobs", "assay-analysis")), text
        # The worker settles attempts with StartJobs / CompleteJobs: each item's transition is a span
        # in its own job's trace ("start job", "complete job"), the batch call in none of them.
        assert "complete job" in text and "analyze sentiment" in text, text
        return text

    text = assert_eventually(waterfall_complete, timeout=20, interval=0.5)
    assert text.startswith("trace ")


def test_a_killed_service_is_restarted_and_the_stack_keeps_working(stack):
    old_pid = stack.info()["pids"]["jobs"]
    os.kill(old_pid, signal.SIGKILL)
    assert_eventually(lambda: stack.info()["pids"]["jobs"] != old_pid, timeout=60, interval=0.2)
    done = stack.cli("--json", "submit", "--analyzer", "sentiment", "--text", "Back again, great!", "--wait")
    assert done.returncode == 0, done.stderr


def test_a_restarted_stack_still_has_every_job_and_file(stack):
    with stack.client() as client:
        job_id = client.post("/v1/jobs", json={"analyzer": "sentiment", "inputs": {"text": "kept"}}).json()["id"]
        follow_events(client, job_id)
    stack.stop()
    stack.start()
    with stack.client() as client:
        response = client.get(f"/v1/jobs/{job_id}")
        assert response.status_code == 200
        assert response.json()["state"] == "STATE_SUCCEEDED"


def spans_of(stack: Stack, trace_id: str) -> list[dict]:
    path = stack.data_dir / "traces" / "spans.jsonl"
    return [s for s in map(json.loads, path.read_text().splitlines()) if s["trace_id"] == trace_id]


def test_one_job_is_one_trace_from_the_gateway_through_the_bus_to_the_worker(stack):
    with stack.client() as client:
        # no_cache: an earlier test ran this CSV, and a cached answer never reaches the bus or a worker
        response = client.post("/v1/jobs", data={"analyzer": "sentiment", "no_cache": "true"},
                               files={"file": ("reviews.csv", CSV.encode(), "text/csv")})
        job_id = response.json()["id"]
        follow_events(client, job_id)
        trace_id = client.get(f"/v1/jobs/{job_id}").json()["trace_id"]
    assert len(trace_id) == 32

    def whole_trace() -> list[dict]:
        spans = spans_of(stack, trace_id)
        names = {(s["service"], s["name"]) for s in spans}
        assert ("assay-gateway", "POST /v1/jobs") in names, names
        assert ("assay-ingest", "/assay.v1.IngestService/SubmitDocument") in names, names
        assert ("assay-jobs", "/assay.v1.JobService/CreateJob") in names, names
        assert ("assay-jobs", "publish assay.work") in names, names
        assert ("assay-analysis", "process assay.work.sentiment") in names, names
        assert ("assay-analysis", "analyze sentiment") in names, names
        assert ("assay-jobs", "start job") in names, names  # the StartJobs item's transition
        assert ("assay-jobs", "complete job") in names, names  # the CompleteJobs item's transition
        return spans

    spans = assert_eventually(whole_trace, timeout=20, interval=0.5)
    by_id = {s["span_id"]: s for s in spans}
    roots = [s for s in spans if s["parent_id"] not in by_id]
    assert [(r["service"], r["name"]) for r in roots] == [("assay-gateway", "POST /v1/jobs")], "no orphan spans"

    def parent(name: str) -> dict:
        span = next(s for s in spans if s["name"] == name)
        return by_id[span["parent_id"]]

    assert parent("process assay.work.sentiment")["name"] == "publish assay.work"
    assert parent("analyze sentiment")["name"] == "process assay.work.sentiment"
    process = next(s for s in spans if s["name"] == "process assay.work.sentiment")
    assert process["kind"] == "CONSUMER" and process["attributes"]["messaging.system"] == "nats"


def scrape(url: str) -> dict[str, float]:
    samples = {}
    for line in httpx.get(url, timeout=10).text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


def test_job_counters_and_histograms_move_when_a_job_runs(stack):
    jobs_metrics = stack.info()["metrics"]["jobs"]
    created = 'assay_jobs_created_total{analyzer="sentiment"}'
    finished = 'assay_jobs_finished_total{analyzer="sentiment",outcome="succeeded"}'
    duration = 'assay_job_attempt_duration_seconds_count{analyzer="sentiment",outcome="succeeded"}'
    before = scrape(jobs_metrics)
    done = stack.cli("--json", "submit", "--analyzer", "sentiment", "--text", "Metrics are nice", "--wait")
    assert done.returncode == 0, done.stderr
    after = scrape(jobs_metrics)
    for name in (created, finished, duration):
        assert after.get(name, 0) >= before.get(name, 0) + 1, name
    assert any(k.startswith("assay_rpc_duration_seconds_bucket") for k in after)


def test_a_dpa_uploaded_as_a_file_gets_a_contract_review_with_evidence(stack):
    contract = Path(__file__).parents[1] / "fixtures" / "contracts" / "eu_dpa.txt"
    with stack.client() as client:
        params = json.dumps({"contract_review": {"contract_type": "CONTRACT_TYPE_VENDOR_DPA",
                                                 "jurisdiction": "JURISDICTION_EU"}})
        response = client.post("/v1/jobs", data={"analyzer": "contract_review", "params": params},
                               files={"file": ("dpa.txt", contract.read_bytes(), "text/plain")})
        assert response.status_code == 202, response.text
        job_id = response.json()["id"]
        final = follow_events(client, job_id)[-1]
        assert final["state"] == "STATE_SUCCEEDED", final
        review = final["result"]["contract_review"]
    text = contract.read_text()
    present = [r for r in review["requirements"] if r["status"] == "STATUS_PRESENT"]
    assert present, review["summary"]
    for finding in present:
        for evidence in finding["evidence"]:
            assert " ".join(evidence["excerpt"].split())[:60] in " ".join(text.split()), evidence


def test_xml_to_csv_over_rest_and_compare_over_the_cli_give_downloadable_csvs(stack, tmp_path):
    with stack.client() as client:
        listed = {a["name"] for a in client.get("/v1/analyzers").json()["analyzers"]}
        assert {"xml_to_csv", "compare"} <= listed
        archive = xmldocs.hostile_zip(str(tmp_path / "nothing-to-read"))
        response = client.post("/v1/jobs", data={"analyzer": "xml_to_csv"},
                               files={"file": ("filings.zip", archive, "application/zip")})
        assert response.status_code == 202, response.text
        job_id = response.json()["id"]
        assert follow_events(client, job_id)[-1]["state"] == "STATE_SUCCEEDED"
        result = client.get(f"/v1/jobs/{job_id}/result").json()
        assert result["result"]["xml_to_csv"]["documents_skipped"] == 5
        by_name = {a["name"]: a for a in result["artifacts"]}
        holdings = httpx.get(by_name["filings_holdings.infoTable.csv"]["download_url"], timeout=30)
        assert holdings.status_code == 200 and "GLOBEX & SONS" in holdings.text
    old, new = tmp_path / "old.csv", tmp_path / "new.csv"
    old.write_bytes(tabular.csv_bytes(tabular.HEADER, tabular.OLD))
    new.write_bytes(tabular.csv_bytes(tabular.HEADER, tabular.NEW))
    done = stack.cli("--json", "submit", "--analyzer", "compare", str(old), str(new), "--wait")
    assert done.returncode == 0, done.stderr
    compared = json.loads(done.stdout)["result"]["compare"]
    assert (compared["key_columns"], compared["changed"], compared["added"]) == (["isin"], 2, 1)


def test_a_document_indexed_into_a_collection_answers_a_question_until_it_is_deleted(stack):
    handbook = ("# Handbook\n\n## Annual leave\n\nEvery employee is entitled to twenty-eight days of paid annual "
                "leave per calendar year.\n\n## Security\n\nLaptops must be encrypted.\n")
    with stack.client() as client:
        created = client.post("/v1/collections", json={"name": "e2e-handbooks"})
        assert created.status_code == 201, created.text
        collection = created.json()["id"]
        params = json.dumps({"index": {"collection_id": collection}})
        response = client.post("/v1/jobs", data={"analyzer": "index", "params": params},
                               files={"file": ("handbook.md", handbook.encode(), "text/plain")})
        assert response.status_code == 202, response.text
        job = response.json()
        assert follow_events(client, job["id"])[-1]["state"] == "STATE_SUCCEEDED"
        asked = client.post(f"/v1/collections/{collection}:ask", json={"question": "How many days of annual leave?"})
        assert asked.status_code == 200, asked.text
        answer = asked.json()
        assert answer["answered"] and "twenty-eight days" in answer["answer"]
        assert answer["passages"][0]["citation"]["display_name"] == "handbook.md"
        file_id = answer["passages"][0]["citation"]["file_id"]
        assert client.delete(f"/v1/files/{file_id}").status_code == 204
        after = client.post(f"/v1/collections/{collection}:ask", json={"question": "How many days of annual leave?"})
        assert after.json().get("passages", []) == []


def test_a_pipeline_survives_killing_jobs_and_the_worker_and_yields_exactly_one_workbook(stack, tmp_path):
    from fixtures.consolidation import FILING_YEARS, filing_pdf
    from fixtures.consolidation_checks import check_consolidation, check_workbook, pipeline_body
    from google.protobuf import json_format
    from test_assay_dev_lifecycle import descendants

    from assay.v1 import job_pb2

    with stack.client() as client:
        file_ids = []
        for year in FILING_YEARS:
            pdf = filing_pdf(tmp_path / f"{year}.pdf", year).read_bytes()
            uploaded = client.post("/v1/files", files={"file": (f"10-K {year}.pdf", pdf, "application/pdf")})
            assert uploaded.status_code == 201, uploaded.text
            file_ids.append(uploaded.json()["id"])
        created = client.post("/v1/pipelines", json=pipeline_body(file_ids))
        assert created.status_code == 201, created.text
        pipeline = created.json()
        filings = [job["id"] for job in pipeline["jobs"][:-1]]

        def a_filing_is_being_read() -> bool:
            states = {client.get(f"/v1/jobs/{job_id}").json()["state"] for job_id in filings}
            return bool(states & {"STATE_RUNNING", "STATE_SUCCEEDED"})
        assert_eventually(a_filing_is_being_read, timeout=120, interval=0.1)
        consolidation = client.get(f"/v1/jobs/{pipeline['jobs'][-1]['id']}").json()["state"]
        assert consolidation == "STATE_WAITING", "the kill comes mid-pipeline"
        killed = stack.info()["pids"]
        for name in ("jobs", "analysis"):  # as a node failure would: the worker with its analyzer processes
            for pid in [killed[name], *descendants(killed[name])]:
                os.kill(pid, signal.SIGKILL)
        assert_eventually(lambda: all(stack.info()["pids"][name] != killed[name] for name in ("jobs", "analysis")),
                          timeout=60, interval=0.2)

        def finished() -> dict | None:
            body = client.get(f"/v1/pipelines/{pipeline['id']}").json()
            return body if body["state"] != "STATE_RUNNING" else None
        done = assert_eventually(finished, timeout=300, interval=0.5)
        assert done["state"] == "STATE_SUCCEEDED", done
        view = client.get(f"/v1/jobs/{done['jobs'][-1]['id']}/result").json()
        links = [a["download_url"] for a in view["artifacts"] if a["name"] == "consolidated.xlsx"]
        assert len(links) == 1, view["artifacts"]
        workbook = httpx.get(links[0], timeout=30).content
    result = json_format.ParseDict(view["result"], job_pb2.JobResult(), ignore_unknown_fields=True).consolidate
    check_consolidation(result)
    assert check_workbook(result, workbook) > 50


def test_a_webhook_to_a_receiver_on_this_machine_gets_a_signed_delivery(stack):
    """`assay dev` allows loopback targets, so a user can try webhooks locally."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from standardwebhooks import Webhook

    received: list[tuple[dict[str, str], str]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"])).decode()
            received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with stack.client() as client:
            created = client.post("/v1/webhooks", json={
                "url": f"http://127.0.0.1:{server.server_address[1]}/hook", "event_types": ["job.succeeded"]})
            assert created.status_code == 201, created.text
            secret = created.json()["secret"]
            job = client.post("/v1/jobs", json={"analyzer": "sentiment", "inputs": {"text": "Lovely"}}).json()
            assert_eventually(lambda: any(json.loads(body)["data"]["id"] == job["id"] for _, body in received),
                              timeout=120, interval=0.2)
            headers, body = next((h, b) for h, b in received if json.loads(b)["data"]["id"] == job["id"])
            assert Webhook(secret).verify(body, headers)["type"] == "job.succeeded"
            private = client.post("/v1/webhooks", json={"url": "http://10.0.0.1/", "event_types": ["job.failed"]})
            assert private.status_code == 400 and private.json()["code"] == "WEBHOOK_TARGET_FORBIDDEN"
            client.delete(f"/v1/webhooks/{created.json()['webhook']['id']}")
    finally:
        server.shutdown()
