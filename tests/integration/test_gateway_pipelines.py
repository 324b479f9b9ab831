"""/v1/pipelines over the gateway and a real jobs service."""

from __future__ import annotations

from integration.gateway_fixtures import Gateway


def step(key: str, *after: str, text: str = "I love it") -> dict:
    return {"key": key, "job": {"analyzer": "sentiment", "inputs": {"text": text}}, "after": list(after)}


async def test_a_pipeline_is_created_read_and_cancelled_over_rest(gateway: Gateway):
    created = await gateway.client.post("/v1/pipelines", json={"jobs": [step("a"), step("b", "a")]},
                                        headers=gateway.auth())
    assert created.status_code == 201, created.text
    body = created.json()
    assert created.headers["Location"] == f"/v1/pipelines/{body['id']}"
    assert body["state"] == "STATE_RUNNING"
    assert [job["state"] for job in body["jobs"]] == ["STATE_QUEUED", "STATE_WAITING"]
    assert body["jobs"][1]["inputs"]["jobs"] == [body["jobs"][0]["id"]]
    fetched = await gateway.client.get(f"/v1/pipelines/{body['id']}", headers=gateway.auth())
    assert fetched.status_code == 200 and [j["id"] for j in fetched.json()["jobs"]] == [j["id"] for j in body["jobs"]]
    other = await gateway.client.get(f"/v1/pipelines/{body['id']}", headers=gateway.auth(tenant="globex"))
    assert other.status_code == 404
    cancelled = await gateway.client.post(f"/v1/pipelines/{body['id']}:cancel", headers=gateway.auth())
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "STATE_CANCELLED"


async def test_a_bad_pipeline_is_a_400_problem_naming_every_field(gateway: Gateway):
    refused = await gateway.client.post("/v1/pipelines", json={"jobs": [step("a", "later"), step("later", text="")]},
                                        headers=gateway.auth())
    assert refused.status_code == 400
    fields = {violation["field"] for violation in refused.json()["violations"]}
    assert {"jobs[0].after[0]", "jobs[1].job.inputs"} <= fields
    malformed = await gateway.client.post("/v1/pipelines", json={"jobs": "nope"}, headers=gateway.auth())
    assert malformed.status_code == 400
