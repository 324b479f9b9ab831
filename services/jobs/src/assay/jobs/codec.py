"""Translation between ``jobs.jobs`` rows and ``assay.v1.Job`` messages."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

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
        self._parsed: ByteLRU[tuple[str, str], tuple[str, bytes, bool]] = ByteLRU(
            "jobs_json_memo", self.MAX_BYTES, lambda value: len(value[0]) + len(value[1]))
        """(message, JSON text of a JSONB value) → (that text, the wire form of the message
        ``ParseDict`` makes of it, whether it makes the field present); the text is the key's own
        string, counted once."""

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
        self._merge_json(row["params"], job, "params")
        self._merge_json(row["inputs"], job, "inputs")
        if row["result"] is not None:
            self._merge_json(row["result"], job, "result")
        if row["error"] is not None:
            self._merge_json(row["error"], job, "error")
        for artifact in row["artifacts"]:
            self._merge_json(artifact, job.artifacts, None)
        for field, column in _TIMESTAMPS:
            value = row[column]
            if value is not None:
                _set_timestamp(getattr(job, field), value)
        return job

    def _merge_json(self, value: Any, parent: Any, field: str | None) -> None:
        """``json_format.ParseDict(value, parent.<field>, ignore_unknown_fields=True)`` (``field`` None:
        into a new element of the repeated field ``parent``), memoised.

        A job's params, inputs and result are read many times (every GetJob, every transition), and
        ParseDict is slow pure Python; the parsed message is cached by the value's JSON text and
        merged back from its wire form, which is equivalent. An empty wire form carries no presence, so
        the memo also keeps whether ParseDict made the field present (a ``{}`` Struct is, as is any
        message it touched), and marks it so (``SetInParent``) instead of parsing again.
        """
        target = parent.add() if field is None else getattr(parent, field)
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
            present = bool(wire) or field is None or _parse_sets_presence(value, parent, field)
            self._parsed.put(key, (text, wire, present))
        else:
            _, wire, present = memo
        if wire:
            target.MergeFromString(wire)
        elif present and field is not None:
            target.SetInParent()


_TIMESTAMPS = (
    ("lease_expire_time", "lease_expires_at"), ("create_time", "created_at"),
    ("start_time", "started_at"), ("end_time", "ended_at"), ("update_time", "updated_at"),
    ("next_attempt_time", "next_attempt_at"),
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE = datetime(1970, 1, 1)


def _set_timestamp(target: Timestamp, value: datetime) -> None:
    """``target.FromDatetime(value)`` (a naive value is UTC) without its ``timegm`` round trip."""
    delta = value - (_EPOCH_NAIVE if value.tzinfo is None else _EPOCH)
    target.seconds = delta.days * 86400 + delta.seconds
    target.nanos = delta.microseconds * 1000


def _parse_sets_presence(value: Any, parent: Message, field: str) -> bool:
    """Whether ``ParseDict`` of ``value`` makes ``parent.<field>`` present (it has no wire form)."""
    probe = type(parent)()
    json_format.ParseDict(value, getattr(probe, field), ignore_unknown_fields=True)
    return probe.HasField(field)
