"""What the gateway refuses at the door, in the REST API's own words: oversized and deeply nested
JSON, bad params named as the request spelled them, and credentials that are not a bearer token."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
from integration.gateway_fixtures import Gateway, gateway_settings

from assay.gateway.app import create_app

PROBLEM = "application/problem+json"
JSON_CAP = 10_000
PIECE = 1_000


def capped(gw: Gateway) -> httpx.AsyncClient:
    return gw.client_for(create_app(gateway_settings(max_json_bytes=JSON_CAP), gw.channels))


class CountingBody:
    """A request body streamed in ``PIECE``-byte pieces that counts how many the server pulled."""

    def __init__(self, total: int) -> None:
        text = "x" * total
        self.body = json.dumps({"analyzer": "sentiment", "inputs": {"text": text}}).encode()
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for offset in range(0, len(self.body), PIECE):
            self.pulled += 1
            yield self.body[offset:offset + PIECE]


async def test_a_json_body_declaring_more_than_the_cap_is_413_before_any_of_it_is_read(gateway):
    body = CountingBody(100 * JSON_CAP)
    response = await capped(gateway).post("/v1/jobs", content=body, headers={
        **gateway.auth(), "Content-Type": "application/json", "Content-Length": str(len(body.body))})
    assert response.status_code == 413, response.text
    problem = response.json()
    assert response.headers["content-type"] == PROBLEM
    assert problem["code"] == "BODY_TOO_LARGE" and problem["grpc_code"] == "RESOURCE_EXHAUSTED"
    assert str(JSON_CAP) in problem["detail"]
    assert body.pulled <= 1, f"the gateway read {body.pulled} pieces of a body it had to refuse"


async def test_a_streamed_json_body_is_refused_with_413_as_soon_as_it_passes_the_cap(gateway):
    body = CountingBody(100 * JSON_CAP)  # no Content-Length: sent chunked
    response = await capped(gateway).post("/v1/jobs", content=body, headers={
        **gateway.auth(), "Content-Type": "application/json"})
    assert response.status_code == 413 and response.json()["code"] == "BODY_TOO_LARGE"
    assert body.pulled <= JSON_CAP // PIECE + 1, f"read {body.pulled} pieces: more than the cap"


async def test_a_json_body_under_the_cap_is_accepted(gateway):
    body = CountingBody(200)
    response = await capped(gateway).post("/v1/jobs", content=body.body, headers={
        **gateway.auth(), "Content-Type": "application/json"})
    assert response.status_code == 202, response.text


async def test_a_json_body_nested_100000_deep_is_a_400_problem_not_a_500(gateway):
    from assay.gateway.json_body import MAX_DEPTH

    for deep in (b"[" * 100_000 + b"]" * 100_000,
                 b'{"analyzer": "sentiment", "params": ' + b'{"a": ' * 100_000 + b"1" + b"}" * 100_001):
        response = await gateway.client.post("/v1/jobs", content=deep, headers={
            **gateway.auth(), "Content-Type": "application/json"})
        assert response.status_code == 400, response.text[:200]
        problem = response.json()
        assert problem["violations"] == [{"field": "body", "description": problem["detail"]}]
        assert str(MAX_DEPTH) in problem["detail"]


async def test_brackets_inside_strings_do_not_count_as_nesting(gateway):
    text = '[[[{{{ "quoted \\" [[[ ' * 200
    params = {"contract_review": {"contract_type": "CONTRACT_TYPE_MSA", "jurisdiction": "JURISDICTION_EU"}}
    response = await gateway.client.post("/v1/jobs", headers=gateway.auth(), json={
        "analyzer": "contract_review", "params": params, "inputs": {"text": text}})
    assert response.status_code == 202, response.text


async def test_a_mistyped_param_is_named_as_the_request_spelled_it(gateway):
    response = await gateway.client.post("/v1/jobs", headers=gateway.auth(), json={
        "analyzer": "sentiment", "inputs": {"text": "hi"}, "params": {"sentiment": {"text_column": 5}}})
    assert response.status_code == 400
    problem = response.json()
    assert [v["field"] for v in problem["violations"]] == ["params.sentiment.text_column"]
    assert "textColumn" not in response.text and problem["detail"].startswith("params.sentiment.text_column: ")


async def test_an_unknown_param_is_named_and_the_known_ones_are_listed_in_snake_case(gateway):
    response = await gateway.client.post("/v1/jobs", headers=gateway.auth(), json={
        "analyzer": "sentiment", "inputs": {"text": "hi"}, "params": {"sentiment": {"text_colum": "review"}}})
    assert response.status_code == 400
    [violation] = response.json()["violations"]
    assert violation["field"] == "params.sentiment.text_colum"
    assert "text_column" in violation["description"] and "textColumn" not in response.text


async def test_a_multipart_params_field_is_checked_the_same_way(gateway):
    for params, field in ((b'{"sentiment": {"text_column": 5}}', "params.sentiment.text_column"),
                          (b"[" * 10_000 + b"]" * 10_000, "params")):
        boundary = "doorboundary7"
        body = (f'--{boundary}\r\nContent-Disposition: form-data; name="analyzer"\r\n\r\nsentiment\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="params"\r\n\r\n').encode() + params + (
                f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n'
                f'Content-Type: text/plain\r\n\r\nhello\r\n--{boundary}--\r\n').encode()
        response = await gateway.client.post("/v1/jobs", content=body, headers={
            **gateway.auth(), "Content-Type": f"multipart/form-data; boundary={boundary}"})
        assert response.status_code == 400, response.text[:300]
        assert [v["field"] for v in response.json()["violations"]] == [field]
        assert "textColumn" not in response.text


async def test_basic_credentials_are_told_about_the_authorization_header_not_grpc_metadata(gateway):
    for path in ("/v1/jobs", "/v1/files", "/v1/analyzers"):
        response = await gateway.client.get(path, headers={"Authorization": "Basic YWxpY2U6c2VjcmV0"})
        assert response.status_code == 401 and response.headers["content-type"] == PROBLEM
        problem = response.json()
        assert problem["grpc_code"] == "UNAUTHENTICATED"
        assert "Authorization header" in problem["detail"] and "Bearer" in problem["detail"], problem
        assert "metadata" not in problem["detail"]
        assert response.headers["www-authenticate"].startswith("Bearer")
    missing = await gateway.client.get("/v1/jobs")
    assert missing.status_code == 401 and "Authorization: Bearer" in missing.json()["detail"]


async def test_a_multipart_upload_declaring_more_than_the_cap_is_413_before_any_of_it_is_read(gateway):
    app = create_app(gateway_settings(max_upload_bytes=JSON_CAP), gateway.channels)
    boundary = "doorboundary8"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n'
            f"Content-Type: text/plain\r\n\r\n").encode()
    body = CountingBody(0)
    body.body = head + b"x" * (10 * JSON_CAP) + f"\r\n--{boundary}--\r\n".encode()
    response = await gateway.client_for(app).post("/v1/files", content=body, headers={
        **gateway.auth(), "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Content-Length": str(len(body.body))})
    assert response.status_code == 413 and response.json()["code"] == "UPLOAD_TOO_LARGE"
    assert f"{JSON_CAP} byte limit" in response.json()["detail"]
    assert body.pulled <= 1, f"the gateway read {body.pulled} pieces of a body it had to refuse"
