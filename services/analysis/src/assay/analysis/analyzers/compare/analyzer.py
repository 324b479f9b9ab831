"""The compare analyzer: two tabular datasets, row by row, in flat memory."""

from __future__ import annotations

import itertools
import math
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from assay.analysis.analyzers.compare.keys import detect_key, given_key
from assay.analysis.analyzers.compare.matching import Key, Matcher, SideStats, Spill, spill_rows
from assay.analysis.analyzers.compare.normalize import Normalization
from assay.analysis.analyzers.compare.outcome import Outcome
from assay.analysis.analyzers.compare.readers import Dataset, open_dataset
from assay.analysis.analyzers.compare.schema import Alignment, ComparedColumn, align
from assay.analysis.analyzers.compare.spec import (
    CONTENT_MATCH_LIMIT,
    PARTITION_BYTES,
    ROWS_LISTED,
    SAMPLE_ROWS,
    SPEC,
)
from assay.analysis.plugin import AnalysisInputError, InputDocument, RunContext
from assay.analysis.tabular.column_types import ColumnTypes
from assay.v1 import compare_pb2, job_pb2, tabular_pb2

DIFF_NAME = "diff.csv"


@dataclass(frozen=True)
class Options:
    key_columns: tuple[str, ...]
    normalization: Normalization
    sheet: str


def parse_options(params: job_pb2.JobParams) -> Options:
    which = params.WhichOneof("analyzer_params")
    if which not in (None, "compare"):
        raise AnalysisInputError("PARAMS_INVALID", f"compare takes JobParams.compare, not {which}")
    p = params.compare
    keys = tuple(k.strip() for k in p.key_columns)
    if any(not k for k in keys) or len(set(keys)) != len(keys):
        raise AnalysisInputError("PARAMS_INVALID", "key_columns must name distinct, non-empty columns")
    return Options(keys, Normalization(p.trim_whitespace, p.ignore_case, p.normalize_numbers), p.sheet.strip())


@dataclass
class _Read:
    """What the sampling pass learnt about one dataset."""

    format: str
    encoding: str
    delimiter: str
    columns: list[str]
    sample: list[list[str]]
    types: ColumnTypes


class CompareAnalyzer:
    """Added, removed and changed rows of two datasets, with schema differences and similarity."""

    spec = SPEC

    def run(self, ctx: RunContext) -> job_pb2.JobResult:
        ctx.check_cancelled()
        if ctx.text or len(ctx.inputs) != 2:
            raise AnalysisInputError("INPUT_MISSING", "compare needs two files: the old dataset first, then the new")
        options = parse_options(ctx.params)
        old_doc, new_doc = ctx.inputs
        old, new = _sample(old_doc, options.sheet), _sample(new_doc, options.sheet)
        ctx.report_progress(5)
        alignment = align(old.columns, new.columns, old.sample, new.sample)
        if not alignment.compared:
            raise AnalysisInputError("NO_COMMON_COLUMNS", "the datasets have no column in common, by name or content")
        normalize = options.normalization.function()
        if options.key_columns:
            key, matching = given_key(options.key_columns, alignment.compared), compare_pb2.COMPARE_MATCHING_GIVEN_KEY
        else:
            key = detect_key(alignment.compared, old.sample, new.sample, normalize)
            matching = compare_pb2.COMPARE_MATCHING_DETECTED_KEY if key else compare_pb2.COMPARE_MATCHING_CONTENT
        key_columns = key or alignment.compared
        old.sample = new.sample = []  # done with: keep memory for the partitions
        partitions = max(1, math.ceil(max(old_doc.size_bytes, new_doc.size_bytes) / PARTITION_BYTES))
        old_stats, new_stats = SideStats(), SideStats()
        diff_path = ctx.artifact_path(DIFF_NAME, "text/csv")
        outcome = Outcome(diff_path, [c.name for c in key] if key else [], old.columns, new.columns,
                          len(alignment.compared), ROWS_LISTED)
        with tempfile.TemporaryDirectory(prefix="compare-") as work:
            old_spill, new_spill = Spill(Path(work), partitions), Spill(Path(work), partitions)
            try:
                for doc, spill, stats, side, start in ((old_doc, old_spill, old_stats, "old", 5),
                                                       (new_doc, new_spill, new_stats, "new", 35)):
                    key_of = _key_function([getattr(c, f"{side}_index") for c in key_columns], normalize)
                    with open_dataset(doc, options.sheet) as dataset:
                        spill_rows(dataset.rows, key_of, spill, partitions, stats,
                                   _ticker(ctx, dataset, doc, start, start + 30))
                matcher = Matcher(
                    alignment.compared, key, _key_function([c.old_index for c in key_columns], normalize),
                    _key_function([c.new_index for c in key_columns], normalize), normalize,
                    options.normalization.exact, outcome, CONTENT_MATCH_LIMIT)
                for partition in range(partitions):
                    ctx.check_cancelled()
                    matcher.partition(old_spill.read(partition), new_spill.read(partition), old_stats, new_stats)
                    ctx.report_progress(65 + 34 * (partition + 1) // partitions)
                matcher.finish()
            finally:
                old_spill.close()
                new_spill.close()
                outcome.close()
        result = _result(outcome, alignment, key, matching, options, (old_doc, old, old_stats),
                         (new_doc, new, new_stats))
        ctx.report_progress(100)
        ctx.logger.info("compare: %d added, %d removed, %d changed, %d unchanged", outcome.added, outcome.removed,
                        outcome.changed, outcome.unchanged)
        return job_pb2.JobResult(compare=result)


def _sample(doc: InputDocument, sheet: str) -> _Read:
    with open_dataset(doc, sheet) as dataset:
        sample = list(itertools.islice(dataset.rows, SAMPLE_ROWS))
        types = ColumnTypes()
        for row in sample:
            for index, value in enumerate(row):
                types.observe(index, value)
        width = max([len(dataset.columns), *(len(row) for row in sample)])
        columns = dataset.columns + [f"#{i + 1}" for i in range(len(dataset.columns), width)]
        return _Read(dataset.format, dataset.encoding, dataset.delimiter, columns, sample, types)


def _key_function(indexes: Sequence[int], normalize: Callable[[str], str]) -> Callable[[list[str]], Key]:
    def key_of(row: list[str]) -> Key:
        return tuple(normalize(row[i]) if i < len(row) else "" for i in indexes)

    return key_of


def _ticker(ctx: RunContext, dataset: Dataset, doc: InputDocument, start: int, end: int) -> Callable[[], None]:
    def tick() -> None:
        ctx.check_cancelled()
        done = min(1.0, dataset.position() / max(1, doc.size_bytes))
        ctx.report_progress(int(start + (end - start) * done))

    return tick


def _input(doc: InputDocument, read: _Read, stats: SideStats) -> compare_pb2.CompareInput:
    return compare_pb2.CompareInput(
        file_id=doc.file_id, format=read.format, encoding=read.encoding, delimiter=read.delimiter, rows=stats.rows,
        columns=[tabular_pb2.TableColumn(name=n, type=read.types.type_of(i)) for i, n in enumerate(read.columns)],
        duplicate_keys=stats.duplicate_keys, empty_keys=stats.empty_keys,
    )


def _result(outcome: Outcome, alignment: Alignment, key: list[ComparedColumn],
            matching: compare_pb2.CompareMatching.ValueType, options: Options,
            old: tuple[InputDocument, _Read, SideStats], new: tuple[InputDocument, _Read, SideStats],
            ) -> compare_pb2.CompareResult:
    old_read, new_read = old[1], new[1]
    type_changes = [
        compare_pb2.CompareTypeChange(column=c.name, old_type=old_read.types.type_of(c.old_index),
                                      new_type=new_read.types.type_of(c.new_index))
        for c in alignment.compared
        if old_read.types.type_of(c.old_index) != new_read.types.type_of(c.new_index)
    ]
    return compare_pb2.CompareResult(
        matching=matching,
        key_columns=[c.name for c in key],
        normalization=options.normalization.names,
        old=_input(*old),
        new=_input(*new),
        added=outcome.added, removed=outcome.removed, changed=outcome.changed, unchanged=outcome.unchanged,
        column_changes=[compare_pb2.CompareColumnChanges(column=c.name, changed=outcome.column_changes[c.name])
                        for c in alignment.compared if outcome.column_changes[c.name]],
        schema=compare_pb2.CompareSchema(
            added=alignment.added, removed=alignment.removed,
            renamed=[compare_pb2.CompareRename(old_name=r.old_name, new_name=r.new_name, overlap=r.overlap)
                     for r in alignment.renamed],
            type_changes=type_changes,
        ),
        similarity=outcome.similarity,
        changed_rows=outcome.changed_rows, added_rows=outcome.added_rows, removed_rows=outcome.removed_rows,
        rows_truncated=outcome.truncated,
        diff_artifact_name=DIFF_NAME,
    )
