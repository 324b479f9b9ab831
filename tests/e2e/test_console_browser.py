"""The web console and /docs in a real browser: headless Chromium (Debian's ``chromium``, driven by
Playwright through ``executable_path``; nothing is downloaded) against a real ``assay dev`` stack.

Screenshots of each view are written to ``build/console-screenshots/`` (``ASSAY_SCREENSHOTS``
overrides it) for a reviewer to look at.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fixtures import bankstatements
from harness.assay_dev import Stack, running_stack

pytestmark = pytest.mark.e2e

CHROMIUM = os.environ.get("ASSAY_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = Path(os.environ.get("ASSAY_SCREENSHOTS", Path(__file__).parents[2] / "build" / "console-screenshots"))
CSV = "text\nI love this, it is wonderful!\nThis is awful and I hate it.\nThe box is brown.\n"
TIMEOUT_MS = 120_000

if CHROMIUM is None:
    pytest.skip("Chromium is not installed (Debian: apt-get install chromium; make setup does it as root)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency (make setup)")
sync_api.expect.set_options(timeout=TIMEOUT_MS)  # jobs run on a shared, busy machine

# Records every EventSource the page opens and what it received, so the test can see that a stream
# delivered one event per state, ended with `end` and was closed instead of reconnecting.
RECORD_EVENT_SOURCES = """
(() => {
  const Native = window.EventSource;
  window.__sources = [];
  window.EventSource = class extends Native {
    constructor(url, options) {
      super(url, options);
      const record = { url: String(url), events: [], opened: 0 };
      window.__sources.push(record);
      this.__record = record;
      this.addEventListener("open", () => { record.opened += 1; });
      for (const type of ["job", "end"]) {
        this.addEventListener(type, (e) => record.events.push({ type, id: e.lastEventId, data: JSON.parse(e.data) }));
      }
    }
    close() { this.__record.closed = true; super.close(); }
  };
  // The highest value the upload progress bar showed.
  window.__uploadMax = 0;
  document.addEventListener("DOMContentLoaded", () => {
    const bar = document.getElementById("upload-progress");
    new MutationObserver(() => { window.__uploadMax = Math.max(window.__uploadMax, bar.value); })
      .observe(bar, { attributes: true });
  });
})();
"""


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with running_stack("assay-console-e2e-") as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        args = ["--no-sandbox"] if os.geteuid() == 0 else []  # Chromium's sandbox refuses to run as root
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any, stack: Stack) -> Iterator[Any]:
    """A page that may reach the gateway and nothing else: every other request is aborted and noted."""
    gateway = urlsplit(stack.info()["gateway_url"]).netloc
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    outside: list[str] = []

    def only_the_gateway(route: Any) -> None:
        if urlsplit(route.request.url).netloc == gateway:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_gateway)
    opened = context.new_page()
    opened.add_init_script(RECORD_EVENT_SOURCES)
    opened.outside_requests = outside
    errors: list[str] = []  # script errors and console errors (a CSP violation is one)
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    opened.errors = errors
    try:
        yield opened
    finally:
        context.close()


def shoot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_docs_and_redoc_render_offline_from_the_gateways_own_assets(page: Any, stack: Stack) -> None:
    gateway = stack.info()["gateway_url"]
    page.goto(f"{gateway}/docs")
    sync_api.expect(page.locator(".swagger-ui .info .title")).to_contain_text("Assay")
    sync_api.expect(page.locator(".opblock-summary-path").first).to_be_visible()
    shoot(page, "docs")
    page.goto(f"{gateway}/redoc")
    sync_api.expect(page.locator("h1").first).to_contain_text("Assay")
    shoot(page, "redoc")
    assert page.outside_requests == [], "nothing may come from another host (no CDN)"


def test_assay_dev_prints_the_console_link_and_allows_its_origin_by_cors(stack: Stack) -> None:
    info = stack.info()
    assert f"{info['gateway_url']}/console/#token={info['token']}" in stack.log_path.read_text()
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    with httpx.Client(base_url=info["gateway_url"], timeout=30) as client:
        own = client.options("/v1/jobs", headers={**preflight, "Origin": info["gateway_url"]})
        assert own.status_code == 200 and own.headers["access-control-allow-origin"] == info["gateway_url"]
        other = client.options("/v1/jobs", headers={**preflight, "Origin": "https://elsewhere.example"})
        assert "access-control-allow-origin" not in other.headers


def sign_in(page: Any, stack: Stack) -> None:
    """Through the link `assay dev` prints: the token travels in the fragment, which is dropped at once."""
    page.goto(f"{stack.info()['gateway_url']}/console/#token={stack.info()['token']}")
    sync_api.expect(page.locator("#workspace")).to_be_visible()
    assert "token" not in page.url, "the token does not stay in the address bar"
    assert page.evaluate("sessionStorage.getItem('assay.token')") == stack.info()["token"]


def test_sign_in_with_a_pasted_token_and_a_wrong_one_is_refused(page: Any, stack: Stack) -> None:
    page.goto(f"{stack.info()['gateway_url']}/console/")
    page.get_by_label("Bearer token").fill("not-a-token")
    page.get_by_role("button", name="Sign in").click()
    sync_api.expect(page.locator("#sign-in-error")).not_to_be_empty()
    assert page.locator("#workspace").is_hidden()
    page.get_by_label("Bearer token").fill(stack.info()["token"])
    page.get_by_role("button", name="Sign in").click()
    sync_api.expect(page.locator("#who")).to_contain_text("tenant dev")
    sync_api.expect(page.locator("#params .field").first).to_be_visible()
    unlabelled = page.evaluate("""[...document.querySelectorAll('input, select, textarea, progress')]
        .filter((e) => e.offsetParent !== null && !e.labels?.length && !e.getAttribute('aria-label'))
        .map((e) => e.id || e.outerHTML)""")
    assert unlabelled == [], "every visible control has a label (screen readers, click targets)"
    nameless = page.evaluate("[...document.querySelectorAll('button')].filter((b) => !b.textContent.trim()).length")
    assert nameless == 0
    shoot(page, "signed-in")


def test_upload_a_csv_follow_it_live_to_the_end_then_see_the_result_and_its_trace(
        page: Any, stack: Stack) -> None:
    sign_in(page, stack)
    page.get_by_label("Analyzer", exact=True).select_option("sentiment")
    sync_api.expect(page.locator("#params-text_column")).to_be_visible()  # the form comes from params_schema
    page.locator("#params-text_column").fill("text")
    dropped = page.evaluate_handle("""(text) => {
        const data = new DataTransfer();
        data.items.add(new File([text], "reviews.csv", { type: "text/csv" }));
        return data;
    }""", CSV)
    page.dispatch_event("#drop", "drop", {"dataTransfer": dropped})  # drag and drop onto the zone
    assert page.evaluate("document.getElementById('file').files[0].name") == "reviews.csv"
    shoot(page, "submit-form")
    page.get_by_role("button", name="Submit").click()

    sync_api.expect(page.locator("#job-state")).to_have_text("succeeded")
    sync_api.expect(page.locator(".sentiment table tbody tr")).to_have_count(3)
    first_row = page.locator(".sentiment table tbody tr").first
    sync_api.expect(first_row).to_contain_text("negative")  # most negative first
    assert page.evaluate("window.__uploadMax") == 100, "the upload progress bar reached 100%"
    page.get_by_role("button", name="compound").click()  # same column again: most positive first
    sync_api.expect(first_row).to_contain_text("positive")
    page.get_by_role("button", name="compound").click()
    sync_api.expect(first_row).to_contain_text("negative")
    sync_api.expect(page.locator(".chart .bar-row")).not_to_have_count(0)
    sync_api.expect(page.locator(".artifacts a")).to_have_count(1)
    shoot(page, "result-sentiment")

    job_id = page.locator("#job-title").inner_text().removeprefix("Job ").strip()
    streams = [s for s in page.evaluate("window.__sources") if f"/v1/jobs/{job_id}/events" in s["url"]]
    assert streams, "the job was followed over SSE"
    detail = streams[-1]
    assert "ticket=" in detail["url"] and stack.info()["token"] not in detail["url"], "a ticket, never the token"
    kinds = [event["type"] for event in detail["events"]]
    assert kinds[-1] == "end" and kinds.count("end") == 1, kinds
    ids = [int(event["id"]) for event in detail["events"] if event["type"] == "job"]
    assert ids == sorted(set(ids)), "no snapshot delivered twice"
    assert detail["opened"] == 1 and detail.get("closed"), "closed at `end`: no reconnection"

    page.get_by_role("button", name="Trace").click()
    sync_api.expect(page.locator(".waterfall .span-row").first).to_be_visible()
    assert page.locator(".waterfall .span-row").count() >= 3
    services = page.locator(".waterfall .span-name").all_inner_texts()
    assert any(s.startswith("assay-analysis") for s in services) and any(s.startswith("assay-jobs") for s in services)
    shoot(page, "trace")

    page.get_by_label("Filter by state").select_option("succeeded")
    page.get_by_role("button", name="Refresh").click()
    sync_api.expect(page.locator(f"#row-{job_id}")).to_contain_text("succeeded")
    shoot(page, "job-list")
    assert page.outside_requests == []
    assert page.errors == [], "no script error, no CSP violation"


def slow_reviews_csv() -> str:
    """A sentiment batch that runs long enough to be cancelled: distinct rows, since the learned model
    answers a repeated text from its cache faster than a cancel arrives."""
    return "text\n" + "".join(f"Delivery {i} was late and the box was damaged, but support was kind.\n"
                               for i in range(100_000))


def test_cancel_a_running_job_from_the_console(page: Any, stack: Stack, tmp_path: Path) -> None:
    sign_in(page, stack)
    big = tmp_path / "many.csv"
    big.write_text(slow_reviews_csv())
    page.get_by_label("Analyzer", exact=True).select_option("sentiment")
    page.locator("#file").set_input_files(str(big))
    page.get_by_role("button", name="Submit").click()
    sync_api.expect(page.locator("#job-state")).to_have_text("running")
    page.get_by_role("button", name="Cancel").click()
    sync_api.expect(page.locator("#job-state")).to_have_text("cancelled")
    shoot(page, "cancelled")


def test_a_contract_reviews_evidence_is_highlighted_in_the_document(page: Any, stack: Stack) -> None:
    text = (Path(__file__).parents[1] / "fixtures" / "contracts" / "eu_dpa.txt").read_text()
    params = {"contract_review": {"contract_type": "CONTRACT_TYPE_VENDOR_DPA", "jurisdiction": "JURISDICTION_EU"}}
    with stack.client() as client:
        job_id = client.post("/v1/jobs", json={"analyzer": "contract_review", "params": params,
                                               "inputs": {"text": text}}).json()["id"]
    sign_in(page, stack)
    page.get_by_label("Open job by id").fill(job_id)
    page.get_by_role("button", name="Open", exact=True).click()
    sync_api.expect(page.locator("#job-state")).to_have_text("succeeded")
    sync_api.expect(page.locator(".contract .document mark").first).to_be_visible()
    findings = page.locator(".findings li")
    assert findings.count() > 0
    findings.first.get_by_role("button").click()
    shoot(page, "result-contract-review")


def test_a_bank_statement_without_a_view_of_its_own_shows_its_transactions_as_a_table(
        page: Any, stack: Stack, tmp_path: Path) -> None:
    statement = bankstatements.make_statement(seed=7, transactions=12)
    csv_file = tmp_path / "march.csv"
    csv_file.write_bytes(bankstatements.render_csv(statement))
    sign_in(page, stack)
    page.get_by_label("Analyzer", exact=True).select_option("bank_statement")
    sync_api.expect(page.locator("#params-password")).to_have_attribute("type", "password")
    page.locator("#file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Submit").click()
    sync_api.expect(page.locator("#job-state")).to_have_text("succeeded")
    transactions = page.locator("table.records", has=page.locator("caption", has_text="transactions"))
    sync_api.expect(transactions.locator("tbody tr")).to_have_count(len(statement.rows))
    sync_api.expect(page.locator(".artifacts a").first).to_be_visible()  # download links
    shoot(page, "result-bank-statement")


def test_the_job_list_follows_active_jobs_live_without_a_refresh(page: Any, stack: Stack) -> None:
    sign_in(page, stack)
    with stack.client() as client:
        job_id = client.post("/v1/jobs", data={"analyzer": "sentiment"},
                             files={"file": ("many.csv", slow_reviews_csv().encode(), "text/csv")}).json()["id"]
        page.get_by_role("button", name="Refresh").click()
        row = page.locator(f"#row-{job_id}")
        sync_api.expect(row).to_be_visible()
        sync_api.expect(page.locator(f"#row-{job_id} .state")).not_to_have_text("cancelled")
        page.wait_for_function(
            "(id) => window.__sources.some((s) => s.url.includes(`/v1/jobs/${id}/events`) && s.opened)", arg=job_id)
        client.post(f"/v1/jobs/{job_id}:cancel")
    sync_api.expect(page.locator(f"#row-{job_id} .state")).to_have_text("cancelled")  # pushed over SSE
    shoot(page, "job-list-live")


def test_another_tenants_job_id_reads_not_found(page: Any, stack: Stack) -> None:
    other = stack.cli("token", "--tenant", "globex", "--roles", "user").stdout.strip()
    with stack.client() as client:
        response = client.post("/v1/jobs", json={"analyzer": "sentiment", "inputs": {"text": "fine"}},
                               headers={"Authorization": f"Bearer {other}"})
        foreign = json.loads(response.text)["id"]
    sign_in(page, stack)
    page.get_by_label("Open job by id").fill(foreign)
    page.get_by_role("button", name="Open", exact=True).click()
    sync_api.expect(page.locator("#job-error")).to_have_text(f"job {foreign} not found")
    shoot(page, "not-found")
