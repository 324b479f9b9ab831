"""Reading the audit log: a tenant's events newest first, filtered and paged (ListAuditEvents); by
action, job, actor, outcome (or refusals only), resource and request id.

Rows are only ever inserted (the store's transitions write them; migration 0007 makes UPDATE,
DELETE and TRUNCATE raise). Page tokens are the shared keyset tokens of ``assay.common.paging``
on ``(at, id)``, the bigint id carried in the token's UUID slot.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from google.protobuf import struct_pb2
from sqlalchemy import literal, select, tuple_
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine

from assay.common import paging
from assay.common.db import tenant_transaction
from assay.common.fields import parse_uuid
from assay.jobs.audit_record import OK
from assay.jobs.tables import audit_log
from assay.v1 import jobs_service_pb2


@dataclass(frozen=True)
class AuditQuery:
    page_size: int
    page_token: str
    action: str | None
    job_id: uuid.UUID | None
    actor: str | None
    outcome: str | None = None
    resource: str | None = None
    request_id: str | None = None
    refused_only: bool = False

    def filters(self) -> str:
        base = f"audit|{self.action}|{self.job_id}|{self.actor}"
        more = (self.outcome, self.resource, self.request_id, self.refused_only)
        return base if more == (None, None, None, False) else f"{base}|{'|'.join(map(str, more))}"


def audit_query(request: jobs_service_pb2.ListAuditEventsRequest) -> AuditQuery:
    return AuditQuery(
        page_size=paging.page_size(request.page_size), page_token=request.page_token,
        action=request.action or None, actor=request.actor or None,
        job_id=parse_uuid(request.job_id, "job_id") if request.job_id else None,
        outcome=request.outcome or None, resource=request.resource or None,
        request_id=request.request_id or None, refused_only=request.refused_only,
    )


async def list_events(engine: AsyncEngine, tenant: str,
                      query: AuditQuery) -> tuple[list[jobs_service_pb2.AuditEvent], str]:
    """A page of the tenant's audit events, newest first, and the next page's token ("" at the end)."""
    cursor = paging.decode(query.page_token, query.filters())
    stmt = select(audit_log).where(audit_log.c.tenant_id == tenant)
    for column, wanted in ((audit_log.c.action, query.action), (audit_log.c.job_id, query.job_id),
                           (audit_log.c.actor, query.actor), (audit_log.c.outcome, query.outcome),
                           (audit_log.c.resource, query.resource), (audit_log.c.request_id, query.request_id)):
        if wanted:
            stmt = stmt.where(column == wanted)
    if query.refused_only:
        stmt = stmt.where(audit_log.c.outcome != OK)
    if cursor is not None:
        stmt = stmt.where(tuple_(audit_log.c.at, audit_log.c.id)
                          < tuple_(literal(cursor.created_at, audit_log.c.at.type), literal(cursor.id.int)))
    stmt = stmt.order_by(audit_log.c.at.desc(), audit_log.c.id.desc()).limit(query.page_size + 1)
    async with tenant_transaction(engine, tenant) as conn:
        rows = (await conn.execute(stmt)).mappings().all()
    page, more = rows[: query.page_size], len(rows) > query.page_size
    token = ""
    if more:
        last = page[-1]
        token = paging.encode(paging.Cursor(last["at"], uuid.UUID(int=last["id"])), query.filters())
    return [_event(row) for row in page], token


def _event(row: RowMapping) -> jobs_service_pb2.AuditEvent:
    details = struct_pb2.Struct()
    details.update(row["details"])
    event = jobs_service_pb2.AuditEvent(
        id=row["id"], tenant_id=row["tenant_id"], actor=row["actor"], action=row["action"],
        job_id=str(row["job_id"] or ""), details=details, roles=row["roles"], peer=row["peer"],
        request_id=row["request_id"], resource=row["resource"], outcome=row["outcome"])
    event.time.FromDatetime(row["at"])
    return event
