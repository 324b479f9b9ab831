"""An upstream call cancelled under the gateway is an outage, not the client's cancellation (issue 20).

The 5,000-job chaos run had one submission refused for good with 499 ``CANCELLED``: an upstream
reported the call cancelled while the gateway's client was still waiting for the answer. 499 says
"client closed request", which the client takes as final; it is 503 with ``Retry-After``.
"""

from __future__ import annotations

import grpc

from assay.gateway.problems import Problem


def _error(code: grpc.StatusCode, details: str) -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details=details)


def test_an_upstream_cancellation_is_a_503_with_retry_after() -> None:
    problem = Problem.from_rpc_error(_error(grpc.StatusCode.CANCELLED, "Cancelled on the server side"))
    assert (problem.status, problem.code, problem.grpc_code) == (503, "UNAVAILABLE", grpc.StatusCode.UNAVAILABLE)
    assert problem.headers == {"Retry-After": "1"}
    assert problem.detail == "an upstream service is unavailable"


def test_other_codes_keep_their_status() -> None:
    assert Problem.from_rpc_error(_error(grpc.StatusCode.NOT_FOUND, "no such job")).status == 404
    assert Problem.from_rpc_error(_error(grpc.StatusCode.UNAVAILABLE, "connection refused")).status == 503
