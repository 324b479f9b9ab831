"""Job capabilities: what lets a worker act on one job of one tenant.

Jobs signs a capability into every work message it writes (a JWT, HS256 with
ASSAY_JOB_CAPABILITY_SECRET, binding the job id, its tenant and the files the job may read — its
input files and its dependencies' artifacts, all known when the work message is written — with an
expiry). A worker presents
it with every worker RPC (StartJob, Heartbeat, CompleteJob, FailJob, ResolveInputs,
RegisterArtifact), and the service checks it names the job and tenant the request is about before
touching any data: a worker credential alone reaches nothing, and a capability for one job reaches
no other job and no file but the ones it lists.

A work message can outlive its capability (a backlog, or no worker for the analyzer, longer than
ASSAY_JOB_CAPABILITY_SECONDS). StartJob therefore accepts a capability that is authentic and names
the job and tenant but has only expired (:meth:`JobCapabilities.renew`), and when it admits the
attempt answers a fresh capability with the same files, which the worker uses for the rest of the
attempt: an expired capability can start nothing but the attempt its work message was written for.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

import jwt

from assay.common.config import CommonSettings
from assay.common.errors import PermissionDenied
from assay.common.metrics import WORKER_REFUSALS

CAPABILITY_AUDIENCE = "assay-job"
"""The ``aud`` of a job capability (no token of another kind carries it)."""


class JobCapabilities:
    """Issues (jobs) and verifies (jobs, ingest) job capabilities."""

    def __init__(self, settings: CommonSettings) -> None:
        if not settings.job_capability_secret:
            raise ValueError("set ASSAY_JOB_CAPABILITY_SECRET (the key of job capabilities)")
        if settings.job_capability_secret in (settings.jwt_hs256_secret, settings.worker_secret):
            raise ValueError("ASSAY_JOB_CAPABILITY_SECRET must differ from the token and worker keys")
        self._key = settings.job_capability_secret
        self._ttl = settings.job_capability_seconds

    def issue(self, tenant: str, job_id: str, files: Iterable[str] = ()) -> str:
        """A capability for ``job_id`` of ``tenant`` that may read ``files`` (ids), valid for the
        configured lifetime."""
        now = int(time.time())
        claims = {"aud": CAPABILITY_AUDIENCE, "sub": job_id, "tenant": tenant, "iat": now, "exp": now + self._ttl,
                  "files": sorted(set(files))}
        return jwt.encode(claims, self._key, algorithm="HS256")

    def renew(self, capability: str, *, tenant: str, job_id: str) -> str:
        """``""`` when ``capability`` is valid for this job and tenant; a fresh capability with the
        same files when it is authentic and names them but has expired; PERMISSION_DENIED otherwise
        (as :meth:`verify`)."""
        claims = self._claims(capability, tenant=tenant, job_id=job_id, expired_ok=True)
        if claims["exp"] > time.time():
            return ""
        return self.issue(tenant, job_id, claims.get("files", []))

    def verify(self, capability: str, *, tenant: str, job_id: str, reads: Sequence[str] = ()) -> None:
        """PERMISSION_DENIED unless ``capability`` is valid, names exactly this job and tenant, and
        lists every file id in ``reads`` (canonical UUID text).

        Decided from the capability alone, before any lookup: it says nothing about whether the job,
        the tenant or a file exists."""
        readable = self._claims(capability, tenant=tenant, job_id=job_id, expired_ok=False).get("files", [])
        outside = [file_id for file_id in reads if file_id not in readable]
        if outside:
            raise _refused("CAPABILITY_FILE_OUTSIDE",
                           f"file {outside[0]} is neither an input of this job nor an artifact of its dependencies")

    def _claims(self, capability: str, *, tenant: str, job_id: str, expired_ok: bool) -> dict[str, Any]:
        """The claims of an authentic capability for exactly this job and tenant (expired too when
        ``expired_ok``)."""
        if not capability:
            raise _refused("CAPABILITY_REQUIRED", "worker calls must carry the work message's capability")
        try:
            claims: dict[str, Any] = jwt.decode(
                capability, self._key, algorithms=["HS256"], audience=CAPABILITY_AUDIENCE,
                options={"require": ["exp", "sub", "tenant"], "verify_exp": not expired_ok})
        except jwt.ExpiredSignatureError:
            raise _refused("CAPABILITY_EXPIRED", "the job capability has expired") from None
        except jwt.PyJWTError as exc:
            raise _refused("CAPABILITY_INVALID", f"the job capability is invalid: {exc}") from None
        if claims["sub"] != job_id or claims["tenant"] != tenant:
            raise _refused("CAPABILITY_MISMATCH", "the job capability is for another job or tenant")
        return claims


def _refused(reason: str, message: str) -> PermissionDenied:
    WORKER_REFUSALS.labels(reason=reason).inc()
    return PermissionDenied(reason, message)
