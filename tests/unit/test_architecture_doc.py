"""docs/architecture.md's "where things are" table matches the tree: every module it names exists,
and every service module is named in it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "architecture.md").read_text()
TABLE = DOC[DOC.index("## 8. Where things are"):]
ROOTS = {
    **{name: ROOT / "services" / name / "src" / "assay" / name for name in ("jobs", "ingest", "analysis", "gateway")},
    "common": ROOT / "libs" / "common" / "src" / "assay" / "common",
    "devstack": ROOT / "libs" / "devstack" / "src" / "assay" / "devstack",
    "cli": ROOT / "libs" / "devstack" / "src" / "assay" / "cli",
}
NAMED = set(re.findall(r"`((?:" + "|".join(ROOTS) + r")/[^`<>]+)`", TABLE))


def _path(named: str) -> Path:
    package, _, rest = named.partition("/")
    return ROOTS[package] / rest


def test_every_module_the_table_names_exists() -> None:
    missing = sorted(named for named in NAMED if not _path(named).exists())
    assert not missing, missing


def test_every_service_module_is_in_the_table() -> None:
    unnamed = []
    for package in ("jobs", "ingest", "analysis", "gateway"):
        for module in sorted(ROOTS[package].glob("*.py")):
            if module.name in ("__init__.py", "__main__.py", "config.py", "server.py", "metrics.py"):
                continue
            if f"{package}/{module.name}" not in NAMED:
                unnamed.append(f"{package}/{module.name}")
    assert not unnamed, f"add these to docs/architecture.md §8: {unnamed}"
