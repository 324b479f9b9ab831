"""Run an analyzer locally, in this process, without the platform: for tests, benchmarks, plugins.

``run_analyzer`` first checks the inputs and params against the analyzer's spec exactly as
CreateJob does (an ``InvalidArgument`` with one violation per problem), then calls ``run`` with a
:class:`LocalRunContext` that records progress, partial results and artifacts::

    from assay.analysis.testing import run_analyzer
    from assay.analysis.analyzers.sentiment import ANALYZER

    run = run_analyzer(ANALYZER, tmp_path, files=[Path("reviews.csv")])
    run.result.sentiment.statistics.rows_scored, run.artifacts[0].path

Build a :class:`LocalRunContext` yourself to drive ``run`` more closely (set ``cancelled`` to see
the analyzer stop at its next ``check_cancelled``).
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assay.analysis.plugin import AnalysisCancelled, Analyzer, ArtifactFile, InputDocument
from assay.common.analyzers import params_descriptor
from assay.common.errors import FieldViolation, invalid_fields
from assay.common.spec_checks import file_violations, params_violations, text_violations
from assay.v1 import job_pb2

_MEDIA_TYPES = {".csv": "text/csv", ".json": "application/json", ".jsonl": "application/x-ndjson",
                ".ndjson": "application/x-ndjson", ".txt": "text/plain", ".xml": "application/xml"}
"""Extensions whose type ``mimetypes`` does not know, or names as ingest does not."""


@dataclass
class LocalRunContext:
    """A plain in-process ``RunContext`` that records what the analyzer reports."""

    job_id: str
    tenant_id: str
    params: job_pb2.JobParams
    work_dir: Path
    text: str = ""
    inputs: Sequence[InputDocument] = ()
    dependencies: Sequence[job_pb2.Job] = ()
    dependency_files: Sequence[InputDocument] = ()
    attempt: int = 1
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("assay.analysis.run"))
    progress: list[int] = field(default_factory=list)
    partials: list[job_pb2.JobResult] = field(default_factory=list)
    artifacts: list[ArtifactFile] = field(default_factory=list)
    cancelled: bool = False

    def report_progress(self, percent: int, partial: job_pb2.JobResult | None = None) -> None:
        self.progress.append(max(0, min(100, percent)))
        if partial is not None:
            self.partials.append(partial)

    def check_cancelled(self) -> None:
        if self.cancelled:
            raise AnalysisCancelled("job cancelled")

    def artifact_path(self, name: str, media_type: str) -> Path:
        path = self.work_dir / f"artifact-{len(self.artifacts)}-{Path(name).name}"
        self.artifacts.append(ArtifactFile(path=path, name=name, media_type=media_type))
        return path


@dataclass(frozen=True)
class LocalRun:
    """The outcome of ``run_analyzer``: the result and everything the context recorded."""

    result: job_pb2.JobResult
    context: LocalRunContext

    @property
    def artifacts(self) -> list[ArtifactFile]:
        return self.context.artifacts

    @property
    def progress(self) -> list[int]:
        return self.context.progress


def input_file(path: Path, media_type: str = "", file_id: str = "") -> InputDocument:
    """An input document for a local file; the media type is guessed from the extension if not given."""
    guessed = _MEDIA_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or ""
    return InputDocument(file_id=file_id or path.name, path=path, media_type=media_type or guessed,
                         display_name=path.name, size_bytes=path.stat().st_size)


def run_analyzer(
    analyzer: Analyzer,
    work_dir: Path,
    *,
    text: str = "",
    files: Sequence[Path | InputDocument] = (),
    params: job_pb2.JobParams | None = None,
) -> LocalRun:
    """Check the request against ``analyzer.spec`` as CreateJob would, then run it in this process."""
    spec = analyzer.spec
    chosen = job_pb2.JobParams()
    if params is not None:
        chosen.CopyFrom(params)
    elif params_descriptor(spec.name) is not None:
        getattr(chosen, spec.name).SetInParent()
    inputs = [f if isinstance(f, InputDocument) else input_file(f) for f in files]
    violations = params_violations(spec, chosen)
    if text:
        violations += text_violations(spec, text, "text")
    if len(inputs) > spec.max_files:
        violations.append(FieldViolation("files", f"the {spec.name} analyzer reads at most {spec.max_files}"))
    for index, document in enumerate(inputs):
        violations += file_violations(spec, document.media_type, document.size_bytes, f"files[{index}]")
    if violations:
        raise invalid_fields(violations)
    context = LocalRunContext(job_id="local", tenant_id="local", params=chosen, work_dir=work_dir,
                              text=text, inputs=inputs)
    return LocalRun(result=analyzer.run(context), context=context)
