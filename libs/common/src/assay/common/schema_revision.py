"""Deployment skew: a service whose database lacks a migration its code needs.

New code started against a schema that was not migrated yet fails its statements with
``undefined_column`` / ``undefined_table`` (SQLSTATE class 42, "undefined" codes). That is not the
request's fault and not a bug of the service: it is UNAVAILABLE ``DATABASE_SCHEMA_OUTDATED`` (the
gateway answers 503 with ``Retry-After``) until the migrations have run, and readiness is
NOT_SERVING meanwhile. :class:`SchemaRevision` compares the schema's Alembic revision with the
heads the service's migrations know (the readiness probe reads it instead of ``SELECT 1``: still
one round trip); a database *ahead* of the code (a revision it does not know, as during a rollout
after the migration ran) is fine, the migrations being additive.
"""

from __future__ import annotations

import logging
from pathlib import Path

import psycopg
from alembic.config import Config
from alembic.script import ScriptDirectory
from psycopg import errors as pg_errors
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from assay.common.errors import Unavailable

logger = logging.getLogger(__name__)

DATABASE_SCHEMA_OUTDATED = "DATABASE_SCHEMA_OUTDATED"
"""The ErrorInfo reason of an RPC refused because the database lacks a migration."""

_UNDEFINED = (pg_errors.UndefinedColumn, pg_errors.UndefinedTable, pg_errors.UndefinedFunction,
              pg_errors.UndefinedObject)
_GENERIC = "the database schema lacks a migration this build of the service needs; retry once the migrations have run"

_last_finding: str | None = None
"""What this process's readiness probe last found wrong with its schema (one service per process)."""


def is_schema_outdated(error: BaseException) -> bool:
    """True for a statement that names a column, table, function or type the database lacks."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, _UNDEFINED):
            return True
        if isinstance(current, sa_exc.DBAPIError) and isinstance(current.orig, _UNDEFINED):
            return True
        current = current.__cause__
    return False


def schema_outdated(error: BaseException | None = None) -> Unavailable:
    """The domain error sent instead of the driver's; the probe's finding when it has one."""
    if error is not None:
        logger.error("statement refused by an outdated database schema", extra={"error": _primary(error)})
    return Unavailable(DATABASE_SCHEMA_OUTDATED, _last_finding or _GENERIC)


def _primary(error: BaseException) -> str:
    orig = error.orig if isinstance(error, sa_exc.DBAPIError) else error
    if isinstance(orig, psycopg.Error) and orig.diag.message_primary:
        return orig.diag.message_primary
    return str(orig).splitlines()[0] if str(orig) else repr(orig)


class SchemaRevision:
    """The revisions a service's migrations know, and a check of the database's against them."""

    def __init__(self, script_location: Path, schema: str, service: str) -> None:
        config = Config()
        config.set_main_option("script_location", str(script_location))
        scripts = ScriptDirectory.from_config(config)
        self.heads = frozenset(scripts.get_heads())
        self.known = frozenset(revision.revision for revision in scripts.walk_revisions())
        self.schema = schema
        self.service = service
        self._query = text(f'SELECT version_num FROM "{schema}".alembic_version')

    def finding(self, revisions: set[str]) -> str | None:
        """None when ``revisions`` (the database's) are this code's heads or newer; else what is wrong."""
        if revisions & self.heads or (revisions and not revisions & self.known):
            return None  # current, or ahead of this code (a revision it does not know)
        found = ", ".join(sorted(revisions)) or "none"
        return (f"the database's {self.schema} schema is at revision {found}, this build of {self.service} needs "
                f"{', '.join(sorted(self.heads))}: a migration has not run; retry once it has")

    async def check(self, conn: AsyncConnection) -> str | None:
        """Read the schema's revision; the finding (also kept for refusals) or None."""
        global _last_finding
        try:
            revisions = {str(row[0]) for row in await conn.execute(self._query)}
        except sa_exc.ProgrammingError as exc:
            if not is_schema_outdated(exc):
                raise
            revisions = set()  # no version table: no migration ever ran
        finding = self.finding(revisions)
        if finding != _last_finding and finding is not None:
            logger.error("database schema outdated: NOT_SERVING", extra={"finding": finding})
        _last_finding = finding
        return finding
