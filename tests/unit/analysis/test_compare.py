"""compare: pairing by key or content, schema differences, encodings, formats and flat-memory partitions."""

from __future__ import annotations

import codecs
import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest
from fixtures import tabular as fx

from assay.analysis.analyzers.compare import ANALYZER, DIFF_NAME
from assay.analysis.analyzers.compare import analyzer as compare_module
from assay.analysis.analyzers.compare.matching import Matcher, SideStats
from assay.analysis.analyzers.compare.outcome import Outcome
from assay.analysis.analyzers.compare.schema import ComparedColumn
from assay.analysis.plugin import AnalysisInputError, InputDocument
from assay.analysis.testing import LocalRunContext
from assay.v1 import compare_pb2, job_pb2, tabular_pb2

C = compare_pb2


def run(tmp_path: Path, old: bytes, new: bytes, *, names: tuple[str, str] = ("old.csv", "new.csv"),
        media: str = "text/csv", **params: object) -> tuple[C.CompareResult, LocalRunContext]:
    docs = []
    for index, (data, name) in enumerate(((old, names[0]), (new, names[1]))):
        path = tmp_path / f"input-{index}"
        path.write_bytes(data)
        docs.append(InputDocument(f"file-{index}", path, media, name, len(data)))
    ctx = LocalRunContext(job_id="job-1", tenant_id="t-1", work_dir=tmp_path, inputs=docs,
                          params=job_pb2.JobParams(compare=C.CompareParams(**params)))  # type: ignore[arg-type]
    return ANALYZER.run(ctx).compare, ctx


def diff_lines(ctx: LocalRunContext) -> list[dict[str, str]]:
    (artifact,) = ctx.artifacts
    assert artifact.name == DIFF_NAME and artifact.media_type == "text/csv"
    return list(csv.DictReader(io.StringIO(artifact.path.read_text(encoding="utf-8"), newline="")))


def test_reordered_rows_are_not_changes_and_each_change_is_named(tmp_path: Path) -> None:
    result, ctx = run(tmp_path, fx.csv_bytes(fx.HEADER, fx.OLD), fx.csv_bytes(fx.HEADER, fx.NEW))
    assert result.matching == C.COMPARE_MATCHING_DETECTED_KEY and list(result.key_columns) == ["isin"]
    assert (result.added, result.removed, result.changed, result.unchanged) == (1, 1, 2, 2)
    assert {c.column: c.changed for c in result.column_changes} == {"issuer": 1, "price": 1}
    changed = {tuple(r.key): [(f.column, f.old_value, f.new_value) for f in r.fields] for r in result.changed_rows}
    assert changed == {("NL0003",): [("price", "7.25", "7.40")],
                       ("FR0002",): [("issuer", "Société Générale", "Société Générale SA")]}
    assert {r.similarity for r in result.changed_rows} == {0.8}  # 4 of 5 compared values equal
    assert [(list(r.key), r.new_row) for r in result.added_rows] == [(["PT0006"], 4)]
    assert [(list(r.key), r.old_row) for r in result.removed_rows] == [(["IT0004"], 4)]
    # (2 unchanged + 0.8 + 0.8) over 2 paired-unchanged + 2 changed + 1 added + 1 removed
    assert result.similarity == pytest.approx((2 + 0.8 + 0.8) / 6)
    lines = diff_lines(ctx)
    removed = next(line for line in lines if line["change"] == "removed")
    assert json.loads(removed["old_value"])["issuer"] == "Banca Rossi" and removed["key:isin"] == "IT0004"
    price = next(line for line in lines if line["column"] == "price")
    assert (price["old_row"], price["new_row"], price["old_value"], price["new_value"]) == ("3", "2", "7.25", "7.40")


def test_identical_datasets_in_another_order_are_fully_similar(tmp_path: Path) -> None:
    result, _ = run(tmp_path, fx.csv_bytes(fx.HEADER, fx.OLD), fx.csv_bytes(fx.HEADER, list(reversed(fx.OLD))))
    assert (result.added, result.removed, result.changed, result.unchanged) == (0, 0, 0, 5)
    assert result.similarity == 1.0


def test_different_encodings_and_delimiters_compare_equal(tmp_path: Path) -> None:
    old = fx.csv_bytes(fx.HEADER, fx.OLD, delimiter=";", encoding="cp1252")
    new = codecs.BOM_UTF8 + fx.csv_bytes(fx.HEADER, fx.OLD, delimiter="\t")
    result, _ = run(tmp_path, old, new, names=("old.csv", "new.tsv"))
    assert result.old.encoding not in ("utf-8", "") and result.old.delimiter == ";"  # a single-byte code page
    assert (result.new.encoding, result.new.delimiter) == ("utf-8", "\t")
    assert (result.changed, result.unchanged) == (0, 5)


def test_duplicate_keys_are_counted_and_paired_in_order_not_fatal(tmp_path: Path) -> None:
    old = fx.csv_bytes(fx.HEADER, [*fx.OLD, fx.OLD[0]])
    new = fx.csv_bytes(fx.HEADER, [*fx.OLD, fx.OLD[0], fx.OLD[0]])
    result, _ = run(tmp_path, old, new, key_columns=["isin"])
    assert result.matching == C.COMPARE_MATCHING_GIVEN_KEY
    assert (result.old.duplicate_keys, result.new.duplicate_keys) == (1, 2)
    assert (result.unchanged, result.added, result.removed) == (6, 1, 0)


def test_a_renamed_column_is_found_by_content_and_still_compared(tmp_path: Path) -> None:
    header = ["isin", "name", "country", "price", "listed"]
    new_rows = [list(row) for row in fx.OLD]
    new_rows[1][3] = "34.00"
    result, _ = run(tmp_path, fx.csv_bytes(fx.HEADER, fx.OLD), fx.csv_bytes(header, new_rows))
    assert [(r.old_name, r.new_name) for r in result.schema.renamed] == [("issuer", "name")]
    assert not result.schema.added and not result.schema.removed
    assert (result.changed, result.unchanged) == (1, 4)


def test_added_removed_columns_and_type_changes_are_reported(tmp_path: Path) -> None:
    old = fx.csv_bytes(["isin", "price", "lot"], [["A1", "1", "x"], ["B2", "2", "y"]])
    new = fx.csv_bytes(["isin", "price", "rating"], [["A1", "1.5", "AA"], ["B2", "2.25", "B"]])
    result, _ = run(tmp_path, old, new)
    assert list(result.schema.added) == ["rating"] and list(result.schema.removed) == ["lot"]
    assert [(t.column, t.old_type, t.new_type) for t in result.schema.type_changes] == [
        ("price", tabular_pb2.COLUMN_TYPE_INTEGER, tabular_pb2.COLUMN_TYPE_DECIMAL)]
    assert {c.name: c.type for c in result.new.columns}["price"] == tabular_pb2.COLUMN_TYPE_DECIMAL


def test_without_a_usable_key_rows_are_matched_by_content(tmp_path: Path) -> None:
    header = ["entity", "currency", "alpha", "withdrawn"]
    old = [["CROATIA", "Kuna", "HRK", ""], ["PERU", "Sol", "PEN", ""]]
    new = [["PERU", "Sol", "PEN", ""], ["CROATIA", "Kuna", "HRK", "2023-01"], ["CROATIA", "Euro", "EUR", ""],
           ["BULGARIA", "Euro", "EUR", ""]]
    result, _ = run(tmp_path, fx.csv_bytes(header, old), fx.csv_bytes(header, new))
    assert result.matching == C.COMPARE_MATCHING_CONTENT and not result.key_columns
    assert (result.unchanged, result.changed, result.added, result.removed) == (1, 1, 2, 0)
    (kuna,) = result.changed_rows
    assert [(f.column, f.old_value, f.new_value) for f in kuna.fields] == [("withdrawn", "", "2023-01")]
    assert (kuna.old_row, kuna.new_row, kuna.similarity) == (1, 2, 0.75)


def test_past_the_content_matching_limit_unpaired_rows_are_added_and_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    header = ["entity", "currency", "alpha", "withdrawn"]
    old = [["CROATIA", "Kuna", "HRK", ""], ["PERU", "Sol", "PEN", ""]]
    new = [["PERU", "Sol", "PEN", ""], ["CROATIA", "Kuna", "HRK", "2023-01"], ["CROATIA", "Euro", "EUR", ""],
           ["BULGARIA", "Euro", "EUR", ""]]
    monkeypatch.setattr(compare_module, "CONTENT_MATCH_LIMIT", 2)
    result, _ = run(tmp_path, fx.csv_bytes(header, old), fx.csv_bytes(header, new))
    assert result.matching == C.COMPARE_MATCHING_CONTENT
    assert (result.unchanged, result.changed, result.added, result.removed) == (1, 0, 3, 1)


def test_normalisation_is_a_param_and_reported(tmp_path: Path) -> None:
    old = fx.csv_bytes(["id", "name", "amount"], [["1", "ACME ", "1.50"], ["2", "Globex", "10"]])
    new = fx.csv_bytes(["id", "name", "amount"], [["1", "acme", "1.5"], ["2", "Globex\u00a0", "1e1"]])
    (tmp_path / "exact").mkdir()
    (tmp_path / "loose").mkdir()
    exact, _ = run(tmp_path / "exact", old, new)
    assert (exact.changed, list(exact.normalization)) == (2, [])
    loose, _ = run(tmp_path / "loose", old, new, trim_whitespace=True, ignore_case=True, normalize_numbers=True)
    assert (loose.changed, loose.unchanged) == (0, 2)
    assert list(loose.normalization) == ["trim_whitespace", "ignore_case", "normalize_numbers"]


def test_xlsx_and_json_lines_datasets(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(fx.HEADER)
    for row in fx.OLD:
        sheet.append([*row[:3], float(row[3]), row[4]])
    buffer = io.BytesIO()
    book.save(buffer)
    jsonl = "".join(json.dumps(dict(zip(fx.HEADER, row, strict=True)), ensure_ascii=False) + "\n" for row in fx.NEW)
    result, _ = run(tmp_path, buffer.getvalue(), jsonl.encode(), names=("old.xlsx", "new.jsonl"),
                    media="application/octet-stream", normalize_numbers=True)
    assert (result.old.format, result.new.format) == ("xlsx", "jsonl")
    assert (result.added, result.removed, result.changed, result.unchanged) == (1, 1, 2, 2)


def test_many_partitions_give_the_same_answer_as_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [[f"K{i:05d}", f"name {i}", str(i % 7)] for i in range(3000)]
    changed = [list(r) for r in rows[500:]] + [["NEW1", "n", "1"]]
    changed[10][2] = "x"
    old, new = fx.csv_bytes(["code", "name", "bucket"], rows), fx.csv_bytes(["code", "name", "bucket"], changed)
    (tmp_path / "one").mkdir()
    (tmp_path / "many").mkdir()
    one, _ = run(tmp_path / "one", old, new)
    monkeypatch.setattr(compare_module, "PARTITION_BYTES", 4096)
    many, _ = run(tmp_path / "many", old, new)
    for result in (one, many):
        assert (result.added, result.removed, result.changed, result.unchanged) == (1, 500, 1, 2499)


def test_input_errors(tmp_path: Path) -> None:
    with pytest.raises(AnalysisInputError) as missing_key:
        run(tmp_path, fx.csv_bytes(fx.HEADER, fx.OLD), fx.csv_bytes(fx.HEADER, fx.NEW), key_columns=["nope"])
    assert missing_key.value.code == "KEY_COLUMN_MISSING" and "isin" in missing_key.value.message
    ctx = LocalRunContext(job_id="j", tenant_id="t", params=job_pb2.JobParams(), work_dir=tmp_path)
    with pytest.raises(AnalysisInputError) as one_file:
        ANALYZER.run(ctx)
    assert one_file.value.code == "INPUT_MISSING"
    with pytest.raises(AnalysisInputError) as disjoint:
        run(tmp_path, fx.csv_bytes(["isin", "name"], [["A", "a"]]), fx.csv_bytes(["x", "y"], [["1", "2"]]))
    assert disjoint.value.code == "NO_COMMON_COLUMNS"


def test_content_matching_holds_at_most_the_limit_of_unpaired_rows(tmp_path: Path) -> None:
    columns = [ComparedColumn("a", 0, 0), ComparedColumn("b", 1, 1)]
    outcome = Outcome(tmp_path / "diff.csv", [], ["a", "b"], ["a", "b"], len(columns), rows_listed=10)
    whole_row = lambda row: tuple(row)  # noqa: E731 - the content key: every compared value
    matcher = Matcher(columns, [], whole_row, whole_row, str, True, outcome, content_limit=2)
    old = [(i, [f"old{i}", "x"]) for i in range(1, 6)]
    new = [(i, [f"new{i}", "y"]) for i in range(1, 6)]
    matcher.partition(old, new, SideStats(), SideStats())
    assert (outcome.added, outcome.removed) == (5, 5)  # given up on before finish(): nothing held
    matcher.finish()
    outcome.close()
    assert (outcome.added, outcome.removed, outcome.changed) == (5, 5, 0)
