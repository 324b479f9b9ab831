"""Stream tickets: short-lived, single-job, read-only credentials a browser's ``EventSource`` can
put in a URL (``?ticket=``), which cannot send an ``Authorization`` header.

A ticket is a Fernet token (AES-128-CBC + HMAC-SHA256, with its creation time) sealing the job id
and the caller's bearer token under the gateway's ticket key. The URL therefore never carries the
bearer token itself, only an opaque ciphertext the gateway alone can open, and the gateway honours
a ticket solely on ``GET /v1/jobs/{job_id}/events`` of the job it names, until it expires
(``ASSAY_STREAM_TICKET_SECONDS``). The stream's upstream WatchJob call still presents the caller's
own token, so jobs applies its usual tenant and role checks: a ticket grants nothing the token did
not. Gateway replicas behind one load balancer must share ``ASSAY_STREAM_TICKET_SECRET``; without
it each process draws a random key at start (tickets then work only on the replica that issued
them, and not across a restart).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from dataclasses import dataclass
from urllib.parse import unquote

import grpc
import prometheus_client
from cryptography.fernet import Fernet, InvalidToken
from fastapi import Request
from opentelemetry import trace

from assay.gateway.problems import Problem
from assay.gateway.upstream import call_metadata

STREAM_TICKETS = prometheus_client.Counter(
    "assay_gateway_stream_tickets_total", "Stream tickets issued, and refused by reason.", ["outcome"])
TICKET_KEY_CONTEXT = b"assay gateway stream ticket v1"
"""Mixed into the key derivation, so the configured secret is never used as a key elsewhere as is."""


@dataclass(frozen=True)
class Ticket:
    """What an opened ticket grants: watching ``job_id`` with the sealed bearer ``token``."""

    job_id: str
    token: str


class TicketBox:
    """Seals and opens stream tickets with one key."""

    def __init__(self, secret: str, ttl_seconds: int) -> None:
        material = secret.encode() if secret else os.urandom(32)
        key = hashlib.sha256(TICKET_KEY_CONTEXT + material).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(key))
        self.ttl_seconds = ttl_seconds

    def seal(self, job_id: str, token: str, issued_at: int | None = None) -> str:
        """A ticket for watching ``job_id`` as the holder of ``token``, issued now (or at ``issued_at``,
        seconds since the epoch)."""
        payload = json.dumps({"job": job_id, "token": token}, separators=(",", ":")).encode()
        issued = int(time.time()) if issued_at is None else issued_at
        STREAM_TICKETS.labels(outcome="issued").inc()
        return self._fernet.encrypt_at_time(payload, issued).decode()

    def open(self, ticket: str, job_id: str) -> Ticket:
        """The ticket's grant, if it is genuine, unexpired and names ``job_id``; else a 401 problem."""
        try:
            payload = json.loads(self._fernet.decrypt(ticket.encode()))
            issued = self._fernet.extract_timestamp(ticket.encode())
        except (InvalidToken, ValueError):
            raise _refused("TICKET_INVALID", "the stream ticket is not one this gateway issued") from None
        if time.time() - issued > self.ttl_seconds:
            raise _refused("TICKET_EXPIRED", "the stream ticket has expired; "
                           "ask POST /v1/jobs/{job_id}/events:ticket for a new one")
        if payload.get("job") != job_id:
            raise _refused("TICKET_INVALID", "the stream ticket was issued for another job")
        return Ticket(job_id=job_id, token=str(payload["token"]))


def _refused(code: str, detail: str) -> Problem:
    STREAM_TICKETS.labels(outcome=code.lower()).inc()
    return Problem(401, code, detail, grpc_code=grpc.StatusCode.UNAUTHENTICATED,
                   headers={"WWW-Authenticate": 'Bearer realm="assay"'})


def ticket_box(request: Request) -> TicketBox:
    """The app's ticket box."""
    box: TicketBox = request.app.state.tickets
    return box


def stream_metadata(request: Request, job_id: str, ticket: str | None) -> tuple[tuple[str, str], ...]:
    """Upstream metadata for watching ``job_id``: from ``ticket`` when given, else the request's
    own Authorization header (a missing or bad one is a 401 either way)."""
    if ticket is None:
        return call_metadata(request)
    redact_from_server_span(ticket)
    grant = ticket_box(request).open(ticket, job_id)
    metadata = [("authorization", f"Bearer {grant.token}")]
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        metadata.append(("x-request-id", request_id))
    return tuple(metadata)


URL_ATTRIBUTES = ("http.url", "http.target", "url.full", "url.query")
"""Server span attributes that carry the request's query string (old and new HTTP conventions)."""
REDACTED = "REDACTED"


def redact_from_server_span(ticket: str) -> None:
    """Take the ticket out of the HTTP server span's URL attributes: traces outlive tickets, and a
    credential does not belong in them (the access log records the route template only)."""
    span = trace.get_current_span()
    attributes = getattr(span, "attributes", None) or {}
    for key in URL_ATTRIBUTES:
        value = attributes.get(key)
        if isinstance(value, str) and ticket in unquote(value):
            span.set_attribute(key, unquote(value).replace(ticket, REDACTED))
