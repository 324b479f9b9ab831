"""Migration 0005 moves a password stored in a job's params before it into jobs.jobs.secret_params
(kept only for a job that can still run), run as the schema's non-superuser owner under RLS."""

from __future__ import annotations

import json
import uuid

from alembic import command
from alembic.config import Config
from harness import Postgres
from harness.jobs import fresh_database
from sqlalchemy.engine import make_url

from assay.jobs.migrations import SCRIPT_LOCATION


def _migrate(url: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["schema"] = "jobs"
    command.upgrade(config, revision)


def test_migration_0005_moves_stored_passwords_out_of_params(postgres: Postgres) -> None:
    url = fresh_database(postgres, "jmig")
    _migrate(url, "0004")
    queued, ended = uuid.uuid4(), uuid.uuid4()
    params = json.dumps({"bank_statement": {"password": "old-PW", "bank_hint": "x"}})
    with postgres.connect(make_url(url).database) as conn:
        for job_id, state in ((queued, "QUEUED"), (ended, "SUCCEEDED")):
            conn.execute("INSERT INTO jobs.jobs (id, tenant_id, created_by, analyzer, params, inputs, state, "
                         "max_attempts, priority, trace_id) VALUES (%s, 'acme', 'alice', 'bank_statement', %s, "
                         "'{}', %s, 3, 0, '')", (job_id, params, state))
    _migrate(url, "head")
    with postgres.connect(make_url(url).database) as conn:
        rows = dict(conn.execute("SELECT id, jsonb_build_array(params, secret_params)::text FROM jobs.jobs").fetchall())
    assert json.loads(rows[queued]) == [{"bank_statement": {"bank_hint": "x"}},
                                        {"bank_statement": {"password": "old-PW"}}]
    assert json.loads(rows[ended]) == [{"bank_statement": {"bank_hint": "x"}}, None]
