"""Opaque keyset page tokens (AIP-158) bound to the filter they were issued for.

Listings are newest first on ``(created_at, id)``; a token names the last item of a page.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, literal, tuple_

from assay.common.errors import invalid_field

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class Cursor:
    """The last item of a page: listing continues strictly after it (newest first)."""

    created_at: datetime
    id: uuid.UUID


def page_size(requested: int) -> int:
    """Clamp a requested page size; negative sizes are refused."""
    if requested < 0:
        raise invalid_field("page_size", "must not be negative")
    return DEFAULT_PAGE_SIZE if requested == 0 else min(requested, MAX_PAGE_SIZE)


def _fingerprint(filters: str) -> str:
    return hashlib.sha256(filters.encode()).hexdigest()[:16]


def encode(cursor: Cursor, filters: str) -> str:
    """A token for the page after ``cursor`` under ``filters``."""
    raw = json.dumps({"t": cursor.created_at.isoformat(), "i": str(cursor.id), "f": _fingerprint(filters)})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(token: str, filters: str) -> Cursor | None:
    """The cursor in ``token``; refuses tokens that are malformed or issued for other filters."""
    if not token:
        return None
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        cursor = Cursor(datetime.fromisoformat(raw["t"]), uuid.UUID(raw["i"]))
        matches = raw["f"] == _fingerprint(filters)
    except (ValueError, KeyError, TypeError):
        raise invalid_field("page_token", "is not a token this service issued") from None
    if not matches:
        raise invalid_field("page_token", "was issued for different filters")
    return cursor


def after(created_at: ColumnElement[datetime], id_: ColumnElement[uuid.UUID], cursor: Cursor) -> ColumnElement[bool]:
    """The keyset condition: rows strictly after ``cursor`` in newest-first order."""
    return tuple_(created_at, id_) < tuple_(literal(cursor.created_at, created_at.type), literal(cursor.id, id_.type))
