"""The analyzer plugin interface: what an analyzer is and what it may ask of the runtime.

Analyzers are synchronous: the worker runtime calls ``run`` in a child process of its own (see
``assay.analysis.executor``), so CPU-heavy work never blocks the event loop that heart-beats the job
and a crash or a hang ends only that attempt. The runtime streams every input file to a
local temporary file first (memory stays flat), uploads artifact files after ``run`` returns, and
turns the exceptions below into job outcomes.

An analyzer's ``spec`` is its entry in ``assay.common.analyzers.SPECS`` (jobs enforces it at
CreateJob); ``assay.analysis.testing`` runs an analyzer in process, for tests and benchmarks.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from assay.common.analyzers import AnalyzerSpec
from assay.v1 import job_pb2

__all__ = [
    "AnalysisCancelled",
    "AnalysisInputError",
    "Analyzer",
    "AnalyzerSpec",
    "ArtifactFile",
    "InputDocument",
    "RunContext",
]


@dataclass(frozen=True)
class InputDocument:
    """One input file, already streamed to local disk by the runtime."""

    file_id: str
    path: Path
    media_type: str
    display_name: str
    size_bytes: int
    uploaded_at: datetime | None = None
    """When the file's upload completed (an artifact: when its job stored it), if ingest said."""


@dataclass(frozen=True)
class ArtifactFile:
    """A file an analyzer wrote through ``RunContext.artifact_path``; uploaded by the runtime."""

    path: Path
    name: str
    media_type: str


class AnalysisInputError(Exception):
    """The input content itself is unusable: the job fails for good, no retry helps.

    ``code`` is a stable upper-snake-case reason (e.g. ``INPUT_UNPARSEABLE``, ``COLUMN_MISSING``);
    ``message`` tells the user what to fix.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def single_file(ctx: RunContext, name: str, *, takes: str, needs: str) -> InputDocument:
    """The one input file of an analyzer that reads exactly one file and no inline text.

    Refusals: inline text is ``INPUT_UNSUPPORTED`` ("``name`` ``takes``"), no file or several are
    ``INPUT_MISSING`` / ``INPUT_AMBIGUOUS`` ("``name`` ``needs``").
    """
    if ctx.text:
        raise AnalysisInputError("INPUT_UNSUPPORTED", f"{name} {takes}")
    if len(ctx.inputs) != 1:
        raise AnalysisInputError("INPUT_MISSING" if not ctx.inputs else "INPUT_AMBIGUOUS", f"{name} {needs}")
    return ctx.inputs[0]


class AnalysisCancelled(Exception):
    """Raised by ``RunContext.check_cancelled`` once the job's cancellation was requested."""


class RunContext(Protocol):
    """What an analyzer may ask of the runtime during one attempt."""

    job_id: str
    tenant_id: str
    attempt: int
    params: job_pb2.JobParams
    text: str
    inputs: Sequence[InputDocument]
    dependencies: Sequence[job_pb2.Job]
    """The jobs in ``inputs.jobs`` (all SUCCEEDED: results, artifact ids), in that order; empty for
    a job without dependencies."""
    dependency_files: Sequence[InputDocument]
    """The artifacts of ``dependencies``, already on local disk (``file_id`` is the artifact's
    ``Artifact.file_id``), in dependency then artifact order; fetched through ingest with the job's
    capability, which lists exactly these and the job's inputs."""
    logger: logging.Logger

    def report_progress(self, percent: int, partial: job_pb2.JobResult | None = None) -> None:
        """Record progress 0-100 and optionally a partial result; cheap, call it often."""

    def check_cancelled(self) -> None:
        """Raise ``AnalysisCancelled`` when the job was cancelled or the time limit passed."""

    def artifact_path(self, name: str, media_type: str) -> Path:
        """Return a fresh local path to write an artifact to; it is uploaded after ``run``."""


class Analyzer(Protocol):
    """An analyzer plugin. Implementations must be importable module-level objects."""

    spec: AnalyzerSpec

    def run(self, ctx: RunContext) -> job_pb2.JobResult:
        """Analyse ``ctx.inputs`` / ``ctx.text`` with ``ctx.params`` and return the result."""
