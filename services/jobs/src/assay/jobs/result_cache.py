"""The result cache: a new job identical to a succeeded one of its tenant is answered from it at once.

Identical means the same analyzer, analyzer version, params and input content: the job's
``cache_key`` is the sha256 of the analyzer, its params (canonical JSON) and its inputs' content —
the sha256 and media type ingest recorded for each input file, in order, or the sha256 of the inline
text — and a source must have SUCCEEDED on the analyzer version the spec names today
(``assay.common.analyzers``: the version the workers run and record at StartJob), so a new version
invalidates every older entry. No key (never cached): ``CreateJobRequest.no_cache``, a job with
dependencies (``inputs.jobs``: their results are inputs too), one with secret params (a password
is not hashed into a key), and an analyzer whose work is a side effect (``AnalyzerSpec.cacheable``).

A hit inserts the job SUCCEEDED in the create transaction: the source's result (its input file ids
replaced by the new job's) and its artifacts shared by reference (deleting either job keeps the
artifacts while the other references them: ``deletion.py``), ``cached_from`` naming the job that
ran (an answer from an answered job names that one's source).
The source is read ``FOR SHARE``: a deletion marking it (``FOR UPDATE``) goes before or after,
and a source marked for deletion never answers.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import prometheus_client
from opentelemetry import trace
from sqlalchemy import RowMapping, text
from sqlalchemy.ext.asyncio import AsyncConnection

from assay.common.analyzers import SPECS
from assay.jobs import secret_params
from assay.v1 import ingest_service_pb2, jobs_service_pb2

if TYPE_CHECKING:
    from assay.jobs.store import NewJob

CACHE_ANSWERS = prometheus_client.Counter(
    "assay_jobs_cache_answers_total", "CreateJob calls answered from a succeeded job's result (result cache), "
    "by analyzer.", ["analyzer"])


def with_cache_key(new: NewJob, request: jobs_service_pb2.CreateJobRequest,
                   files: Sequence[ingest_service_pb2.File]) -> NewJob:
    """``new`` with its cache key (None when the job must not be answered from, or be, a cached result)."""
    spec = SPECS.get(new.analyzer)
    if spec is None or not spec.cacheable or new.dependencies or secret_params.split(new.params)[1] is not None:
        return new
    content: dict[str, Any] = {"analyzer": new.analyzer, "params": new.params}
    if request.inputs.file_ids:
        by_id = {file.id: file for file in files}
        if any(file_id not in by_id for file_id in request.inputs.file_ids):
            return new
        content["files"] = [[by_id[file_id].sha256, by_id[file_id].media_type] for file_id in request.inputs.file_ids]
    else:
        content["text"] = hashlib.sha256(request.inputs.text.encode()).hexdigest()
    key = hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return dataclasses.replace(new, cache_key=key, use_cache=not request.no_cache)


async def cached_answer(conn: AsyncConnection, tenant: str, new: NewJob) -> RowMapping | None:
    """The succeeded job of ``tenant`` that answers ``new`` (locked FOR SHARE), if any."""
    span = trace.get_current_span()
    if new.cache_key is None or not new.use_cache:
        return None
    source = (await conn.execute(_SOURCE, {"tenant": tenant, "key": new.cache_key,
                                           "version": SPECS[new.analyzer].version})).mappings().one_or_none()
    span.set_attribute("assay.result_cache.hit", source is not None)
    if source is not None:
        span.set_attribute("assay.result_cache.source", str(source["id"]))
        CACHE_ANSWERS.labels(analyzer=new.analyzer).inc()
    return source


async def answerable(conn: AsyncConnection, tenant: str, news: Sequence[NewJob]) -> set[int]:
    """Which of ``news`` (positions) a succeeded job could answer now: one statement for a group-committed
    batch, whose answered jobs are then created one by one (``cached_answer`` locks the source)."""
    usable = [(index, new) for index, new in enumerate(news) if new.cache_key is not None and new.use_cache]
    if not usable:
        return set()
    found = set((await conn.execute(_ANSWERABLE, {
        "tenant": tenant, "keys": [new.cache_key for _, new in usable],
        "versions": [SPECS[new.analyzer].version for _, new in usable]})).scalars())
    return {index for index, new in usable if new.cache_key in found}


async def insert_answered(conn: AsyncConnection, values: Mapping[str, Any], source: RowMapping,
                          new: NewJob) -> RowMapping | None:
    """Insert the job SUCCEEDED with the source's result and artifacts (``values``: the plain insert's
    parameters); None when its request_id is taken."""
    renames = dict(zip(source["inputs"].get("file_ids", []), new.inputs.get("file_ids", []), strict=False))
    result = _rename(source["result"], renames) if renames else source["result"]
    return (await conn.execute(_INSERT_ANSWERED, {
        **values, "result": json.dumps(result), "artifacts": json.dumps(source["artifacts"]),
        "version": source["analyzer_version"], "source": source["cached_from"] or source["id"],
    })).mappings().one_or_none()


def _rename(value: Any, renames: dict[str, str]) -> Any:
    if isinstance(value, str):
        return renames.get(value, value)
    if isinstance(value, list):
        return [_rename(item, renames) for item in value]
    if isinstance(value, dict):
        return {key: _rename(item, renames) for key, item in value.items()}
    return value


_SOURCE = text("""
    SELECT id, result, artifacts, inputs, analyzer_version, cached_from FROM jobs.jobs
    WHERE tenant_id = :tenant AND cache_key = :key AND state = 'SUCCEEDED' AND deleting_at IS NULL
      AND analyzer_version = :version
    ORDER BY ended_at DESC LIMIT 1
    FOR SHARE
""")
_INSERT_ANSWERED = text("""
    INSERT INTO jobs.jobs (id, tenant_id, created_by, analyzer, params, secret_params, inputs, state, max_attempts,
                           priority, request_id, request_hash, trace_id, pipeline_id, pipeline_index, cache_key,
                           analyzer_version, progress, result, artifacts, started_at, ended_at, cached_from)
    VALUES (:id, :tenant, :actor, :analyzer, CAST(:params AS jsonb), CAST(:secret_params AS jsonb),
            CAST(:inputs AS jsonb), 'SUCCEEDED', :max_attempts, :priority, :request_id, :request_hash, :trace_id,
            :pipeline_id, :pipeline_index, :cache_key, :version, 100, CAST(:result AS jsonb),
            CAST(:artifacts AS jsonb), now(), now(), :source)
    ON CONFLICT (tenant_id, request_id) DO NOTHING
    RETURNING *
""")
_ANSWERABLE = text("""
    SELECT DISTINCT j.cache_key FROM jobs.jobs j
    JOIN unnest(CAST(:keys AS text[]), CAST(:versions AS text[])) AS k(key, version)
      ON j.cache_key = k.key AND j.analyzer_version = k.version
    WHERE j.tenant_id = :tenant AND j.state = 'SUCCEEDED' AND j.deleting_at IS NULL
""")
