"""The analyzers the API knows, and the input rules every service checks them against.

The ``JobParams``/``JobResult`` oneofs define the set; this table adds the limits the jobs service
validates at CreateJob, so a bad request is refused before any work is queued. Each analyzer
plugin's spec must agree with its row (a test checks it).
"""

from __future__ import annotations

from dataclasses import dataclass

from assay.v1 import job_pb2


@dataclass(frozen=True)
class InputRules:
    """What one analyzer accepts."""

    accepts_text: bool
    """Whether inline text is accepted."""
    max_text_chars: int
    """Longest inline text, in characters."""
    accepts_files: bool
    """Whether stored files are accepted."""
    max_files: int
    """Most files one job may name."""


INPUT_RULES: dict[str, InputRules] = {
    "sentiment": InputRules(accepts_text=True, max_text_chars=512, accepts_files=True, max_files=1),
    "contract_review": InputRules(accepts_text=True, max_text_chars=200_000, accepts_files=True,
                                  max_files=1),
    "xml_to_csv": InputRules(accepts_text=False, max_text_chars=0, accepts_files=True, max_files=1),
    "compare": InputRules(accepts_text=False, max_text_chars=0, accepts_files=True, max_files=2),
}

ANALYZER_NAMES: tuple[str, ...] = tuple(
    field.name for field in job_pb2.JobParams.DESCRIPTOR.oneofs_by_name["analyzer_params"].fields
)
"""Every analyzer name the API accepts (the JobParams oneof's field names)."""
