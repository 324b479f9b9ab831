"""Assay's REST gateway as an adapter for the seeds' shared load generator (peer_celery/loadgen).

The load generator imports it with ``--adapter bench.assay_adapter:AssayAdapter`` when the
repository root is on ``PYTHONPATH`` (``bench/compare`` sets that up). It builds the adapter with
no arguments, so everything comes from the environment:

* ``ASSAY_TOKEN``: the bearer token; without it, the ``token`` of ``stack.json`` in
  ``ASSAY_STACK_JSON`` (a path) or ``$ASSAY_DATA_DIR/stack.json`` (default ``.assay-data``).
* ``ASSAY_BENCH_ANALYZER``: the analyzer (default ``sentiment``).
* ``ASSAY_BENCH_SENTIMENT_MODEL``: the sentiment ``model`` param, ``lexicon`` (default: VADER, as
  the peer scores) or ``learned``.

Contract (checked against the running gateway, not ARCHITECTURE.md):

* ``POST /v1/jobs`` JSON ``{"analyzer": "sentiment", "inputs": {"text": ...}}`` -> 202, body is
  the Job (``id``, ``state``), ``Location: /v1/jobs/{id}``;
* ``GET /v1/jobs/{id}`` -> the Job; ``state`` is ``STATE_QUEUED`` / ``STATE_RUNNING`` /
  ``STATE_SUCCEEDED`` / ``STATE_FAILED`` / ``STATE_CANCELLED`` (anything else is non-terminal);
* ``GET /v1/jobs/{id}/result`` -> ``{"job_id", "state", "result": {"sentiment": {"items": [...]}}}``.

The load generator treats ``completed`` / ``failed`` / ``cancelled`` as terminal, so the states
are normalised to that vocabulary here.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

try:  # the load generator's own base class when it is importable (it is when the harness runs)
    from loadgen.adapters import Adapter, SubmitError
except ImportError:  # pragma: no cover - standalone import (docs, tests without the peer copy)

    class SubmitError(Exception):  # type: ignore[no-redef]
        pass

    class Adapter:  # type: ignore[no-redef]
        name = "base"


STATES = {
    "STATE_QUEUED": "queued",
    "STATE_RUNNING": "running",
    "STATE_SUCCEEDED": "completed",
    "STATE_FAILED": "failed",
    "STATE_CANCELLED": "cancelled",
}
LABELS = {"SENTIMENT_LABEL_POSITIVE", "SENTIMENT_LABEL_NEGATIVE", "SENTIMENT_LABEL_NEUTRAL", "SENTIMENT_LABEL_MIXED"}


def stack_token() -> str | None:
    """The development token of the running ``assay dev`` (from its stack.json), if any."""
    path = os.environ.get("ASSAY_STACK_JSON") or str(
        Path(os.environ.get("ASSAY_DATA_DIR") or ".assay-data") / "stack.json"
    )
    try:
        return str(json.loads(Path(path).read_text())["token"])
    except (OSError, ValueError, KeyError):
        return None


class AssayAdapter(Adapter):
    """POST /v1/jobs -> 202 Job; GET /v1/jobs/{id} (state); GET /v1/jobs/{id}/result."""

    name = "assay"

    def __init__(self, token: str | None = None, analyzer: str | None = None) -> None:
        token = token or os.environ.get("ASSAY_TOKEN") or stack_token()
        if not token:
            raise SystemExit("assay adapter: no token (set ASSAY_TOKEN, ASSAY_STACK_JSON or ASSAY_DATA_DIR)")
        self.headers = {"authorization": f"Bearer {token}"}
        self.analyzer = analyzer or os.environ.get("ASSAY_BENCH_ANALYZER") or "sentiment"
        model = os.environ.get("ASSAY_BENCH_SENTIMENT_MODEL") or "lexicon"
        self.params = {"sentiment": {"model": f"SENTIMENT_MODEL_KIND_{model.upper()}"}}

    async def submit(self, http, text: str) -> str:
        r = await http.request(
            "POST", "/v1/jobs", headers=self.headers,
            json={"analyzer": self.analyzer, "inputs": {"text": text}, "no_cache": True,  # the peer has no cache
                  **({"params": self.params} if self.analyzer == "sentiment" else {})},
        )
        if r.status != 202:
            raise SubmitError(f"HTTP {r.status}: {r.body[:200]!r}")
        job_id = r.json().get("id") or r.headers.get("location", "").rsplit("/", 1)[-1]
        if not job_id:
            raise SubmitError("no job id in 202")
        return job_id

    async def status(self, http, job_id: str) -> str:
        r = (await http.request("GET", f"/v1/jobs/{job_id}", headers=self.headers)).raise_for_status()
        state = str(r.json().get("state", ""))
        return STATES.get(state, state.lower())

    async def result(self, http, job_id: str) -> dict:
        r = (await http.request("GET", f"/v1/jobs/{job_id}/result", headers=self.headers)).raise_for_status()
        return r.json()

    def check_result(self, body: dict) -> bool:
        items = (body.get("result") or {}).get("sentiment", {}).get("items") or []
        return bool(items) and items[0].get("label") in LABELS
