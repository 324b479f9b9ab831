"""Worker credentials and job capabilities (issue 20 item 3): the keys, what verifies where, expiry.

The services' refusals of every worker RPC are in tests/integration/test_worker_credentials.py;
these are the pieces: a tenant token never verifies as a worker credential (nor the reverse), no
tenant token carries the worker role, a capability binds one job of one tenant and expires, the keys
must differ, and ``assay token`` cannot mint a worker credential.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import jwt
import pytest
from prometheus_client import REGISTRY

from assay.cli.__main__ import EXIT_USAGE, main
from assay.common.auth import WORKER, TokenVerifier, WorkerVerifier, mint_token, mint_worker_credential
from assay.common.capabilities import JobCapabilities
from assay.common.config import CommonSettings
from assay.common.errors import PermissionDenied, Unauthenticated

SETTINGS = CommonSettings(jwt_hs256_secret="tenant-key-0123456789abcdef0123456789",
                          worker_secret="worker-key-0123456789abcdef0123456789",
                          job_capability_secret="capability-key-0123456789abcdef01234")
JOB = "4f1c0a52-0000-4000-8000-000000000000"


def test_a_tenant_token_listing_the_worker_role_is_no_worker_credential() -> None:
    token = mint_token(SETTINGS, subject="mallory", tenant="globex", roles=["worker", "admin"])
    with pytest.raises(Unauthenticated) as refused:
        WorkerVerifier(SETTINGS).verify(token)
    assert refused.value.reason == "WORKER_CREDENTIAL_REQUIRED"
    # As a tenant token it is valid, but the worker role is not one a tenant token can carry.
    assert TokenVerifier(SETTINGS).verify(token).roles == frozenset({"admin"})
    # Not even with the worker audience, if it is signed with the tenant-token key.
    forged = jwt.encode({"sub": "mallory", "aud": "assay-worker", "iss": "assay", "exp": time.time() + 60},
                        SETTINGS.jwt_hs256_secret, algorithm="HS256")
    with pytest.raises(Unauthenticated):
        WorkerVerifier(SETTINGS).verify(forged)


def test_a_worker_credential_verifies_as_a_worker_and_never_as_a_tenant_token() -> None:
    credential = mint_worker_credential(SETTINGS, subject="service:analysis")
    caller = WorkerVerifier(SETTINGS).verify(credential)
    assert (caller.subject, caller.roles) == ("service:analysis", frozenset({WORKER}))
    with pytest.raises(Unauthenticated):
        TokenVerifier(SETTINGS).verify(credential)


@pytest.mark.parametrize("settings", [
    CommonSettings(jwt_hs256_secret="same-key-0123456789", worker_secret="same-key-0123456789"),
    CommonSettings(jwt_hs256_secret="tenant-key-0123456789"),
])
def test_the_worker_key_must_be_set_and_differ_from_the_tenant_token_key(settings: CommonSettings) -> None:
    with pytest.raises(ValueError, match="ASSAY_WORKER_SECRET"):
        WorkerVerifier(settings)
    with pytest.raises(ValueError, match="ASSAY_WORKER_SECRET"):
        mint_worker_credential(settings, subject="service:analysis")


def test_the_capability_key_must_be_set_and_differ_from_the_other_keys() -> None:
    with pytest.raises(ValueError, match="ASSAY_JOB_CAPABILITY_SECRET"):
        JobCapabilities(CommonSettings(worker_secret="w" * 32))
    with pytest.raises(ValueError, match="must differ"):
        JobCapabilities(CommonSettings(worker_secret="w" * 32, job_capability_secret="w" * 32))


def refusals(reason: str) -> float:
    return REGISTRY.get_sample_value("assay_worker_refusals_total", {"reason": reason}) or 0.0


def test_a_capability_binds_one_job_of_one_tenant_and_each_refusal_is_counted() -> None:
    capabilities = JobCapabilities(SETTINGS)
    capability = capabilities.issue("acme", JOB)
    capabilities.verify(capability, tenant="acme", job_id=JOB)
    before = refusals("CAPABILITY_MISMATCH")
    for tenant, job in (("globex", JOB), ("acme", "5f1c0a52-0000-4000-8000-000000000000")):
        with pytest.raises(PermissionDenied) as refused:
            capabilities.verify(capability, tenant=tenant, job_id=job)
        assert refused.value.reason == "CAPABILITY_MISMATCH"
    assert refusals("CAPABILITY_MISMATCH") == before + 2


def test_an_expired_capability_is_refused() -> None:
    expired = jwt.encode({"aud": "assay-job", "sub": JOB, "tenant": "acme", "exp": int(time.time()) - 5},
                         SETTINGS.job_capability_secret, algorithm="HS256")
    with pytest.raises(PermissionDenied) as refused:
        JobCapabilities(SETTINGS).verify(expired, tenant="acme", job_id=JOB)
    assert refused.value.reason == "CAPABILITY_EXPIRED"


def test_assay_token_cannot_mint_a_worker_credential(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "secrets.json").write_text(json.dumps({"jwt_secret": SETTINGS.jwt_hs256_secret}))
    assert main(["token", "--data-dir", str(tmp_path), "--tenant", "globex", "--roles", "worker"]) == EXIT_USAGE
    assert "unknown role(s) worker" in capsys.readouterr().err
