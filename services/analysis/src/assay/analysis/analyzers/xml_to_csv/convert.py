"""One document end to end: profile, plan the tables, flatten, write the CSVs, describe it."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assay.analysis.analyzers.xml_to_csv.documents import Document
from assay.analysis.analyzers.xml_to_csv.flatten import Flattener
from assay.analysis.analyzers.xml_to_csv.layout import plan_layout
from assay.analysis.analyzers.xml_to_csv.parse import DocumentRefused
from assay.analysis.analyzers.xml_to_csv.profile import Path as ElementPath
from assay.analysis.analyzers.xml_to_csv.profile import profile_document
from assay.analysis.analyzers.xml_to_csv.spec import REPEATED_VALUES_LIMIT
from assay.analysis.analyzers.xml_to_csv.tables import HeaderTable, Spooler, Table
from assay.v1 import tabular_pb2, xml_to_csv_pb2

_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Options:
    """Validated parameters."""

    record_paths: Sequence[str] = ()
    child_tables: bool = True
    repeat_document_values: bool = False


class ArtifactNames:
    """Unique, file-system-safe artifact names for one job."""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def name(self, document: Document, table: str) -> str:
        stem = ""
        if document.in_archive:
            stem = _UNSAFE_FILE_CHARS.sub("_", document.name.rsplit(".", 1)[0]).strip("._") + "."
        base = stem + (_UNSAFE_FILE_CHARS.sub("_", table).strip("._") or "table")  # e.g. names in Japanese
        name, number = f"{base}.csv", 1
        while name in self._used:
            number += 1
            name = f"{base}-{number}.csv"
        self._used.add(name)
        return name


ArtifactPath = Callable[[str, str], Path]
"""``RunContext.artifact_path``: registers an artifact and returns where to write it."""
Tick = Callable[[int], None]


@dataclass
class _Collected:
    """Document values kept for repeating on rows (until the limit)."""

    values: dict[str, str] = field(default_factory=dict)
    overflow: bool = False


def convert(document: Document, options: Options, work_dir: Path, artifact_path: ArtifactPath,
            names: ArtifactNames, profile_tick: Tick, flatten_tick: Tick) -> xml_to_csv_pb2.XmlMember:
    """Convert one document; a refused one comes back with ``skip_code`` and nothing written."""
    member = xml_to_csv_pb2.XmlMember(name=document.name)
    if document.skip_code:
        member.skip_code, member.skip_reason = document.skip_code, document.skip_reason
        return member
    try:
        with document.open() as raw:
            profile = profile_document(raw, document.name, profile_tick)
        layout = plan_layout(profile, options.record_paths, options.child_tables)
    except DocumentRefused as refused:
        member.skip_code, member.skip_reason = refused.code, refused.message
        return member

    names_of = profile.namespaces
    member.root_element = names_of.element(profile.root_tag)
    member.namespaces.extend(xml_to_csv_pb2.XmlNamespace(prefix=p, uri=u) for p, u in names_of.listing())
    member.record_paths_detected = layout.detected
    tables: dict[ElementPath, Table] = {}
    spooler = Spooler(work_dir)
    for path, plan in layout.tables.items():
        parent = tables[plan.parent] if plan.parent is not None else None
        tables[path] = Table(plan.name, plan.record_path, parent, spooler)
    header = HeaderTable(work_dir / f"header-{id(member)}.csv")
    collected = _Collected()

    def to_header(path: str, value: str) -> None:
        header.add(path, value)
        if options.repeat_document_values and not collected.overflow:
            if len(collected.values) < REPEATED_VALUES_LIMIT:
                collected.values[path] = value
            else:
                collected.overflow = True

    try:
        with document.open() as raw:
            Flattener(names_of, layout, tables, to_header).run(raw, document.name, flatten_tick)
    except BaseException:
        for table in tables.values():
            table.close()
        raise
    finally:
        header.close()
    repeat = options.repeat_document_values and bool(tables) and not collected.overflow
    repeated = collected.values if repeat else {}
    for table in tables.values():
        artifact = names.name(document, table.name)
        table.write_csv(artifact_path(artifact, "text/csv"), repeated)
        member.tables.append(xml_to_csv_pb2.XmlTable(
            name=table.name, record_path=table.record_path, parent_table=table.parent.name if table.parent else "",
            rows=table.rows, artifact_name=artifact,
            columns=[tabular_pb2.TableColumn(name=n, type=t) for n, t in table.column_types(repeated)],
        ))
    member.header_values = header.values
    if header.values and not repeat:
        artifact = names.name(document, "header")
        shutil.move(header.path, artifact_path(artifact, "text/csv"))
        member.header_artifact_name = artifact
    else:
        header.path.unlink(missing_ok=True)
    return member
