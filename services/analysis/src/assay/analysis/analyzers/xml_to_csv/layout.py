"""Which element paths become tables, which repeat as indexed names, and how tables are named.

Detected records are the outermost paths whose elements repeat under one parent; a document with
several such paths (``node``, ``way`` and ``relation`` of an OSM extract) gets one table each.
Paths that repeat inside a record become child tables keyed by the parent's ``#row`` (default)
or indexed columns (``Line[1].Amt``). Given record paths replace detection; repeating paths
outside every record then keep an index in the header table, so no two values share a name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from assay.analysis.analyzers.xml_to_csv.parse import DocumentRefused
from assay.analysis.analyzers.xml_to_csv.profile import Path, Profile

RECORD_PATH_NOT_FOUND = "RECORD_PATH_NOT_FOUND"
RECORD_PATH_INVALID = "RECORD_PATH_INVALID"
_LISTED_PATHS = 10


@dataclass(frozen=True)
class TablePlan:
    """One table: the element path of its records and its parent table's path (None: top level)."""

    path: Path
    parent: Path | None
    name: str
    record_path: str


@dataclass
class Layout:
    """The tables of one document and the paths whose names carry an index."""

    tables: dict[Path, TablePlan] = field(default_factory=dict)
    indexed: set[Path] = field(default_factory=set)
    detected: bool = True


def plan_layout(profile: Profile, record_paths: Sequence[str], child_tables: bool) -> Layout:
    """Choose the tables of a profiled document (detected, or the given ``record_paths``)."""
    repeating = profile.repeating()
    if record_paths:
        roots = _matching(profile, record_paths)
        detected = False
    else:
        roots = {p for p in repeating if not any(p[:i] in repeating for i in range(1, len(p)))}
        detected = True
    table_paths = set(roots)
    if child_tables:
        table_paths |= {p for p in repeating if any(p[:i] in roots for i in range(1, len(p)))}
    layout = Layout(indexed=repeating - table_paths, detected=detected)
    name_of = profile.namespaces.element
    for path in sorted(table_paths, key=lambda p: (len(p), _document_order(profile, p))):
        parent = next((path[:i] for i in range(len(path) - 1, 0, -1) if path[:i] in table_paths), None)
        shown = [name_of(tag) for tag in path]
        layout.tables[path] = TablePlan(
            path=path, parent=parent, name=".".join(shown[1:]) or shown[0], record_path="/" + "/".join(shown)
        )
    return layout


def _document_order(profile: Profile, path: Path) -> int:
    # dicts keep insertion order, and paths were inserted at their first end event.
    return list(profile.paths).index(path)


def _matching(profile: Profile, record_paths: Sequence[str]) -> set[Path]:
    found: set[Path] = set()
    for pattern in record_paths:
        steps, anywhere = _parse_pattern(pattern)
        matches = {p for p in profile.paths if _matches(profile, p, steps, anywhere)}
        if not matches:
            shown = sorted("/" + "/".join(profile.namespaces.element(t) for t in p) for p in profile.repeating())
            hint = ", ".join(shown[:_LISTED_PATHS]) or "none"
            raise DocumentRefused(
                RECORD_PATH_NOT_FOUND,
                f"no element matches the record path {pattern!r}; repeating paths found: {hint}",
            )
        found |= matches
    return found


def _parse_pattern(pattern: str) -> tuple[list[str], bool]:
    text = pattern.strip()
    anywhere = text.startswith("//")
    body = text.lstrip("/")
    steps = body.split("/") if body else []
    if not steps or any(not step or step in {".", "..", "*"} or "[" in step for step in steps):
        raise DocumentRefused(
            RECORD_PATH_INVALID,
            f"record path {pattern!r} is not a path of element names such as /Document/Stmt/Ntry or //Cube",
        )
    if not text.startswith("/"):
        anywhere = True  # a bare "Ntry" or "Stmt/Ntry" matches wherever it ends
    return steps, anywhere


def _matches(profile: Profile, path: Path, steps: list[str], anywhere: bool) -> bool:
    if len(path) < len(steps) or (not anywhere and len(path) != len(steps)):
        return False
    tail = path[len(path) - len(steps):]
    return all(_step_matches(profile, tag, step) for tag, step in zip(tail, steps, strict=True))


def _step_matches(profile: Profile, tag: str, step: str) -> bool:
    """``prefix:local`` with the document's prefixes, or a bare local name in any namespace."""
    if ":" in step:
        return profile.namespaces.element(tag) == step or profile.namespaces.attribute(tag) == step
    local = tag.rpartition("}")[2]
    return local == step
