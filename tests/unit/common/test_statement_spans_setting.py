"""Database statement spans are off unless ASSAY_DATABASE_STATEMENT_SPANS turns them on (issue 21)."""

from __future__ import annotations

from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

from assay.common.config import DatabaseSettings
from assay.common.db import create_engine

URL = "postgresql+psycopg://nobody:nothing@127.0.0.1:1/none"  # never connected to


def statement_listeners(settings: DatabaseSettings) -> int:
    instrumentor = SQLAlchemyInstrumentor()  # a process-wide singleton: only its first instrument() acts
    if instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.uninstrument()
    engine = create_engine(settings)
    return len(engine.sync_engine.dispatch.before_cursor_execute)


def test_no_statement_spans_by_default() -> None:
    assert statement_listeners(DatabaseSettings(database_url=URL)) == 0


def test_the_setting_turns_statement_spans_on() -> None:
    assert statement_listeners(DatabaseSettings(database_url=URL, database_statement_spans=True)) > 0
