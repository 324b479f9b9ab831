"""assay dev's span file is rotated by size, keeps N files, and `assay trace` reads across them."""

from __future__ import annotations

import json
from pathlib import Path

from assay.cli.client import span_files
from assay.devstack.spans import files, load_spans, rotate_if_large

TRACE = "a" * 32


def append_spans(path: Path, *span_ids: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        for span_id in span_ids:
            handle.write(json.dumps({"trace_id": TRACE, "span_id": span_id, "parent_id": "", "name": span_id}) + "\n")


def test_a_file_under_the_cap_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "spans.jsonl"
    append_spans(path, "s1")
    assert not rotate_if_large(path, max_bytes=10_000, keep=3)
    assert files(path) == [path]
    assert not rotate_if_large(tmp_path / "missing.jsonl", max_bytes=1, keep=3)


def test_rotation_shifts_generations_and_keeps_only_the_newest_n(tmp_path: Path) -> None:
    path = tmp_path / "spans.jsonl"
    for batch in range(5):
        append_spans(path, f"b{batch}")
        assert rotate_if_large(path, max_bytes=1, keep=3)
    assert not path.exists(), "the writers create it again with their next batch"
    assert files(path) == [tmp_path / "spans.jsonl.3", tmp_path / "spans.jsonl.2", tmp_path / "spans.jsonl.1"]
    names = [json.loads(p.read_text())["span_id"] for p in files(path)]
    assert names == ["b2", "b3", "b4"], "oldest first; b0 and b1 were deleted"


def test_keep_zero_deletes_instead_of_rotating(tmp_path: Path) -> None:
    path = tmp_path / "spans.jsonl"
    append_spans(path, "s1")
    assert rotate_if_large(path, max_bytes=1, keep=0)
    assert files(path) == []


def test_assay_trace_finds_a_jobs_spans_across_rotated_files(tmp_path: Path) -> None:
    path = tmp_path / "traces" / "spans.jsonl"
    append_spans(path, "gateway")
    rotate_if_large(path, max_bytes=1, keep=4)
    append_spans(path, "jobs")
    rotate_if_large(path, max_bytes=1, keep=4)
    append_spans(path, "worker")
    (tmp_path / "traces" / "spans.jsonl.notes").write_text("not a span file\n")
    found = [s["span_id"] for p in span_files(tmp_path) for s in load_spans(p, TRACE)]
    assert found == ["gateway", "jobs", "worker"]
