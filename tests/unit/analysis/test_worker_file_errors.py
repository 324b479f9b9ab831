"""A worker without file storage names what failed: reading inputs or storing artifacts."""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.analysis.files import ArtifactsUnavailable, InputsUnavailable, NoFiles
from assay.analysis.plugin import ArtifactFile


async def test_storing_an_artifact_without_storage_is_an_artifact_failure(tmp_path: Path) -> None:
    artifact = ArtifactFile(path=tmp_path / "scores.csv", name="scores.csv", media_type="text/csv")
    with pytest.raises(ArtifactsUnavailable):
        await NoFiles().store("acme", "job-1", artifact, capability="")


async def test_reading_inputs_without_storage_is_an_input_failure(tmp_path: Path) -> None:
    with pytest.raises(InputsUnavailable):
        await NoFiles().fetch("acme", ["4f1c0a52-0000-4000-8000-000000000000"], tmp_path, job_id="j", capability="")
    assert await NoFiles().fetch("acme", [], tmp_path, job_id="j", capability="") == []
