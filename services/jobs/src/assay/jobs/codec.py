"""Translation between ``jobs.jobs`` rows and ``assay.v1.Job`` messages."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message

from assay.common.byte_cache import ByteLRU
from assay.common.job_states import STATE_VALUES
from assay.v1 import job_pb2


def to_json(message: Any) -> dict[str, Any]:
    """A proto message as JSON for a JSONB column (proto field names, enums as names)."""
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


class JobRows:
    """Builds ``Job`` messages from ``jobs.jobs`` rows, memoising the parse of their JSONB values."""

    MAX_BYTES = 16 * 1024 * 1024
    """Budget of the memo: JSON text and wire form of each value it holds."""
    MAX_CHARS = 16384
    """Larger values are parsed every time (one result must not push out every params entry)."""

    def __init__(self) -> None:
        self._parsed: ByteLRU[tuple[str, str], tuple[str, bytes]] = ByteLRU(
            "jobs_json_memo", self.MAX_BYTES, lambda value: len(value[0]) + len(value[1]))
        """(message, JSON text of a JSONB value) → (that text, the wire form of the message
        ``ParseDict`` makes of it); the text is the key's own string, counted once."""

    def job(self, row: Mapping[Any, Any]) -> job_pb2.Job:
        """Build the API message from a full ``jobs.jobs`` row."""
        job = job_pb2.Job(
            id=str(row["id"]),
            tenant_id=row["tenant_id"],
            created_by=row["created_by"],
            analyzer=row["analyzer"],
            analyzer_version=row["analyzer_version"],
            state=STATE_VALUES[row["state"]],
            progress=row["progress"],
            attempt=row["attempt"],
            max_attempts=row["max_attempts"],
            priority=row["priority"],
            request_id=row["request_id"] or "",
            cancel_requested=row["cancel_requested"],
            trace_id=row["trace_id"],
            pipeline_id=str(row.get("pipeline_id") or ""),
            event_sequence=row.get("event_seq") or 0,
            cached_from=str(row.get("cached_from") or ""),
        )
        self._merge_json(row["params"], job.params)
        self._merge_json(row["inputs"], job.inputs)
        if row["result"] is not None:
            self._merge_json(row["result"], job.result)
        if row["error"] is not None:
            self._merge_json(row["error"], job.error)
        for artifact in row["artifacts"]:
            self._merge_json(artifact, job.artifacts.add())
        for field, column in (
            ("lease_expire_time", "lease_expires_at"), ("create_time", "created_at"),
            ("start_time", "started_at"), ("end_time", "ended_at"), ("update_time", "updated_at"),
            ("next_attempt_time", "next_attempt_at"),
        ):
            value = row[column]
            if value is not None:
                getattr(job, field).FromDatetime(value)
        return job

    def _merge_json(self, value: Any, target: Message) -> None:
        """``json_format.ParseDict(value, target, ignore_unknown_fields=True)``, memoised.

        A job's params, inputs and result are read many times (every GetJob, every transition), and
        ParseDict is slow pure Python; the parsed message is cached by the value's JSON text and
        merged back from its wire form, which is equivalent. An empty message (whose presence
        ``MergeFromString`` would not set) always goes through ParseDict.
        """
        text = json.dumps(value, sort_keys=True, separators=(",", ":"))
        if len(text) > self.MAX_CHARS:
            json_format.ParseDict(value, target, ignore_unknown_fields=True)
            return
        key = (target.DESCRIPTOR.full_name, text)
        memo = self._parsed.get(key)
        if memo is None:
            parsed = type(target)()
            json_format.ParseDict(value, parsed, ignore_unknown_fields=True)
            wire = parsed.SerializeToString()
            self._parsed.put(key, (text, wire))
        else:
            wire = memo[1]
        if wire:
            target.MergeFromString(wire)
        else:
            json_format.ParseDict(value, target, ignore_unknown_fields=True)
