"""GetJob's FULL answer from a job's wire bytes, without parsing and re-serializing the job.

``GetJobResponse`` has one field, ``job = 1``, so its wire form is that field's key, the job's length
as a varint, and the job's own bytes: what the job cache holds. The server's response serializer
passes bytes through (``assay.common.interceptors``), so a cached job is answered as it is stored.
"""

from __future__ import annotations

from typing import cast

from assay.v1 import jobs_service_pb2

_JOB_FIELD_KEY = bytes([(jobs_service_pb2.GetJobResponse.JOB_FIELD_NUMBER << 3) | 2])
"""Field 1, wire type 2 (length-delimited)."""


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def get_job_response(job_wire: bytes) -> jobs_service_pb2.GetJobResponse:
    """The serialized ``GetJobResponse(job=…)`` of a job's wire bytes. Typed as the message the RPC
    returns: the gRPC server sends bytes as they are (only there may the answer be used)."""
    return cast(jobs_service_pb2.GetJobResponse, _JOB_FIELD_KEY + _varint(len(job_wire)) + job_wire)
