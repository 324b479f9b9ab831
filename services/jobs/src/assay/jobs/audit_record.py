"""Writing the audit log: one row per state-changing call, with who, from where and how it ended.

The caller (subject, roles) comes from the authenticated principal, the peer address and request
id from the call (``assay.common.interceptors.call_info``); calls made by the service itself
(the retention sweep) name a system actor. Rows are only ever inserted: migration 0007 makes
UPDATE, DELETE and TRUNCATE of ``jobs.audit_log`` raise for every role.
"""

from __future__ import annotations

import functools
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import grpc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from assay.common.auth import current_principal
from assay.common.db import tenant_transaction
from assay.common.errors import AssayError
from assay.common.interceptors import call_info

logger = logging.getLogger(__name__)

OK = "OK"
"""The outcome of a call that did what it was asked; a refusal records its reason code instead."""


@dataclass(frozen=True)
class Caller:
    """Who made a call, captured while serving it (for work done later in another task)."""

    roles: tuple[str, ...]
    peer: str
    request_id: str


def current_caller() -> Caller | None:
    """The caller of the RPC being served (None outside one)."""
    principal = current_principal.get()
    call = call_info()
    if principal is None and call is None:
        return None
    return Caller(roles=tuple(sorted(principal.roles)) if principal else (),
                  peer=call.peer if call else "", request_id=call.request_id if call else "")


@dataclass(frozen=True)
class AuditEntry:
    """What one audit row says; who and from where are filled in from the call being served."""

    tenant: str
    action: str
    resource: str
    job_id: uuid.UUID | None = None
    details: dict[str, Any] = field(default_factory=dict)
    outcome: str = OK
    actor: str | None = None
    """The subject; None: the caller's (outside a call, name a system actor such as ``system:retention``)."""
    caller: Caller | None = None
    """Roles, peer and request id captured earlier (``current_caller``); None: the call being served's."""


async def record(conn: AsyncConnection, entry: AuditEntry) -> None:
    """Append ``entry`` in the caller's transaction (it commits, or rolls back, with the change)."""
    await record_many(conn, [entry])


async def record_many(conn: AsyncConnection, entries: Sequence[AuditEntry]) -> None:
    """Append several entries in one pipelined statement, in the caller's transaction."""
    if not entries:
        return
    principal = current_principal.get()
    serving = current_caller()
    await conn.execute(_INSERT, [_values(entry, principal.subject if principal else "system", serving)
                                 for entry in entries])


def _values(entry: AuditEntry, subject: str, serving: Caller | None) -> dict[str, Any]:
    caller = entry.caller or serving
    return {
        "tenant": entry.tenant, "actor": entry.actor or subject, "roles": list(caller.roles) if caller else [],
        "action": entry.action, "job_id": entry.job_id, "resource": entry.resource,
        "details": json.dumps(entry.details), "outcome": entry.outcome,
        "peer": caller.peer if caller else "", "request_id": caller.request_id if caller else "",
    }


_INSERT = text("""
    INSERT INTO jobs.audit_log (tenant_id, actor, roles, action, job_id, resource, details, outcome, peer, request_id)
    VALUES (:tenant, :actor, :roles, :action, :job_id, :resource, CAST(:details AS jsonb), :outcome, :peer,
            :request_id)
""")


AUDITED_REFUSALS = frozenset({grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.RESOURCE_EXHAUSTED})
"""Refusals worth a row: a caller without the role, a quota reached. Rate-limit refusals are not
recorded (they happen before the call reaches the service, and a flood must not become a write flood)."""


Response = TypeVar("Response")
Method = Callable[[Any, Any, grpc.aio.ServicerContext], Awaitable[Response]]


def audit_refusals(action: str, resource: Callable[[Any], str]) -> Callable[[Method[Response]], Method[Response]]:
    """Decorate a state-changing servicer method (whose object has ``refusals: AuditLog | None``): a refusal
    by role or quota (``AUDITED_REFUSALS``) is recorded with its reason as the outcome, then raised."""
    def decorate(method: Method[Response]) -> Method[Response]:
        @functools.wraps(method)
        async def audited(self: Any, request: Any, context: grpc.aio.ServicerContext) -> Response:
            try:
                return await method(self, request, context)
            except AssayError as refusal:
                caller, log = current_principal.get(), getattr(self, "refusals", None)
                if refusal.code in AUDITED_REFUSALS and caller is not None and log is not None:
                    await log.record(AuditEntry(
                        tenant=caller.tenant, action=action, resource=resource(request), outcome=refusal.reason,
                        details={"code": refusal.code.name, "message": refusal.message[:500]}))
                raise
        return audited
    return decorate


class AuditLog:
    """Records refused calls, each in a transaction of its own (the refused change rolled back)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def record(self, entry: AuditEntry) -> None:
        try:
            async with tenant_transaction(self._engine, entry.tenant) as conn:
                await record(conn, entry)
        except Exception:  # the refusal itself must reach the caller
            logger.exception("could not record a refused call in the audit log")
